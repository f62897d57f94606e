package dev.lcm4j.models.baselcm;

import dev.lcm4j.models.ProjectionConfig;
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
        return m;
    }

    /** 2 layers, d=1024, 8 heads, learned positions, LayerNorm, ReLU FFN 4096: 29,388,800 parameters. */
    static BaseLcmConfig toy() {
        BaseLcmConfig d = BaseLcmConfig.defaults();
        return d;
    }

    /**
     * 32 layers, d=2048, 16 heads, RoPE, RMSNorm, SwiGLU (inner 5632), output-proj bias, dummy normalizer:
     * 1,649,185,792 parameters (the reference's docstring says 1,647,635,456, which its own config does not build;
     * docs/quirks.md #1).
     */
    static BaseLcmConfig base1_6B() {
        int modelDim = 2048;
        TransformerConfig t = TransformerConfig.defaults();
        TransformerConfig lcm = new TransformerConfig(32, 16, 0.1, 0.0, 0.0, modelDim * 4, true,
                t.ffn_inner_activation_name(), "rope", t.rope_theta(), "rms", t.norm_order_style(),
                t.final_norm_order_style(), false, false, false, true, null, t.attention_output_init_fn());
        return new BaseLcmConfig(BaseLcmConfig.FAMILY, 1024, "dummy_sonar_normalizer", 4096, modelDim, null,
                LcmFrontendConfig.defaults(), lcm, ProjectionConfig.defaults());
    }
}
