package dev.lcm4j.models.onetower;

import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Named archs of {@code one_tower_diffusion_lcm} (the reference has none; the 1.6B follows the paper, §2.4.1). */
public final class OneTowerDiffusionLcmArchs {
    private OneTowerDiffusionLcmArchs() {}

    public static Map<String, Supplier<OneTowerDiffusionLcmConfig>> all() {
        Map<String, Supplier<OneTowerDiffusionLcmConfig>> m = new LinkedHashMap<>();
        m.put("toy_one_tower_diffusion_lcm", OneTowerDiffusionLcmArchs::toy);
        m.put("demo_one_tower_diffusion_lcm", OneTowerDiffusionLcmArchs::demo);
        m.put("one_tower_diffusion_lcm_1_6B", OneTowerDiffusionLcmArchs::paper1_6B);
        return m;
    }

    /**
     * A small model for tests and trials: 1024-d concepts with the {@code dummy_sonar_normalizer}, d=256, d_t=256,
     * 2 layers, 8 heads, LayerNorm, ReLU FFN 1024, learned positions (256), dropout 0.1, 100 diffusion steps, trained
     * with classifier-free guidance (the paper's p = 0.15): 2,367,744 parameters.
     */
    static OneTowerDiffusionLcmConfig toy() {
        return OneTowerDiffusionLcmConfig.builder()
                .sonar_normalizer_name("dummy_sonar_normalizer")
                .max_seq_len(256)
                .model_dim(256)
                .timestep_embed_dim(256)
                .lcm(TransformerConfig.builder().num_layers(2).num_attn_heads(8).ffn_inner_dim(1024).build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .trained_with_cf_guidance(true)
                .build();
    }

    /**
     * The size of {@code ./lcm demo --all-families}: 384-d concepts (the offline MiniLM space; the demo names its
     * normalizer), d=256, d_t=256, 2 layers, 8 heads, ReLU FFN 1024, learned positions (256), dropout 0.3 against the
     * demo's small data, 100 diffusion steps, trained with guidance. Parameter count in docs/one-tower.md.
     */
    static OneTowerDiffusionLcmConfig demo() {
        return OneTowerDiffusionLcmConfig.builder()
                .sonar_embed_dim(384)
                .max_seq_len(256)
                .model_dim(256)
                .timestep_embed_dim(256)
                .lcm(TransformerConfig.builder()
                        .num_layers(2)
                        .num_attn_heads(8)
                        .ffn_inner_dim(1024)
                        .dropout_p(0.3)
                        .final_dropout_p(0.3)
                        .build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .trained_with_cf_guidance(true)
                .build();
    }

    /**
     * The paper's One-Tower (§2.4.1): 32 layers, d=2048, 32 heads, FFN 8192 (SwiGLU, so 5632 wide), RMSNorm,
     * attention output-projection bias, learned positions (4096), d_t = 2048 (PreNet 3072 -> 2048), dropout 0.1,
     * T = 100, trained with guidance: 1,666,491,392 parameters (derivation in docs/one-tower.md).
     */
    static OneTowerDiffusionLcmConfig paper1_6B() {
        int modelDim = 2048;
        return OneTowerDiffusionLcmConfig.builder()
                .sonar_normalizer_name("dummy_sonar_normalizer")
                .max_seq_len(4096)
                .model_dim(modelDim)
                .timestep_embed_dim(modelDim)
                .lcm(TransformerConfig.builder()
                        .num_layers(32)
                        .num_attn_heads(32)
                        .final_dropout_p(0.0)
                        .ffn_inner_dim(4 * modelDim)
                        .use_swiglu(true)
                        .pos_embedding_style("learned")
                        .layer_normalization_style("rms")
                        .mha_output_proj_bias(true)
                        .build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .trained_with_cf_guidance(true)
                .build();
    }
}
