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
        m.put("demo_two_tower_diffusion_lcm", TwoTowerDiffusionLcmArchs::demo);
        return m;
    }

    /**
     * 2 + 2 layers, d=1024, 8 heads, learned positions (init std 1.0), LayerNorm, ReLU FFN 4096, dropout 0.1,
     * 1000 diffusion steps, no guidance training, the {@code dummy_sonar_normalizer}: 84,235,264 parameters.
     */
    static TwoTowerDiffusionLcmConfig toy() {
        return TwoTowerDiffusionLcmConfig.builder()
                .sonar_normalizer_name("dummy_sonar_normalizer")
                .build();
    }

    /**
     * lcm4j's arch for {@code ./lcm demo}: 384-d concepts (the offline MiniLM space), a 2-layer context encoder and a
     * 2-layer denoiser at d=256 (8 heads, ReLU FFN 1024, dropout 0.3), 100 diffusion steps, trained with classifier-free
     * guidance; sized to about ten thousand training sentences, which the 84M-parameter toy overfits.
     */
    static TwoTowerDiffusionLcmConfig demo() {
        int modelDim = 256;
        TransformerConfig.Builder tower = TransformerConfig.builder()
                .num_layers(2)
                .num_attn_heads(8)
                .ffn_inner_dim(1024)
                .dropout_p(0.3)
                .final_dropout_p(0.3);
        return TwoTowerDiffusionLcmConfig.builder()
                .sonar_embed_dim(384)
                .max_seq_len(256)
                .model_dim(modelDim)
                .context_encoder(tower.build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .denoiser(DenoiserConfig.of(tower.pos_embedding_style("none").build(), modelDim))
                .trained_with_cf_guidance(true)
                .build();
    }

    /**
     * 5-layer context encoder (RoPE) and an N-layer denoiser, RMSNorm, SwiGLU (ffn 4d), output-projection bias,
     * dropout 0.1, 100 diffusion steps, trained with classifier-free guidance. d=2048/16 heads/13 layers gives
     * 1,645,538,304 parameters (the reference's docstring says 1,635,101,696, which its own config does not build);
     * d=4096/32 heads/14 layers gives 6,930,781,696, as its docstring says (docs/quirks.md #1).
     */
    static TwoTowerDiffusionLcmConfig published(int modelDim, int heads, int denoiserLayers) {
        TransformerConfig.Builder tower = TransformerConfig.builder()
                .num_attn_heads(heads)
                .final_dropout_p(0.0)
                .ffn_inner_dim(4 * modelDim)
                .use_swiglu(true)
                .layer_normalization_style("rms")
                .mha_output_proj_bias(true);
        return TwoTowerDiffusionLcmConfig.builder()
                .sonar_normalizer_name("dummy_sonar_normalizer")
                .max_seq_len(4096)
                .model_dim(modelDim)
                .context_encoder(tower.num_layers(5).pos_embedding_style("rope").build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .denoiser(DenoiserConfig.of(tower.num_layers(denoiserLayers).pos_embedding_style("none").build(), modelDim))
                .trained_with_cf_guidance(true)
                .build();
    }
}
