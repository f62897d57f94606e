package dev.lcm4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntSupplier;

/** Runs the command line in-process, as {@code ./lcm} does, with its standard output and error captured. */
public final class Cli {
    private Cli() {
    }

    /** Exit code (0 success, 2 user error) and what the command printed. */
    public record Outcome(int code, String out, String err) {
    }

    /** {@code Main.execute(args)} with {@code System.out} and {@code System.err} captured (UTF-8) and restored. */
    public static Outcome exec(String... args) {
        return capture(() -> Main.execute(args));
    }

    /** {@code command} (which returns an exit code) with {@code System.out} and {@code System.err} captured (UTF-8) and restored. */
    public static Outcome capture(IntSupplier command) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = command.getAsInt();
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    public static Outcome exec(List<String> args) {
        return exec(args.toArray(String[]::new));
    }

    /** A user error: exit code 2 and exactly one {@code error: } line on stderr, containing every fragment. */
    public static void assertUserError(Outcome o, String... fragments) {
        assertEquals(2, o.code(), o.err());
        List<String> errLines = o.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errLines.size(), "exactly one error line: " + o.err());
        for (String f : fragments) assertTrue(errLines.get(0).contains(f), "'" + f + "' not in: " + errLines.get(0));
    }
}
