package dev.lcm4j.torch;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The very first command on a fresh machine: a JVM with an EMPTY JavaCPP cache runs {@code lcm arch list}. Before
 * TorchRuntime's fix this crashed (SIGSEGV in c10::Dispatcher) whenever a system libtorch was on the library path, as
 * Debian's python3-torch installs one; the test says whether such a libtorch is present, which is the case it proves.
 */
@Tag("slow")
class FreshNativeCacheTest {
    @TempDir Path cache;

    @Test
    void firstRunWithAnEmptyNativeCacheWorks() throws Exception {
        boolean systemLibtorch = Files.exists(Paths.get("/usr/lib/x86_64-linux-gnu/libtorch_cpu.so"));
        System.out.println("system libtorch present: " + systemLibtorch);
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Dorg.bytedeco.javacpp.cachedir=" + cache,
                "-cp", System.getProperty("java.class.path"), "dev.lcm4j.cli.Main", "arch", "list")).redirectErrorStream(true);
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("1,649,185,792"), out);
        try (var files = Files.walk(cache)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().equals("libtorch_cpu.so")), "natives were extracted into the fresh cache");
        }
    }
}
