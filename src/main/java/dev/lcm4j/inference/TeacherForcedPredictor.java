package dev.lcm4j.inference;

import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.torch.Noise;
import org.bytedeco.pytorch.Tensor;

/**
 * Next-concept predictions for every position of right-padded documents from their true prefixes: output position t
 * predicts concept t + 1. How a family predicts (a regression, a sampled diffusion latent, ...) is its own
 * {@link ModelFamily#predictNextConcepts}.
 */
public final class TeacherForcedPredictor {
    private final Lcm model;
    private final ModelFamily<?, ?, ?> family;
    private final Record samplingOptions;

    /** @param samplingOptions the model family's own sampling options, or null for its defaults */
    public TeacherForcedPredictor(Lcm model, Record samplingOptions) {
        this.model = model;
        this.family = ModelFamilies.of(model);
        this.samplingOptions = family.samplingOptionsOf(samplingOptions);
    }

    /** batch.seqs [B, T, C] -> [B, T, C] (denormalized; padded positions hold values to ignore); a sampling family draws from torch's global generator. */
    public Tensor predict(EmbeddingsBatch batch) {
        return predict(batch, Noise.global());
    }

    /** {@link #predict(EmbeddingsBatch)} drawing from {@code noise} (per-row noise: one row per document of the batch). */
    public Tensor predict(EmbeddingsBatch batch, Noise noise) {
        model.train(false);
        return family.predictNextConceptsOf(model, batch.to(model.device()), samplingOptions, noise);
    }
}
