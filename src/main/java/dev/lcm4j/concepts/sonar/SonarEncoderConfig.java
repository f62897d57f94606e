package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import java.util.Map;
import java.util.Set;

/**
 * SONAR text encoder hyper-parameters (SONAR {@code SonarTextEncoderConfig}). {@code maxSeqLen} is the config value
 * (512); as SONAR's {@code _from_fairseq} it is widened by pad_idx + 1 = 2, so {@link #maxTokens()} = 514 positions.
 */
public record SonarEncoderConfig(int modelDim, int numLayers, int numHeads, int ffnInnerDim, int vocabSize, int maxSeqLen) {
    /** fairseq2's legacy pad index: positions start at 2 and the table gains 2 rows. */
    static final int LEGACY_PAD_IDX = 1;

    /** The released {@code text_sonar_basic_encoder}: 24 layers, 1024 dims, 16 heads, FFN 8192, vocab 256,206. */
    public static SonarEncoderConfig basic() {
        return new SonarEncoderConfig(1024, 24, 16, 8192, 256206, 512);
    }

    /** SONAR's {@code toy} dims (32 dims, 2 layers, 4 heads, FFN 128, vocab 1024), for tests. */
    public static SonarEncoderConfig toy() {
        return new SonarEncoderConfig(32, 2, 4, 128, 1024, 512);
    }

    public static SonarEncoderConfig arch(String name, Map<String, Object> overrides, String card) {
        SonarEncoderConfig c = switch (name == null ? "basic" : name) {
            case "basic" -> basic();
            case "toy" -> toy();
            default -> throw new LcmException("card '" + card + "': unknown SONAR text encoder arch '" + name + "'; use basic or toy");
        };
        Map<String, Integer> o = SonarConfigs.overrides(overrides, Set.of("model_dim", "num_encoder_layers",
                "num_encoder_attn_heads", "ffn_inner_dim", "vocab_info.size", "max_seq_len"), card);
        return new SonarEncoderConfig(o.getOrDefault("model_dim", c.modelDim), o.getOrDefault("num_encoder_layers", c.numLayers),
                o.getOrDefault("num_encoder_attn_heads", c.numHeads), o.getOrDefault("ffn_inner_dim", c.ffnInnerDim),
                o.getOrDefault("vocab_info.size", c.vocabSize), o.getOrDefault("max_seq_len", c.maxSeqLen));
    }

    /** Longest token sequence the encoder accepts: max_seq_len + pad_idx + 1 (514 for basic). */
    public int maxTokens() {
        return maxSeqLen + LEGACY_PAD_IDX + 1;
    }
}
