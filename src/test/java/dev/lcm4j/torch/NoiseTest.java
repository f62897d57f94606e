package dev.lcm4j.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-row noise: a row's draws depend on its seed and its own earlier draws only. */
class NoiseTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    /** The first two [3]-draws of a generator seeded with {@code seed}. */
    private static float[][] alone(long seed) {
        try (Noise n = Noise.perRow(new long[] {seed})) {
            return new float[][] {Tensors.toFloats(n.randn(new long[] {1, 3}, null)), Tensors.toFloats(n.randn(new long[] {1, 3}, null))};
        }
    }

    @Test
    void rowsDrawFromTheirOwnSeededGenerators() {
        float[][] a = alone(5), b = alone(6);
        try (Noise n = Noise.perRow(new long[] {5, 6})) {
            float[] first;
            // the generators outlive the pointer scope of the call that drew from them
            try (PointerScope s = new PointerScope()) {
                first = Tensors.toFloats(n.randn(new long[] {2, 3}, null));
            }
            assertArrayEquals(a[0], Arrays.copyOfRange(first, 0, 3));
            assertArrayEquals(b[0], Arrays.copyOfRange(first, 3, 6));
            // row 0 reads its prompt this step: zeros, and its generator does not move
            n.drawOnlyFor(new boolean[] {false, true});
            float[] second = Tensors.toFloats(n.randn(new long[] {2, 3}, null));
            assertArrayEquals(new float[3], Arrays.copyOfRange(second, 0, 3));
            assertArrayEquals(b[1], Arrays.copyOfRange(second, 3, 6));
            // row 1 finishes; row 0 goes on with its own second draw
            n.keepRows(new long[] {0});
            assertArrayEquals(a[1], Tensors.toFloats(n.randn(new long[] {1, 3}, null)));
            assertThrows(IllegalStateException.class, () -> n.randn(new long[] {2, 3}, null));
        }
        assertFalse(Arrays.equals(a[0], b[0]));
    }

    @Test
    void sampleSeedsMixSeedAndIndex() {
        assertEquals(Noise.seedFor(42, 7), Noise.seedFor(42, 7));
        // not seed + index: seed 42 sample 1 and seed 43 sample 0 draw different noise
        assertNotEquals(Noise.seedFor(42, 1), Noise.seedFor(43, 0));
        assertNotEquals(Noise.seedFor(42, 0), Noise.seedFor(42, 1));
    }
}
