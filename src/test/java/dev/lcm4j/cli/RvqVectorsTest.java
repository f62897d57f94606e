package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sample buffer of {@code ./lcm rvq fit}: it grows past its first allocation and keeps every row in order. */
class RvqVectorsTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @Test
    void growsAndKeepsEveryRow() {
        RvqCommand.Vectors v = new RvqCommand.Vectors(200_000);
        int n = (int) (2.5 * RvqCommand.Vectors.FIRST_ROWS);   // two doublings
        for (int i = 0; i < n; i++) v.add(new float[] {i, -i}, "test");
        float[] all = Tensors.toFloats(v.tensor());
        assertEquals(2L * n, all.length);
        for (int i = 0; i < n; i++) {
            if (all[2 * i] != i || all[2 * i + 1] != -i) fail("row " + i + " holds " + all[2 * i] + ", " + all[2 * i + 1]);
        }
        assertThrows(LcmException.class, () -> v.add(new float[3], "x.parquet"));
    }
}
