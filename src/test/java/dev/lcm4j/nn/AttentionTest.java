package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AttentionTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    /** The plain formula used at head dim >= 128 on CPU equals libtorch's fused attention. */
    @Test
    void mathAttentionEqualsFusedAttention() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            manual_seed(3);
            Tensor q = randn(2, 3, 5, 128), k = randn(2, 3, 5, 128), v = randn(2, 3, 5, 128);
            Tensor mask = ones(5, 5).tril().to(org.bytedeco.pytorch.global.torch.ScalarType.Bool);
            float[] fused = Tensors.toFloats(scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true, new DoubleOptional(), false));
            float[] math = Tensors.toFloats(MultiheadAttention.mathAttention(q, k, v, mask, 0.0));
            assertArrayEquals(fused, math, 1e-5f);
        }
    }

    /** KV-cache decoding equals full causal attention, on both the fused (d=32) and the plain (d=128) paths. */
    @Test
    void cachedDecodingEqualsFullAttentionForBothPaths() {
        for (int heads : new int[] {8, 2}) { // head dim 32 and 128
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                manual_seed(4);
                RotaryEncoder rope = new RotaryEncoder(256 / heads, 16, 10000.0, ParamFactory.cpu());
                MultiheadAttention att = new MultiheadAttention(ParamFactory.cpu(), 256, heads, true, InitFn.XAVIER, rope, 0.0);
                att.train(false);
                Tensor x = randn(2, 6, 256);
                float[] full = Tensors.toFloats(att.forward(x, null));
                KvCache cache = new KvCache();
                float[] prefix = Tensors.toFloats(att.forward(x.narrow(1, 0, 3), cache));      // prefill 3 positions
                float[] rest = Tensors.toFloats(att.forward(x.narrow(1, 3, 3), cache));        // then 3 at once (explicit mask)
                for (int b = 0; b < 2; b++) {
                    for (int p = 0; p < 6; p++) {
                        for (int c = 0; c < 256; c++) {
                            float got = p < 3 ? prefix[(b * 3 + p) * 256 + c] : rest[(b * 3 + p - 3) * 256 + c];
                            assertEquals(full[(b * 6 + p) * 256 + c], got, 1e-5, "heads " + heads + " b " + b + " p " + p);
                        }
                    }
                }
                cache.clear();
            }
        }
    }
}
