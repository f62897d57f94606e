package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.launch.LocalLauncher;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.io.FileTrees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One run directory, one writer, no leftovers: a second writer is refused naming the first, a dead writer's lock is
 * taken over, half-written checkpoints of killed runs are removed, a refused run writes nothing, and a resumed run
 * logs no step twice.
 */
@Tag("slow")
class RunDirectoryTest {
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "rundirsynth", 60, 16, 5);
        System.setProperty("LCM_CARDS_PATH", data.toString());
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static List<String> args(Path out, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=mse", "++trainer.output_dir=" + out, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: rundirsynth=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.max_steps=" + steps, "++trainer.num_lr_warmup_steps=1", "++trainer.checkpoint_every_n_steps=2",
                "++trainer.save_model_every_n_steps=2", "++trainer.publish_metrics_every_n_steps=1",
                "++trainer.keep_last_n_checkpoints=-1", "++trainer.data_loading_config.max_tokens=200"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void aSecondWriterIsRefusedAndADeadOnesLockIsTakenOver() throws Exception {
        Path out = tmp.resolve("locked");
        List<String> cmd = new ArrayList<>(LocalLauncher.currentJvm());
        cmd.addAll(args(out, 1_000_000));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("first.log").toFile());
        pb.environment().put("LCM_CARDS_PATH", data.toString());
        Process first = pb.start();
        try {
            Path metrics = out.resolve("metrics.jsonl");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while ((!Files.exists(metrics) || Files.size(metrics) == 0) && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(metrics), "the first run never started");
            Cli.Outcome second = Cli.exec(args(out, 4));
            Cli.assertUserError(second, "is in use by another training run (pid " + first.pid() + " on ");
        } finally {
            first.destroyForcibly().waitFor();   // a dead writer: its lock is released by the system
        }
        Path checkpoints = out.resolve("checkpoints");
        Files.createDirectories(checkpoints.resolve("step_7.tmp-424242"));
        Files.writeString(checkpoints.resolve("step_7.tmp-424242/model.pt"), "half a checkpoint");
        assertEquals(0, Main.execute(args(out, 4, "--overwrite").toArray(String[]::new)));
        assertFalse(Files.exists(checkpoints.resolve("step_7.tmp-424242")), "the killed run's half checkpoint is gone");
        assertEquals("", Files.readString(out.resolve(RunLock.FILE), StandardCharsets.UTF_8), "the lock names no holder after the run");
    }

    @Test
    void aRefusedRunLeavesNothing() {
        Path out = tmp.resolve("refused");
        // a model of dimension 1024 for data of dimension 16: refused during the setup
        Cli.Outcome o = Cli.exec(args(out, 2, "++trainer.model_arch_overrides={}"));
        Cli.assertUserError(o, "1024", "16");
        assertFalse(Files.exists(out), "no output directory, no config_logs");
    }

    @Test
    void aResumedRunLogsNoStepTwice() throws Exception {
        Path out = tmp.resolve("resumed");
        assertEquals(0, Main.execute(args(out, 4).toArray(String[]::new)));
        // as if the run had been killed after logging steps 3 and 4 but before checkpointing step 4
        FileTrees.deleteTree(out.resolve("checkpoints/step_4"));
        assertEquals(0, Main.execute(args(out, 6).toArray(String[]::new)));
        List<Long> steps = new ArrayList<>();
        Pattern step = Pattern.compile("\"run\": \"Train\", \"step\": (\\d+)");
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            Matcher m = step.matcher(line);
            if (m.find()) steps.add(Long.parseLong(m.group(1)));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), steps);
        Set<Long> unique = new HashSet<>(steps);
        assertEquals(steps.size(), unique.size());
    }

    @Test
    void aFailedPredictWritesNothing() throws Exception {
        Path bad = tmp.resolve("out.txt");
        Cli.Outcome o = Cli.exec("predict", "--model_card", "whatever", "--input", "x.npy", "--output", bad.toString());
        Cli.assertUserError(o, "use a .npy file");
        assertFalse(Files.exists(bad));
        assertFalse(Files.exists(tmp.resolve("out.lengths.npy")));
    }
}
