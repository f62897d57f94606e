package dev.lcm4j.torch;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lcm4j.data.SyntheticData;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code -Pgpu} build on this machine, which has no NVIDIA driver: with the {@code -gpu} natives on the class path
 * next to the CPU ones, a JVM starts, says in one line that it runs on the CPU natives, loads no {@code -gpu}
 * library and trains a toy model. Needs the 458 MB {@code linux-x86_64-gpu} jar in the local Maven repository
 * ({@code mvn -Pgpu -DskipTests package} fetches it); skipped without it.
 */
@Tag("slow")
class GpuBuildOnCpuTest {
    static final String NOTICE = "lcm4j: no CUDA driver found (no libcuda.so.1); running on the CPU natives";
    @TempDir Path tmp;

    /** The -gpu natives jar beside the pytorch jar this test runs with (whatever local repository Maven uses). */
    static Path gpuJar() {
        String gpuName = "pytorch-2.10.0-1.5.13-linux-x86_64-gpu.jar";
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (p.getFileName() != null && p.getFileName().toString().startsWith("pytorch-2.10.0-1.5.13")) return p.resolveSibling(gpuName);
        }
        return Path.of(gpuName); // no pytorch jar on the class path: the test skips, as without the -gpu jar
    }

    record Run(int code, String out, String err) {}

    Run java(List<String> args, Path workDir) throws Exception {
        return java(args, workDir, java.util.Map.of());
    }

    Run java(List<String> args, Path workDir, java.util.Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", gpuJar() + File.pathSeparator + System.getProperty("java.class.path")));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().put("LCM4J_HOME", Path.of("").toAbsolutePath().toString());
        pb.environment().put("LCM_CARDS_PATH", tmp.resolve("synth").toString());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().remove("LCM_CUDA_DRIVER");
        pb.environment().remove("LCM_NATIVES");
        pb.environment().putAll(env);
        Path out = tmp.resolve("out.txt"), err = tmp.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM finished");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void startsAndTrainsOnTheCpuNatives() throws Exception {
        assumeTrue(Files.isRegularFile(gpuJar()), "no " + gpuJar() + " (mvn -Pgpu -DskipTests package downloads it)");
        assumeTrue(CudaDriver.find() == null, "this machine has a CUDA driver");
        SyntheticData.write(tmp.resolve("synth"), "gpusynth", 8, 16, 5);

        Run probe = java(List.of(GpuNativesProbe.class.getName()), tmp);
        assertEquals(0, probe.code(), probe.err());
        assertEquals(1, probe.err().lines().filter(NOTICE::equals).count(), probe.err());
        assertTrue(probe.out().contains("natives=GPU_BUILD_NO_DRIVER"), probe.out());
        // d(sum(X X))/dX = 1 X^T + X^T 1 for X = [[1,2],[3,4]]: row sums of X^T plus column sums of X^T
        assertTrue(probe.out().contains("grad=[7.0, 11.0, 9.0, 13.0]"), probe.out());
        assertTrue(probe.out().contains("maps ") && probe.out().contains("/linux-x86_64/libtorch_cpu.so"), probe.out());
        assertFalse(probe.out().contains("-gpu/"), "no -gpu library mapped: " + probe.out());
        assertTrue(probe.out().contains("cuda_is_available=false"), probe.out());

        Path run = tmp.resolve("run");
        Run train = java(List.of("dev.lcm4j.cli.Main", "train", "+pretrain=mse", "++trainer.output_dir=" + run,
                "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 64, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: gpusynth=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.max_steps=2", "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1"), tmp);
        assertEquals(0, train.code(), train.err());
        assertEquals(1, train.err().lines().filter(NOTICE::equals).count(), train.err());
        assertTrue(train.out().contains("trained to step 2"), train.out());
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step_2/model.pt")));

        Run cuda = java(List.of("dev.lcm4j.cli.Main", "train", "+pretrain=mse", "++trainer.output_dir=" + tmp.resolve("never"),
                "++trainer.model_arch=toy_base_lcm", "++trainer.training_data=[{name: gpusynth=train}]", "++trainer.device=cuda"), tmp);
        assertEquals(2, cuda.code(), cuda.err());
        assertTrue(cuda.err().contains("error: trainer.device=cuda but no CUDA driver was found (no libcuda.so.1), so lcm4j runs on its CPU natives"),
                cuda.err());
        assertFalse(Files.exists(tmp.resolve("never")));

        // LCM_NATIVES=cpu keeps the CPU natives even where a driver library seems present (a stand-in file here)
        Path fakeDriver = Files.writeString(tmp.resolve("libcuda.so.1"), "not a library");
        Run forced = java(List.of(GpuNativesProbe.class.getName()), tmp,
                java.util.Map.of("LCM_CUDA_DRIVER", fakeDriver.toString(), "LCM_NATIVES", "cpu"));
        assertEquals(0, forced.code(), forced.err());
        assertTrue(forced.err().contains("lcm4j: LCM_NATIVES=cpu; running on the CPU natives"), forced.err());
        assertTrue(forced.out().contains("natives=GPU_BUILD_CPU_CHOSEN") && !forced.out().contains("-gpu/"), forced.out());
        Run bad = java(List.of(GpuNativesProbe.class.getName()), tmp, java.util.Map.of("LCM_NATIVES", "cuda"));
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("LCM_NATIVES=cuda is not a choice; use auto"), bad.err());
    }
}
