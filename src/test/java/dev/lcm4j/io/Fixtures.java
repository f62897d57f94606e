package dev.lcm4j.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Fixture files written by make_io_fixtures.py, and the system Python used to cross-check written files. */
final class Fixtures {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private Fixtures() {
    }

    static Path file(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/io/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture fixtures/io/" + name, e);
        }
    }

    /** Skips the calling test unless {@code /usr/bin/python3} can import {@code module}. */
    static void assumePythonModule(String module) {
        Result r = python("import " + module);
        assumeTrue(r.exitCode() == 0, "skipped: /usr/bin/python3 cannot import " + module + " (install python3-"
                + module + " to cross-check with Python)");
    }

    record Result(int exitCode, String output) { }

    /** Runs {@code /usr/bin/python3 -c script args...} and returns its exit code and combined output. */
    static Result python(String script, String... args) {
        if (!Files.isExecutable(PYTHON)) return new Result(-1, "no " + PYTHON);
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }
}
