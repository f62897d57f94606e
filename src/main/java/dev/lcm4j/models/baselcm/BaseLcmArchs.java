package dev.lcm4j.models.baselcm;

import dev.lcm4j.nn.TransformerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Named archs of {@code base_lcm}, as {@code lcm/models/base_lcm/archs.py} registers them. */
public final class BaseLcmArchs {
    private BaseLcmArchs() {}

    public static Map<String, Supplier<BaseLcmConfig>> all() {
        Map<String, Supplier<BaseLcmConfig>> m = new LinkedHashMap<>();
        m.put("toy_base_lcm", BaseLcmArchs::toy);
        m.put("base_lcm_1_6B", BaseLcmArchs::base1_6B);
        m.put("demo_base_lcm", BaseLcmArchs::demo);
        return m;
    }

    /** 2 layers, d=1024, 8 heads, learned positions, LayerNorm, ReLU FFN 4096: 29,388,800 parameters. */
    static BaseLcmConfig toy() {
        return BaseLcmConfig.defaults();
    }

    /**
     * lcm4j's arch for {@code ./lcm demo}: 384-d concepts (the offline MiniLM space), 1 layer, d=256, 8 heads, ReLU
     * FFN 512 and dropout 0.3 everywhere, sized to about ten thousand training sentences, on which the 29M-parameter
     * toy overfits within a few dozen steps: 790,144 parameters.
     */
    static BaseLcmConfig demo() {
        return BaseLcmConfig.builder()
                .sonar_embed_dim(384)
                .max_seq_len(256)
                .model_dim(256)
                .lcm(TransformerConfig.builder()
                        .num_layers(1)
                        .num_attn_heads(8)
                        .ffn_inner_dim(512)
                        .dropout_p(0.3)
                        .final_dropout_p(0.3)
                        .build())
                .build();
    }

    /**
     * 32 layers, d=2048, 16 heads, RoPE, RMSNorm, SwiGLU (inner 5632), output-proj bias, dummy normalizer:
     * 1,649,185,792 parameters (the reference's docstring says 1,647,635,456, which its own config does not build;
     * docs/quirks.md #1).
     */
    static BaseLcmConfig base1_6B() {
        int modelDim = 2048;
        return BaseLcmConfig.builder()
                .sonar_normalizer_name("dummy_sonar_normalizer")
                .max_seq_len(4096)
                .model_dim(modelDim)
                .lcm(TransformerConfig.builder()
                        .num_layers(32)
                        .num_attn_heads(16)
                        .final_dropout_p(0.0)
                        .ffn_inner_dim(modelDim * 4)
                        .use_swiglu(true)
                        .pos_embedding_style("rope")
                        .layer_normalization_style("rms")
                        .mha_output_proj_bias(true)
                        .build())
                .build();
    }
}
