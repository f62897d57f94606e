package dev.lcm4j.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The committed test fixtures ({@code src/test/resources/fixtures/<group>/}, written by the generators in
 * {@code fixtures/python/}, see its README) and the system Python used to cross-check files lcm4j writes.
 */
public final class Fixtures {
    /** Debian's interpreter, where python3-torch and python3-numpy install. */
    public static final Path PYTHON = Path.of("/usr/bin/python3");

    private Fixtures() {
    }

    /** The fixture file {@code fixtures/<group>/<name>} on the test classpath. */
    public static Path file(String group, String name) {
        return resource(group + "/" + name);
    }

    /** The fixture directory {@code fixtures/<group>} on the test classpath. */
    public static Path dir(String group) {
        return resource(group);
    }

    private static Path resource(String relative) {
        String name = "fixtures/" + relative;
        URL url = Fixtures.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test fixture src/test/resources/" + name
                    + " (its generator is listed in fixtures/python/README.md)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("test fixture " + name + " is not a file: " + url, e);
        }
    }

    /** Skips the calling test unless {@code /usr/bin/python3} can import {@code module}. */
    public static void assumePythonModule(String module) {
        Result r = python("import " + module);
        assumeTrue(r.exitCode() == 0, "skipped: /usr/bin/python3 cannot import " + module + " (install python3-"
                + module + " to cross-check with Python)");
    }

    /** A finished process: exit code (-1 when it could not run or timed out) and stdout and stderr together. */
    public record Result(int exitCode, String output) { }

    /** Runs {@code /usr/bin/python3 -c script args...} and returns its exit code and combined output. */
    public static Result python(String script, String... args) {
        if (!Files.isExecutable(PYTHON)) return new Result(-1, "no " + PYTHON);
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs {@code command} (its program a path or a name looked up on PATH) in the working directory, waiting up to 120 s. */
    public static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
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
