package dev.lcm4j.models.onetower;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one-tower masks on small shapes (written out by hand), exact guidance-drop counts, the archs' parameter counts. */
class OneTowerModelTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    static float[] flat(Tensor bool) {
        return Tensors.toFloats(bool.to(org.bytedeco.pytorch.global.torch.ScalarType.Float).contiguous());
    }

    @Test
    void theInterleavedMaskOfThreeSentencesIsThePapersFigure() {
        //            n0 c0 n1 c1 n2 c2
        float[] want = {
                1, 0, 0, 0, 0, 0,   // n0: itself only
                0, 1, 0, 0, 0, 0,   // c0
                0, 1, 1, 0, 0, 0,   // n1: c0 and itself, not c1 (its own target)
                0, 1, 0, 1, 0, 0,   // c1: the clean stream, causal
                0, 1, 0, 1, 1, 0,   // n2: c0, c1, itself
                0, 1, 0, 1, 0, 1};  // c2
        Tensor m = InterleavedMask.training(3, null, new long[] {3}, 0.0, null);
        assertArrayEquals(new long[] {1, 1, 6, 6}, m.sizes().vec().get());
        assertArrayEquals(want, flat(m));
    }

    @Test
    void aDroppedSentenceSeesOnlyItselfAndCleanRowsAreUntouched() {
        //            n0 c0 n1 c1 n2 c2
        float[] want = {
                1, 0, 0, 0, 0, 0,
                0, 1, 0, 0, 0, 0,
                0, 1, 1, 0, 0, 0,
                0, 1, 0, 1, 0, 0,
                0, 0, 0, 0, 1, 0,   // n2 dropped: itself only
                0, 1, 0, 1, 0, 1};
        assertArrayEquals(want, InterleavedMask.mask(3, new boolean[] {false, false, true}));
    }

    @Test
    void teacherForcingLetsLatentISeeCleanSentencesZeroToI() {
        assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0, 1, 1, 1}, flat(InterleavedMask.nextPositions(3, null)));
    }

    /** Rows of the unsupervised mask whose noisy slot lost its clean keys. */
    static boolean[] droppedOf(float[] m, int n) {
        int len = 2 * n;
        boolean[] d = new boolean[n];
        for (int s = 1; s < n; s++) d[s] = m[(2 * s) * len + 1] == 0f;   // clean slot 1 (sentence 0) is visible unless dropped
        return d;
    }

    @Test
    void guidanceDropsExactlyFloorOfNMinusOneTimesPNeverTheFirstSentenceAndIsSeeded() {
        int n = 21;                                                          // floor(20 * 0.15) = 3
        torch.manual_seed(5);
        float[] a = flat(InterleavedMask.training(n, null, new long[] {n, n}, 0.15, null));
        torch.manual_seed(5);
        float[] b = flat(InterleavedMask.training(n, null, new long[] {n, n}, 0.15, null));
        assertArrayEquals(a, b, "the same seed drops the same sentences");
        boolean[] d = droppedOf(a, n);
        assertFalse(d[0]);
        int count = 0;
        for (boolean x : d) if (x) count++;
        assertEquals(3, count, Arrays.toString(d));
        // every dropped noisy row keeps exactly its self-edge; every other row is the plain interleaved rule
        float[] plain = InterleavedMask.mask(n, null);
        int len = 2 * n;
        for (int q = 0; q < len; q++) {
            for (int k = 0; k < len; k++) {
                float expect = q % 2 == 0 && d[q / 2] ? (k == q ? 1f : 0f) : plain[q * len + k];
                assertEquals(expect, a[q * len + k], "q=" + q + " k=" + k);
            }
        }
        // p = 0.15 over 6 sentences drops floor(5 * 0.15) = 0
        assertArrayEquals(InterleavedMask.mask(6, null), flat(InterleavedMask.training(6, null, new long[] {6}, 0.15, null)));
    }

    @Test
    void supervisedGuidanceDropsPerRowAmongTheAnswerSentences() {
        // rows: 3 prompt + 11 answers, 1 prompt + 5 answers; S = 11 targets -> floor(10 * 0.15) = 1 per row
        long[] src = {3, 1}, len = {14, 6};
        torch.manual_seed(9);
        Tensor m = InterleavedMask.training(14, src, len, 0.15, null);
        assertArrayEquals(new long[] {2, 1, 28, 28}, m.sizes().vec().get());
        for (int r = 0; r < 2; r++) {
            boolean[] d = droppedOf(flat(m.select(0, r)), 14);
            int count = 0;
            for (int s = 0; s < 14; s++) {
                if (!d[s]) continue;
                count++;
                assertTrue(s > src[r], "row " + r + ": only answer sentences after the first are dropped, got " + s);
            }
            // row 1's draw may land on a target index past its 5 answers (padding): then nothing is dropped
            assertTrue(r == 0 ? count == 1 : count <= 1, "row " + r + ": " + Arrays.toString(d));
        }
    }

    @Test
    void archParameterCounts() {
        // toy, counted by hand: pre_linear (1024+256)*256+256, positions 256*256, timestep MLP 2*(256*256+256),
        // 2 layers of (q,k,v with bias + output without: 3*65,792+65,536; 2 LayerNorms 1,024; ReLU FFN
        // 256*1024+1024 + 1024*256+256), final LayerNorm 512, postnet 256*1024+1024 (PyTorch's count agrees)
        long layer = 3 * 65_792 + 65_536 + 1_024 + (256 * 1024 + 1024) + (1024 * 256 + 256);
        long toy = (1280L * 256 + 256) + 256 * 256 + 2 * (256 * 256 + 256) + 2 * layer + 512 + (256 * 1024 + 1024);
        assertEquals(2_367_744, toy);
        assertEquals(toy, ModelFamilies.parameterCount(OneTowerDiffusionLcmArchs.toy()));
        // the demo arch: the toy's stack over 384-d concepts, so only the PreNet (384+256 -> 256) and PostNet (256 -> 384) shrink
        long demo = toy - (1280L * 256 + 256) + (640L * 256 + 256) - (256 * 1024 + 1024) + (256 * 384 + 384);
        assertEquals(2_039_424, demo);
        assertEquals(demo, ModelFamilies.parameterCount(ModelFamilies.arch("demo_one_tower_diffusion_lcm").config().get()));
        // 1.6B (docs/one-tower.md): 32 layers of 51,405,824, final RMSNorm, PreNet 3072 -> 2048, timestep MLP
        // 256 -> 2048 -> 2048, 4096 learned positions, postnet 2048 -> 1024
        long big = 32 * 51_405_824L + 2048 + (3072L * 2048 + 2048) + (256L * 2048 + 2048 + 2048L * 2048 + 2048)
                + 4096L * 2048 + (2048L * 1024 + 1024);
        assertEquals(1_666_491_392L, big);
        assertEquals(big, ModelFamilies.parameterCount(ModelFamilies.arch("one_tower_diffusion_lcm_1_6B").config().get()));
    }

    @Test
    void ropeIsRefusedByName() {
        OneTowerDiffusionLcmConfig c = OneTowerDiffusionLcmArchs.toy().toBuilder()
                .lcm(dev.lcm4j.nn.TransformerConfig.builder().pos_embedding_style("rope").build()).build();
        LcmException e = assertThrows(LcmException.class, () -> c.validate("cfg"));
        assertTrue(e.getMessage().contains("pos_embedding_style=rope") && e.getMessage().contains("learned"), e.getMessage());
    }
}
