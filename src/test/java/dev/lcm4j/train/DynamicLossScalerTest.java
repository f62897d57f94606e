package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The fp16 loss scaler's arithmetic against fairseq2's and GradScaler's numbers, computed by hand. */
class DynamicLossScalerTest {
    @Test
    void theDefaultWindowIsFairseq2s() {
        // max(int(2**14 / world_size), 1)
        assertEquals(16384, DynamicLossScaler.defaultScaleWindow(1));
        assertEquals(8192, DynamicLossScaler.defaultScaleWindow(2));
        assertEquals(5461, DynamicLossScaler.defaultScaleWindow(3));
        assertEquals(1, DynamicLossScaler.defaultScaleWindow(20000));
        assertEquals(16384, DynamicLossScaler.enabled(32768, null, 1).scaleWindow());
        assertEquals(7, DynamicLossScaler.enabled(32768, 7, 4).scaleWindow());
    }

    @Test
    void overflowHalvesGrowthDoublesAfterAFullCleanWindow() {
        DynamicLossScaler s = DynamicLossScaler.enabled(32768, 3, 1);
        assertEquals(32768.0, s.scale());
        assertEquals(Math.scalb(1.0, -15), s.inverseScale());
        s.overflowed(1);
        assertEquals(16384.0, s.scale());
        s.stepped(2);
        s.stepped(3);
        assertEquals(16384.0, s.scale(), "two clean steps of a window of three");
        s.stepped(4);
        assertEquals(32768.0, s.scale(), "the third clean step doubles the scale");
        s.stepped(5);
        s.stepped(6);
        s.overflowed(7); // the overflow restarts the count
        assertEquals(16384.0, s.scale());
        s.stepped(8);
        s.stepped(9);
        assertEquals(16384.0, s.scale());
        s.stepped(10);
        assertEquals(32768.0, s.scale());
    }

    @Test
    void fallingBelowTheMinimumScaleEndsTheRun() {
        // 2^15 halves to 2^-13 = 1.22e-4 >= 1e-4 in 28 overflows; the 29th would give 6.1e-5 < 1e-4
        DynamicLossScaler s = DynamicLossScaler.enabled(32768, null, 1);
        for (int i = 1; i <= 28; i++) s.overflowed(i);
        assertEquals(Math.scalb(1.0, -13), s.scale());
        LcmException e = assertThrows(LcmException.class, () -> s.overflowed(29));
        assertTrue(e.getMessage().contains("exploding") && e.getMessage().contains("step 29"), e.getMessage());
        assertTrue(e.getMessage().contains("++trainer.lr"), e.getMessage());
    }

    @Test
    void stateRoundTripsAndTheRestoredScalerContinuesIdentically() {
        DynamicLossScaler a = DynamicLossScaler.enabled(1024, 4, 1);
        a.overflowed(1);
        a.stepped(2);
        a.stepped(3);
        Map<String, Object> st = a.state();
        assertEquals(512.0, st.get("scale"));
        assertEquals(2, st.get("growth_tracker"));
        DynamicLossScaler b = DynamicLossScaler.enabled(1024, 4, 1);
        b.restore(st, "test");
        assertEquals(512.0, b.scale());
        // two more clean steps complete the window in both
        for (DynamicLossScaler s : new DynamicLossScaler[] {a, b}) {
            s.stepped(4);
            assertEquals(512.0, s.scale());
            s.stepped(5);
            assertEquals(1024.0, s.scale());
        }
        assertThrows(LcmException.class, () -> b.restore(Map.of("scale", -1.0, "growth_tracker", 0), "bad.yaml"));
    }

    @Test
    void disabledScalesNothingAndSavesNothing() {
        TorchRuntime.init();
        DynamicLossScaler s = DynamicLossScaler.disabled();
        assertFalse(s.enabled());
        assertEquals(1.0, s.scale());
        assertEquals(1.0, s.inverseScale());
        Tensor loss = Tensors.floats(new float[] {3f}, 1);
        assertSame(loss, s.scaled(loss));
        assertNull(s.state());
        s.restore(Map.of("scale", 8.0, "growth_tracker", 0), "ignored");
        assertEquals(1.0, s.scale());
        DynamicLossScaler on = DynamicLossScaler.enabled(8, null, 1);
        assertEquals(24.0, on.scaled(Tensors.floats(new float[] {3f}, 1)).sum().item_double());
    }
}
