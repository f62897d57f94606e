package dev.lcm4j.models.quantlcm;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.nn.TransformerConfig;

/**
 * The config of both Quant-LCM families ({@code quant_lcm_d}, {@code quant_lcm_c}; {@code model_type} says which):
 * the One-Tower backbone with the partial centroid sums z_{k-1} as the query inputs and a codebook-index embedding in
 * place of the timestep embedding (paper §2.3.5, docs/quant-lcm.md).
 *
 * @param model_type               "quant_lcm_d" (K-way softmax head) or "quant_lcm_c" (regression PostNet)
 * @param sonar_embed_dim          concept dimension (default 1024)
 * @param sonar_normalizer_name    card of the normalizer; required (inputs are normalized like any concept)
 * @param quantizer_path           the residual quantizer .pt ({@code ./lcm rvq fit}); relative paths are relative to
 *                                 the model card that names them, or to the working directory in a training config
 * @param num_codebooks            M, codebooks of the quantizer the model is sized for
 * @param num_units                K, units per codebook (the -d head's width)
 * @param max_seq_len              rows of the position table (both copies of sentence n take position n)
 * @param model_dim                transformer width
 * @param codebook_embed_dim       width of the codebook-index embedding concatenated to every input
 * @param embedding_std            init std of the learned positions and of the codebook-index table
 * @param pre_linear_bias          bias of the PreNet {@code Linear(sonar_embed_dim + codebook_embed_dim -> model_dim)}
 * @param lcm                      the causal transformer over the interleaved partial/clean sequence
 * @param postnet                  the -c output projection back to the concept dimension (unused by -d)
 * @param trained_with_cf_guidance whether training dropped the context of some query slots (classifier-free guidance)
 */
public record QuantLcmConfig(String model_type, int sonar_embed_dim, String sonar_normalizer_name, String quantizer_path,
                             int num_codebooks, int num_units, int max_seq_len, int model_dim, int codebook_embed_dim,
                             double embedding_std, boolean pre_linear_bias, TransformerConfig lcm, ProjectionConfig postnet,
                             boolean trained_with_cf_guidance) {
    public static final String DISCRETE = "quant_lcm_d";
    public static final String CONTINUOUS = "quant_lcm_c";

    public static QuantLcmConfig defaults(String family) {
        return new QuantLcmConfig(family, 1024, null, null, 64, 8192, 2048, 1024, 1024, 1.0, true,
                TransformerConfig.defaults(), ProjectionConfig.defaults(), false);
    }

    public boolean discrete() {
        return DISCRETE.equals(model_type);
    }

    public void validate(String family, String where) {
        if (!family.equals(model_type)) {
            throw new LcmException(where + ".model_type is " + model_type + " but the model family is " + family);
        }
        if (sonar_normalizer_name == null || sonar_normalizer_name.isBlank()) {
            throw new LcmException(where + ": a " + family + " needs a normalizer (sonar_normalizer_name); fit one with"
                    + " ./lcm fit-normalizer (dummy_sonar_normalizer is the identity for 1024-d data)");
        }
        if (num_codebooks < 1 || num_units < 2) {
            throw new LcmException(where + ": num_codebooks must be >= 1 and num_units >= 2, got " + num_codebooks + " x " + num_units);
        }
        lcm.validate(where + ".lcm");
        if ("rope".equals(lcm.pos_embedding_style())) {
            throw new LcmException(where + ".lcm.pos_embedding_style=rope is not supported by a Quant-LCM: the query and clean"
                    + " copies of a sentence share one position, added in the frontend; use learned (the paper's) or sine");
        }
        if (codebook_embed_dim < 1) throw new LcmException(where + ".codebook_embed_dim must be positive, got " + codebook_embed_dim);
        if (max_seq_len < 2) throw new LcmException(where + ".max_seq_len must be at least 2, got " + max_seq_len);
    }

    public QuantLcmConfig withQuantizerPath(String path) {
        return new QuantLcmConfig(model_type, sonar_embed_dim, sonar_normalizer_name, path, num_codebooks, num_units, max_seq_len,
                model_dim, codebook_embed_dim, embedding_std, pre_linear_bias, lcm, postnet, trained_with_cf_guidance);
    }

    public QuantLcmConfig withShape(int dim, int codebooks, int units, int maxSeqLen, int modelDim, int codebookEmbedDim, TransformerConfig stack) {
        return new QuantLcmConfig(model_type, dim, sonar_normalizer_name, quantizer_path, codebooks, units, maxSeqLen,
                modelDim, codebookEmbedDim, embedding_std, pre_linear_bias, stack, postnet, trained_with_cf_guidance);
    }

    public QuantLcmConfig withNormalizer(String name, boolean guidance) {
        return new QuantLcmConfig(model_type, sonar_embed_dim, name, quantizer_path, num_codebooks, num_units, max_seq_len,
                model_dim, codebook_embed_dim, embedding_std, pre_linear_bias, lcm, postnet, guidance);
    }
}
