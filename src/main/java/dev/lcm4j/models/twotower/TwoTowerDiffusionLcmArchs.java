package dev.lcm4j.models.twotower;

import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Named archs of {@code two_tower_diffusion_lcm}, as {@code lcm/models/two_tower_diffusion_lcm/archs.py} registers them. */
public final class TwoTowerDiffusionLcmArchs {
    private TwoTowerDiffusionLcmArchs() {}

    public static Map<String, Supplier<TwoTowerDiffusionLcmConfig>> all() {
        Map<String, Supplier<TwoTowerDiffusionLcmConfig>> m = new LinkedHashMap<>();
        m.put("toy_two_tower_diffusion_lcm", TwoTowerDiffusionLcmArchs::toy);
        m.put("two_tower_diffusion_lcm_1_6B", () -> published(2048, 16, 13));
        m.put("two_tower_diffusion_lcm_7B", () -> published(4096, 32, 14));
        return m;
    }

    /**
     * 2 + 2 layers, d=1024, 8 heads, learned positions (init std 1.0), LayerNorm, ReLU FFN 4096, dropout 0.1,
     * 1000 diffusion steps, no guidance training, the {@code dummy_sonar_normalizer}: 84,235,264 parameters.
     */
    static TwoTowerDiffusionLcmConfig toy() {
        TwoTowerDiffusionLcmConfig d = TwoTowerDiffusionLcmConfig.defaults();
        return new TwoTowerDiffusionLcmConfig(d.model_type(), d.sonar_embed_dim(), "dummy_sonar_normalizer", d.max_seq_len(),
                d.model_dim(), d.frontend(), d.context_encoder(), d.noise_scheduler(), d.denoiser(), false);
    }

    /**
     * 5-layer context encoder (RoPE) and an N-layer denoiser, RMSNorm, SwiGLU (ffn 4d), output-projection bias,
     * dropout 0.1, 100 diffusion steps, trained with classifier-free guidance. d=2048/16 heads/13 layers gives
     * 1,645,538,304 parameters (the reference's docstring says 1,635,101,696, which its own config does not build);
     * d=4096/32 heads/14 layers gives 6,930,781,696, as its docstring says (docs/quirks.md #1).
     */
    static TwoTowerDiffusionLcmConfig published(int modelDim, int heads, int denoiserLayers) {
        TransformerConfig t = TransformerConfig.defaults();
        TransformerConfig encoder = new TransformerConfig(5, heads, 0.1, 0.0, 0.0, 4 * modelDim, true,
                t.ffn_inner_activation_name(), "rope", t.rope_theta(), "rms", t.norm_order_style(), t.final_norm_order_style(),
                false, false, false, true, null, t.attention_output_init_fn());
        TransformerConfig den = new TransformerConfig(denoiserLayers, heads, 0.1, 0.0, 0.0, 4 * modelDim, true,
                t.ffn_inner_activation_name(), "none", t.rope_theta(), "rms", t.norm_order_style(), t.final_norm_order_style(),
                false, false, false, true, null, t.attention_output_init_fn());
        return new TwoTowerDiffusionLcmConfig(TwoTowerDiffusionLcmConfig.FAMILY, 1024, "dummy_sonar_normalizer", 4096, modelDim,
                EncoderFrontendConfig.defaults(), encoder, DdimSchedulerConfig.defaults().withTrainSteps(100),
                DenoiserConfig.of(den, modelDim), true);
    }
}
