package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.launch.LocalLauncher;
import dev.lcm4j.models.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data parallelism is exact: 5 steps of the same global batches on 1 process and on 2 processes (Gloo, two JVMs)
 * give the same parameters within 1e-5, for the MSE and the two-tower model, with the replicated and the sharded
 * optimizer, with gradient accumulation, and with one full batch against two halves; and with the fp16 loss scaler
 * when only rank 1's gradient overflows: both ranks skip the step (the harness fails if a rank's scale was not halved
 * once), and the runs still agree.
 */
@Tag("slow")
class DataParallelTest {
    @TempDir static Path tmp;
    static Path one, two;
    static String log;

    @BeforeAll
    static void runBoth() throws Exception {
        one = Files.createDirectories(tmp.resolve("one"));
        two = Files.createDirectories(tmp.resolve("two"));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int a = LocalLauncher.forMainClass(new LocalLauncher.Options(1, 0, 0, 2), DataParallelHarness.class.getName(), out)
                .run(List.of(one.toString()));
        int b = LocalLauncher.forMainClass(new LocalLauncher.Options(2, 0, 0, 1), DataParallelHarness.class.getName(), out)
                .run(List.of(two.toString()));
        log = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, a, log);
        assertEquals(0, b, log);
    }

    @Test
    void everyCaseGivesTheSameParameters() {
        for (DataParallelHarness.Case c : DataParallelHarness.CASES) {
            Map<String, StoredTensor> p1 = Checkpoints.readState(one.resolve(c.name() + ".pt"));
            Map<String, StoredTensor> p2 = Checkpoints.readState(two.resolve(c.name() + ".pt"));
            assertEquals(p1.keySet(), p2.keySet(), c.name());
            double worst = 0, moved = 0;
            for (String k : p1.keySet()) {
                float[] x = p1.get(k).toFloatArray(), y = p2.get(k).toFloatArray();
                for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
            // bfloat16 gradient sums round to 8 bits of mantissa: the same training, not the same bits
            double tolerance = c.bf16Reduce() ? 2e-3 : 1e-5;
            assertTrue(worst <= tolerance, c.name() + ": parameters differ by " + worst);
            if (c.bf16Reduce()) assertTrue(worst > 0, c.name() + ": a bfloat16 reduction cannot be exact");
        }
    }

    @Test
    void trainingMovesTheParameters() {
        // a vacuous comparison would pass with untrained models: the 5 steps must have changed them
        for (DataParallelHarness.Case c : DataParallelHarness.CASES) {
            Map<String, StoredTensor> p = Checkpoints.readState(one.resolve(c.name() + ".pt"));
            dev.lcm4j.torch.TorchRuntime.init();
            org.bytedeco.pytorch.global.torch.manual_seed(11);
            var fresh = DataParallelHarness.model(c);
            double moved = 0;
            for (var e : fresh.stateDict().entrySet()) {
                if (!p.containsKey(e.getKey())) continue;
                float[] a = dev.lcm4j.torch.Tensors.toFloats(e.getValue()), b = p.get(e.getKey()).toFloatArray();
                for (int i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs(a[i] - b[i]));
            }
            assertTrue(moved > 1e-3, c.name() + ": the parameters barely moved (" + moved + ")");
        }
    }
}
