package dev.lcm4j.nn.denoisers;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.nn.TransformerConfig;

/**
 * The reference's {@code DenoiserConfig} ({@code lcm/nn/denoisers/factory.py}), which extends its transformer config:
 * here a {@link TransformerConfig} whose keys sit at the denoiser's own YAML level ({@link ConfigBinder.Inline}),
 * with {@code pos_embedding_style} defaulting to {@code none}, plus the denoiser's own keys.
 *
 * @param transformer        the denoiser's transformer stack (flat keys: {@code num_layers}, {@code num_attn_heads}, ...)
 * @param pre_denoiser       projection SONAR dim -> model dim at the denoiser's input ({@code initial_proj})
 * @param post_denoiser      projection model dim -> SONAR dim at its output ({@code final_proj})
 * @param timestep_embed_dim width of the timestep embedding; must equal the model dim (default 1024)
 */
public record DenoiserConfig(@ConfigBinder.Inline TransformerConfig transformer, ProjectionConfig pre_denoiser,
                             ProjectionConfig post_denoiser, int timestep_embed_dim) {

    public static DenoiserConfig defaults() {
        return of(TransformerConfig.builder().pos_embedding_style("none").build(), 1024);
    }

    /** A denoiser of {@code transformer} with default projections (as the archs write it). */
    public static DenoiserConfig of(TransformerConfig transformer, int timestepEmbedDim) {
        return new DenoiserConfig(transformer, ProjectionConfig.defaults(), ProjectionConfig.defaults(), timestepEmbedDim);
    }

    public void validate(String path, int modelDim) {
        transformer.validate(path);
        if (!"none".equals(transformer.pos_embedding_style())) {
            // every reference arch uses none; the reference builds a position encoder otherwise, lcm4j does not yet
            throw new LcmException(path + ".pos_embedding_style='" + transformer.pos_embedding_style()
                    + "' is not supported for the denoiser; use none (as every released arch)");
        }
        if (timestep_embed_dim != modelDim) {
            throw new LcmException(path + ".timestep_embed_dim=" + timestep_embed_dim + " must equal model_dim " + modelDim
                    + " (the reference asserts it); set both to the same value");
        }
    }
}
