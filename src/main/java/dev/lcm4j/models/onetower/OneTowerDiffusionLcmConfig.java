package dev.lcm4j.models.onetower;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;

/**
 * The One-Tower diffusion LCM's config (family {@code one_tower_diffusion_lcm}). The reference repository has no such
 * model; the keys follow its Base-LCM and Two-Tower configs where the same thing exists (docs/one-tower.md).
 *
 * @param model_type               always "one_tower_diffusion_lcm"
 * @param sonar_embed_dim          concept dimension (default 1024)
 * @param sonar_normalizer_name    card of the normalizer; REQUIRED: diffusion runs in normalized space
 * @param max_seq_len              rows of the position table = the most sentences of a document (default 2048);
 *                                 both copies of sentence n take position n
 * @param model_dim                transformer width (default 1024)
 * @param timestep_embed_dim       width d_t of the timestep embedding concatenated to every input (default 1024)
 * @param embedding_std            init std of the learned positions (default 1.0, as two-tower's frontend)
 * @param pre_linear_bias          bias of the PreNet {@code Linear(sonar_embed_dim + d_t -> model_dim)} (default true)
 * @param lcm                      the causal transformer over the interleaved noisy/clean sequence
 * @param postnet                  the output projection back to the concept dimension
 * @param noise_scheduler          the DDIM scheduler (T, betas, prediction type, ...)
 * @param trained_with_cf_guidance whether training dropped the context of some noisy slots (classifier-free
 *                                 guidance); must agree with the criterion's cf_guidance_probability > 0
 */
public record OneTowerDiffusionLcmConfig(String model_type, int sonar_embed_dim, String sonar_normalizer_name, int max_seq_len,
                                         int model_dim, int timestep_embed_dim, double embedding_std, boolean pre_linear_bias,
                                         TransformerConfig lcm, ProjectionConfig postnet, DdimSchedulerConfig noise_scheduler,
                                         boolean trained_with_cf_guidance) {
    public static final String FAMILY = "one_tower_diffusion_lcm";

    public static OneTowerDiffusionLcmConfig defaults() {
        return new Builder().build();
    }

    public void validate(String where) {
        if (sonar_normalizer_name == null || sonar_normalizer_name.isBlank()) {
            throw new LcmException(where + ": a one_tower_diffusion_lcm needs a normalizer (sonar_normalizer_name); fit one with"
                    + " ./lcm fit-normalizer --ds DATA --save_path norm.pt --card_name NAME and set sonar_normalizer_name: NAME"
                    + " (dummy_sonar_normalizer is the identity for 1024-d data)");
        }
        lcm.validate(where + ".lcm");
        if ("rope".equals(lcm.pos_embedding_style())) {
            throw new LcmException(where + ".lcm.pos_embedding_style=rope is not supported by the one-tower model: its noisy and"
                    + " clean copies of a sentence share one position, which lcm4j adds in the frontend; use learned (the paper's) or sine");
        }
        if (timestep_embed_dim < 1) throw new LcmException(where + ".timestep_embed_dim must be positive, got " + timestep_embed_dim);
        if (max_seq_len < 2) throw new LcmException(where + ".max_seq_len must be at least 2, got " + max_seq_len);
    }

    /** A builder holding the defaults, to change fields by name. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Named setters (the YAML keys) over the defaults or a copy of a config. */
    public static final class Builder {
        private String model_type = FAMILY;
        private int sonar_embed_dim = 1024;
        private String sonar_normalizer_name = null;
        private int max_seq_len = 2048;
        private int model_dim = 1024;
        private int timestep_embed_dim = 1024;
        private double embedding_std = 1.0;
        private boolean pre_linear_bias = true;
        private TransformerConfig lcm = TransformerConfig.defaults();
        private ProjectionConfig postnet = ProjectionConfig.defaults();
        private DdimSchedulerConfig noise_scheduler = DdimSchedulerConfig.defaults();
        private boolean trained_with_cf_guidance = false;

        private Builder() {
        }

        private Builder(OneTowerDiffusionLcmConfig c) {
            this.model_type = c.model_type;
            this.sonar_embed_dim = c.sonar_embed_dim;
            this.sonar_normalizer_name = c.sonar_normalizer_name;
            this.max_seq_len = c.max_seq_len;
            this.model_dim = c.model_dim;
            this.timestep_embed_dim = c.timestep_embed_dim;
            this.embedding_std = c.embedding_std;
            this.pre_linear_bias = c.pre_linear_bias;
            this.lcm = c.lcm;
            this.postnet = c.postnet;
            this.noise_scheduler = c.noise_scheduler;
            this.trained_with_cf_guidance = c.trained_with_cf_guidance;
        }

        public Builder sonar_embed_dim(int v) {
            this.sonar_embed_dim = v;
            return this;
        }

        public Builder sonar_normalizer_name(String v) {
            this.sonar_normalizer_name = v;
            return this;
        }

        public Builder max_seq_len(int v) {
            this.max_seq_len = v;
            return this;
        }

        public Builder model_dim(int v) {
            this.model_dim = v;
            return this;
        }

        public Builder timestep_embed_dim(int v) {
            this.timestep_embed_dim = v;
            return this;
        }

        public Builder embedding_std(double v) {
            this.embedding_std = v;
            return this;
        }

        public Builder lcm(TransformerConfig v) {
            this.lcm = v;
            return this;
        }

        public Builder noise_scheduler(DdimSchedulerConfig v) {
            this.noise_scheduler = v;
            return this;
        }

        public Builder trained_with_cf_guidance(boolean v) {
            this.trained_with_cf_guidance = v;
            return this;
        }

        public OneTowerDiffusionLcmConfig build() {
            return new OneTowerDiffusionLcmConfig(model_type, sonar_embed_dim, sonar_normalizer_name, max_seq_len, model_dim,
                    timestep_embed_dim, embedding_std, pre_linear_bias, lcm, postnet, noise_scheduler, trained_with_cf_guidance);
        }
    }
}
