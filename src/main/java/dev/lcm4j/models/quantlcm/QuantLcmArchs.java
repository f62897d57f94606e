package dev.lcm4j.models.quantlcm;

import dev.lcm4j.nn.TransformerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Named archs of {@code quant_lcm_d} and {@code quant_lcm_c}: a toy each and the paper's 1.6B (§2.4.1). */
public final class QuantLcmArchs {
    private QuantLcmArchs() {}

    public static Map<String, Supplier<QuantLcmConfig>> of(String family) {
        Map<String, Supplier<QuantLcmConfig>> m = new LinkedHashMap<>();
        m.put("toy_" + family, () -> toy(family));
        m.put("demo_" + family, () -> demo(family));
        m.put(family + "_1_6B", () -> paper1_6B(family));
        return m;
    }

    /**
     * A small model for tests and trials: 1024-d concepts with the {@code dummy_sonar_normalizer}, a quantizer of
     * 8 x 256 (the demo preset), d = 256, d_k = 256, 2 layers, 8 heads, LayerNorm, ReLU FFN 1024, learned positions
     * (256), trained with guidance (p = 0.15). Needs {@code quantizer_path}.
     * quant_lcm_d: 2,041,088 parameters; quant_lcm_c: 2,238,464.
     */
    static QuantLcmConfig toy(String family) {
        return QuantLcmConfig.defaults(family)
                .withShape(1024, 8, 256, 256, 256, 256,
                        TransformerConfig.builder().num_layers(2).num_attn_heads(8).ffn_inner_dim(1024).build())
                .withNormalizer("dummy_sonar_normalizer", true);
    }

    /**
     * The size of {@code ./lcm demo --all-families}: 384-d concepts (the offline MiniLM space; the demo names its
     * normalizer and quantizer), a quantizer of 8 x 256, d = 256, a 256-wide codebook-index table, 2 layers, 8 heads,
     * ReLU FFN 1024, learned positions (256), dropout 0.3 against the demo's small data, trained with guidance.
     * The same stack as {@code demo_one_tower_diffusion_lcm}; parameter counts in docs/quant-lcm.md.
     */
    static QuantLcmConfig demo(String family) {
        return QuantLcmConfig.defaults(family)
                .withShape(384, 8, 256, 256, 256, 256, TransformerConfig.builder()
                        .num_layers(2)
                        .num_attn_heads(8)
                        .ffn_inner_dim(1024)
                        .dropout_p(0.3)
                        .final_dropout_p(0.3)
                        .build())
                .withNormalizer(null, true);
    }

    /**
     * The paper's Quant-LCM (§2.4.1: "exactly the same architecture as the One-Tower diffusion LCM", -d with an
     * 8192-way output): 32 layers, d = 2048, 32 heads, FFN 8192 (SwiGLU), RMSNorm, attention output-projection bias,
     * learned positions (4096), a 65 x 2048 codebook-index table, quantizer 64 x 8192. quant_lcm_c: 1,661,901,824
     * parameters; quant_lcm_d: 1,676,589,056 (derivation in docs/quant-lcm.md).
     */
    static QuantLcmConfig paper1_6B(String family) {
        int d = 2048;
        return QuantLcmConfig.defaults(family)
                .withShape(1024, 64, 8192, 4096, d, d, TransformerConfig.builder()
                        .num_layers(32)
                        .num_attn_heads(32)
                        .final_dropout_p(0.0)
                        .ffn_inner_dim(4 * d)
                        .use_swiglu(true)
                        .pos_embedding_style("learned")
                        .layer_normalization_style("rms")
                        .mha_output_proj_bias(true)
                        .build())
                .withNormalizer("dummy_sonar_normalizer", true);
    }
}
