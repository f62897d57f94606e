package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import java.util.Map;
import java.util.Set;

/**
 * SONAR text decoder hyper-parameters (SONAR {@code SonarTextDecoderConfig}). {@code maxSeqLen} (512) bounds the
 * whole generated sequence, the 2 prompt tokens included; the decoder is not widened as the encoder is.
 */
public record SonarDecoderConfig(int modelDim, int numLayers, int numHeads, int ffnInnerDim, int vocabSize, int maxSeqLen) {
    /** The released {@code text_sonar_basic_decoder} / {@code text_sonar_finetuned_decoder}. */
    public static SonarDecoderConfig basic() {
        return new SonarDecoderConfig(1024, 24, 16, 8192, 256206, 512);
    }

    /** SONAR's {@code toy} decoder dims, for tests. */
    public static SonarDecoderConfig toy() {
        return new SonarDecoderConfig(32, 2, 4, 128, 1024, 512);
    }

    public static SonarDecoderConfig arch(String name, Map<String, Object> overrides, String card) {
        SonarDecoderConfig c = switch (name == null ? "basic" : name) {
            case "basic" -> basic();
            case "toy" -> toy();
            default -> throw new LcmException("card '" + card + "': unknown SONAR text decoder arch '" + name + "'; use basic or toy");
        };
        Map<String, Integer> o = SonarConfigs.overrides(overrides, Set.of("model_dim", "num_decoder_layers",
                "num_encoder_attn_heads", "num_decoder_attn_heads", "ffn_inner_dim", "vocab_info.size", "max_seq_len"), card);
        // SONAR's decoder factory builds every attention with num_encoder_attn_heads; num_decoder_attn_heads is
        // accepted too (fairseq2's name for it), and wins when both are given.
        int heads = o.getOrDefault("num_decoder_attn_heads", o.getOrDefault("num_encoder_attn_heads", c.numHeads));
        return new SonarDecoderConfig(o.getOrDefault("model_dim", c.modelDim), o.getOrDefault("num_decoder_layers", c.numLayers),
                heads, o.getOrDefault("ffn_inner_dim", c.ffnInnerDim),
                o.getOrDefault("vocab_info.size", c.vocabSize), o.getOrDefault("max_seq_len", c.maxSeqLen));
    }
}
