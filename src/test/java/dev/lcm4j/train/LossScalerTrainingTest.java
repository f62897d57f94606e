package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lcm4j.config.RecipeComposer;
import dev.lcm4j.config.TrainRunConfig;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The fp16 loss scaler in whole training runs, on the CPU in float32 ({@link Trainer#scaleLossOnCpu()}). The initial
 * scale 2^127 makes float32 gradients overflow, as a too-large scale makes fp16 ones overflow on a GPU; with a window
 * of 2 the scale then keeps growing back into overflow. A run stopped at step 4 and resumed from its checkpoint must
 * end where the uninterrupted run ends, with the same scale. Also: the peak memory published in metrics.jsonl, the
 * refusal of loss_scaler keys where no scaler runs, and a model too large to allocate as one line through the CLI.
 */
@Tag("slow")
class LossScalerTrainingTest {
    @TempDir static Path tmp;
    static final double HUGE_SCALE = Math.scalb(1.0, 127);

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        Path data = tmp.resolve("synth");
        SyntheticData.write(data, "tinysynth", 60, 16, 7);
        System.setProperty("LCM_CARDS_PATH", data.toString());
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static List<String> overrides(Path out, String... extra) {
        List<String> a = new ArrayList<>(TrainerTest.args(out, 8, "++trainer.loss_scaler_init_scale=" + HUGE_SCALE,
                "++trainer.loss_scaler_scale_window=2", "++trainer.validate_every_n_steps=100",
                "++trainer.save_model_every_n_steps=4", "++trainer.checkpoint_every_n_steps=4"));
        a.remove(0); // "train": the composer takes the overrides only
        a.addAll(List.of(extra));
        return a;
    }

    static Trainer trainer(Path out) {
        TrainRunConfig cfg = TrainRunConfig.fromTree(RecipeComposer.compose(Path.of("recipes"), overrides(out)));
        return new Trainer(new TrainingRun(cfg), false).scaleLossOnCpu();
    }

    /** grad_scale and peak_memory_mib per published step. */
    static TreeMap<Long, double[]> metrics(Path out) throws Exception {
        TreeMap<Long, double[]> m = new TreeMap<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (!line.contains("\"run\": \"Train\"")) continue;
            Map<String, Object> o = new Yaml().load(line);
            m.put(((Number) o.get("step")).longValue(), new double[] {((Number) o.get("grad_scale")).doubleValue(),
                    ((Number) o.get("peak_memory_mib")).doubleValue()});
        }
        return m;
    }

    static double procMeminfoGib(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / (1024.0 * 1024.0);
        }
        throw new AssertionError(field + " not in /proc/meminfo");
    }

    static double procStatusMib(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
                assertEquals("kB", parts[1]);
                return Long.parseLong(parts[0]) / 1024.0;
            }
        }
        throw new AssertionError(field + " not in /proc/self/status");
    }

    @Test
    void resumeGivesTheUninterruptedRunsParametersAndScale() throws Exception {
        double rssBefore = procStatusMib("VmRSS");
        Path straight = tmp.resolve("straight"), resumed = tmp.resolve("resumed");
        assertEquals(8, trainer(straight).train().steps());
        double peakAfter = procStatusMib("VmHWM");
        assertEquals(4, trainer(resumed).stopAfter(4).train().steps());
        assertTrue(Files.isDirectory(resumed.resolve("checkpoints/step_4")));
        assertEquals(8, trainer(resumed).train().steps());

        Map<String, StoredTensor> a = TrainerTest.params(straight.resolve("checkpoints/step_8/model.pt"));
        Map<String, StoredTensor> b = TrainerTest.params(resumed.resolve("checkpoints/step_8/model.pt"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        Map<String, Object> sa = new Yaml().load(Files.readString(straight.resolve("checkpoints/step_8/trainer_state.yaml")));
        Map<String, Object> sb = new Yaml().load(Files.readString(resumed.resolve("checkpoints/step_8/trainer_state.yaml")));
        assertEquals(sa.get("loss_scaler"), sb.get("loss_scaler"));
        Map<String, Object> s4 = new Yaml().load(Files.readString(resumed.resolve("checkpoints/step_4/trainer_state.yaml")));
        assertTrue(s4.get("loss_scaler") instanceof Map<?, ?> m && m.containsKey("scale") && m.containsKey("growth_tracker"), s4.toString());

        TreeMap<Long, double[]> ma = metrics(straight), mb = metrics(resumed);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), new ArrayList<>(ma.keySet()));
        List<Double> scales = new ArrayList<>();
        for (double[] v : ma.values()) scales.add(v[0]);
        List<Double> scalesResumed = new ArrayList<>();
        for (double[] v : mb.values()) scalesResumed.add(v[0]);
        assertEquals(scales, scalesResumed, "the resumed run's loss scales");
        // metrics.jsonl prints 8 significant digits
        assertEquals(((Number) ((Map<?, ?>) sa.get("loss_scaler")).get("scale")).doubleValue(), scales.get(7), scales.get(7) * 1e-7);
        // 2^127 overflowed float32 before step 1 was taken; after step 4 the scale still falls somewhere (an overflow
        // after the resume point), and it grows after 2 clean steps
        assertTrue(scales.get(0) < HUGE_SCALE / 2, "overflows before step 1: " + scales);
        boolean fallsAfter4 = false, grows = false;
        for (int i = 1; i < scales.size(); i++) {
            if (i >= 4 && scales.get(i) < scales.get(i - 1)) fallsAfter4 = true;
            if (scales.get(i) > scales.get(i - 1)) grows = true;
            double ratio = Math.log(scales.get(i) / scales.get(i - 1)) / Math.log(2);
            assertEquals(Math.rint(ratio), ratio, 1e-12, "the scale changes by powers of 2: " + scales);
        }
        assertTrue(fallsAfter4, "an overflow after the resume point: " + scales);
        assertTrue(grows, "growth after a clean window: " + scales);

        // the peak memory: the process's own high-water mark, read here independently from /proc/self/status
        double previous = 0;
        for (double[] v : ma.values()) {
            assertTrue(v[1] >= rssBefore - 1, "the peak " + v[1] + " MiB is at least the resident size before training " + rssBefore);
            assertTrue(v[1] <= peakAfter + 1, "the peak " + v[1] + " MiB is at most the high-water mark after training " + peakAfter);
            assertTrue(v[1] >= previous, "a peak never falls");
            previous = v[1];
        }
    }

    @Test
    void aModelThatDoesNotFitIsOneLineAndLeavesNothing() throws Exception {
        // an FFN of 2^31 - 1 inner units: a weight matrix of hundreds of GB, which libtorch's allocator refuses at once
        // (the operating system declines a request beyond RAM and swap; no memory is touched). Where the kernel
        // grants any request (overcommit mode 1) or the machine has that much memory, the weights would really be
        // filled: the test does not run there.
        assumeTrue(!Files.readString(Path.of("/proc/sys/vm/overcommit_memory")).strip().equals("1"), "overcommit mode 1");
        assumeTrue(procMeminfoGib("MemTotal") + procMeminfoGib("SwapTotal") < 150, "more than 150 GiB of memory and swap");
        Path out = tmp.resolve("huge");
        List<String> args = new ArrayList<>(TrainerTest.args(out, 2,
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 2147483647}}"));
        Cli.Outcome o = Cli.exec(args);
        Cli.assertUserError(o, "out of memory while building the model", "can't allocate memory", "model_arch");
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
        assertFalse(Files.exists(out), "a refused run writes nothing");
    }

    @Test
    void lossScalerKeysAreRefusedWhereNoScalerRuns() {
        Path out = tmp.resolve("refused");
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(overrides(out));
        Cli.Outcome o = Cli.exec(args); // float32 on the CPU: no loss scaler
        Cli.assertUserError(o, "trainer.loss_scaler_scale_window=2", "torch.float32", "remove the key");
        assertFalse(Files.exists(out), "a refused run writes nothing");
        args.add("++trainer.dtype=torch.float16");
        args.add("~trainer.loss_scaler_scale_window");
        Cli.Outcome fp16 = Cli.exec(args);
        Cli.assertUserError(fp16, "trainer.loss_scaler_init_scale=1.7", "on the CPU");
        assertFalse(Files.exists(out));
    }
}
