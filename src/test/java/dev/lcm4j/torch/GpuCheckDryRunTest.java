package dev.lcm4j.torch;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/gpu_check.sh --dry-run-cpu}: the GPU check script runs every one of its steps on the CPU with tiny
 * sizes (data, normalizer, fp16 toy training, predict on two devices compared, the 1.6B archs' step timing), so the
 * script a GPU user runs is not dead code. It checks the script, not a GPU.
 */
@Tag("slow")
class GpuCheckDryRunTest {
    @TempDir Path tmp;

    @Test
    void everyCheckRunsOnTheCpu() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("bench/gpu_check.sh").toString(), "--dry-run-cpu").directory(root.toFile());
        pb.environment().put("WORK", tmp.resolve("work").toString());
        pb.environment().put("LCM_CP", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_OPTS", "-Xmx1g");
        Path out = tmp.resolve("out.txt"), err = tmp.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "finished");
        String stdout = Files.readString(out, StandardCharsets.UTF_8), stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), stdout + stderr);
        List<String> checks = stdout.lines().filter(l -> l.startsWith("check ")).toList();
        assertEquals(6, checks.size(), stdout);
        for (String c : checks) assertTrue(c.contains(": ok "), c);
        assertTrue(stdout.contains("check predict toy_two_tower cpu vs auto: ok") && stdout.contains("\"max_abs_diff\": 0.000e+00"), stdout);
        assertTrue(stdout.contains("\"arch\": \"two_tower_diffusion_lcm_1_6B\", \"device\": \"cpu\""), stdout);
        assertTrue(stdout.contains("gpu_check (cpu): all checks passed"), stdout);
    }
}
