package dev.lcm4j.torch;

import static org.bytedeco.pytorch.global.torch.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checkpointed segments against the same segments run plainly: the gradients of parameters and of inputs agree, with
 * dropout drawing the same masks in the recomputation, under bf16 autocast too, and with inputs that need no gradient.
 */
class ActivationCheckpointTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    /** Parameters of a chain of 3 segments y = x + dropout(tanh(x W_i + c)), c a shared conditioning. */
    private static final class Chain {
        final Tensor[] w = new Tensor[3];
        final Tensor x0, cond;

        Chain(boolean inputsNeedGrad) {
            manual_seed(7);
            for (int i = 0; i < w.length; i++) {
                w[i] = randn(8, 8).mul(Tensors.scalar(0.3)).set_requires_grad(true);
                w[i].retainReference();
            }
            x0 = randn(4, 5, 8).set_requires_grad(inputsNeedGrad);
            cond = randn(4, 1, 8).set_requires_grad(inputsNeedGrad);
            x0.retainReference();
            cond.retainReference();
        }

        Tensor segment(int i, Tensor x, Tensor c) {
            Tensor h = tanh(matmul(x, w[i]).add(c));
            return x.add(dropout(h, 0.3, true));
        }

        /** Gradients of (w_0..w_2, x0, cond) of sum(y^2) with or without checkpointing, after seeding the RNG with 11. */
        float[][] gradients(boolean checkpoint, boolean bf16) {
            return gradients(checkpoint, bf16, 11);
        }

        float[][] gradients(boolean checkpoint, boolean bf16, long seed) {
            for (Tensor t : new Tensor[] {w[0], w[1], w[2], x0, cond}) {
                if (t.grad().defined()) t.mutable_grad().zero_();
            }
            try (PointerScope s = new PointerScope()) {
                manual_seed(seed);
                if (bf16) Autocast.enter();
                Tensor x = x0.mul(Tensors.scalar(1.0));
                try {
                    for (int i = 0; i < w.length; i++) {
                        int layer = i;
                        x = checkpoint ? ActivationCheckpoint.run(in -> segment(layer, in[0], in[1]), x, cond)
                                : segment(i, x, cond);
                    }
                } finally {
                    if (bf16) Autocast.exit();
                }
                x.to(org.bytedeco.pytorch.global.torch.ScalarType.Float).pow(Tensors.scalar(2)).sum().backward();
                float[][] out = new float[5][];
                Tensor[] all = {w[0], w[1], w[2], x0, cond};
                for (int k = 0; k < all.length; k++) out[k] = all[k].grad().defined() ? Tensors.toFloats(all[k].grad()) : null;
                return out;
            }
        }
    }

    private static void assertClose(float[][] expected, float[][] actual, double tol) {
        for (int k = 0; k < expected.length; k++) {
            if (expected[k] == null) {
                assertEquals(null, actual[k], "tensor " + k + " has a gradient only with checkpointing");
                continue;
            }
            double max = 0;
            for (int i = 0; i < expected[k].length; i++) max = Math.max(max, Math.abs(expected[k][i] - actual[k][i]));
            assertTrue(max <= tol, "tensor " + k + ": max |difference| " + max);
        }
    }

    @Test
    void gradientsEqualThePlainRunsWithDropout() {
        Chain c = new Chain(true);
        float[][] plain = c.gradients(false, false);
        float[][] checkpointed = c.gradients(true, false);
        assertClose(plain, checkpointed, 1e-6);
        assertEquals(0, ActivationCheckpoint.pendingHooks());
        // the masks matter: another dropout draw gives other gradients, so equal gradients mean equal masks
        float[][] otherMasks = c.gradients(false, false, 12);
        double diff = 0;
        for (int i = 0; i < plain[0].length; i++) diff = Math.max(diff, Math.abs(plain[0][i] - otherMasks[0][i]));
        assertTrue(diff > 1e-3, "dropout changes the gradients: " + diff);
    }

    @Test
    void gradientsEqualThePlainRunsUnderBf16Autocast() {
        Chain c = new Chain(true);
        assertClose(c.gradients(false, true), c.gradients(true, true), 1e-6);
    }

    @Test
    void parametersGetGradientsWhenNoInputNeedsOne() {
        Chain c = new Chain(false);
        float[][] plain = c.gradients(false, false);
        float[][] checkpointed = c.gradients(true, false);
        assertClose(plain, checkpointed, 1e-6);
        assertEquals(null, checkpointed[3]);
        assertEquals(0, ActivationCheckpoint.pendingHooks());
    }

    @Test
    void withoutGradModeTheSegmentJustRuns() {
        Chain c = new Chain(true);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor y = ActivationCheckpoint.run(in -> c.segment(0, in[0], in[1]), c.x0, c.cond);
            assertFalse(y.requires_grad());
            assertEquals(0, ActivationCheckpoint.pendingHooks());
        }
    }
}
