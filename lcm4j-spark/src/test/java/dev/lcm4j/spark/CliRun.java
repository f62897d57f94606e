package dev.lcm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs {@code ./lcm}'s command line in-process with standard output and error captured. */
record CliRun(int code, String out, String err) {
    static CliRun exec(List<String> args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args.toArray(String[]::new));
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Exit code 2 and exactly one {@code error: } line (no stack trace) containing every fragment. */
    void assertUserError(String... fragments) {
        assertEquals(2, code, err);
        List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one line on stderr, got: " + err);
        assertTrue(lines.get(0).startsWith("error: "), lines.get(0));
        for (String f : fragments) assertTrue(lines.get(0).contains(f), "'" + f + "' not in: " + lines.get(0));
    }
}
