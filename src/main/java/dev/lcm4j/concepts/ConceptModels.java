package dev.lcm4j.concepts;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import dev.lcm4j.concepts.minilm.OnnxEncoderCards;
import dev.lcm4j.concepts.retrieval.RetrievalDecoder;
import dev.lcm4j.concepts.sonar.SonarConceptDecoder;
import dev.lcm4j.concepts.sonar.SonarConceptEncoder;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds concept encoders and decoders from cards, the way the reference resolves {@code text_sonar_basic_encoder}
 * through fairseq2's asset store: a card (built-in, in {@code ./cards/}, on {@code LCM_CARDS_PATH}, or a YAML path)
 * names a {@code model_family}, and the family's factory below builds the model from the card's other fields.
 * Recipes, {@code prepare}, {@code train} (affix sentences) and evaluation all go through here.
 */
public final class ConceptModels {
    /** The offline default concept space: works with nothing but the Maven dependencies. */
    public static final String DEFAULT_ENCODER = "all_minilm_l6_v2_q";

    // model_family -> factory. Each concept-model family registers itself here.
    private static final Map<String, Function<ModelCard, ConceptEncoder>> ENCODERS = new TreeMap<>(Map.of(
            "sonar_text_encoder", SonarConceptEncoder::fromCard,
            OnnxEncoderCards.FAMILY, OnnxEncoderCards::fromCard
    ));
    private static final Map<String, Function<ModelCard, ConceptDecoder>> DECODERS = new TreeMap<>(Map.of(
            "sonar_text_decoder", SonarConceptDecoder::fromCard,
            RetrievalDecoder.FAMILY, RetrievalDecoder::fromCard
    ));

    // Encoders shared for the life of the process (affix texts are embedded by every data loader a run opens).
    private static final Map<String, ConceptEncoder> SHARED = new ConcurrentHashMap<>();

    private ConceptModels() {
    }

    /** One encoder per card for the whole process, never closed: for callers that would otherwise reload it often. */
    public static ConceptEncoder sharedEncoder(String nameOrPath) {
        return SHARED.computeIfAbsent(nameOrPath, ConceptModels::encoder);
    }

    /** The encoder of a card name or card file path. */
    public static ConceptEncoder encoder(String nameOrPath) {
        ModelCard card = ModelCards.resolve(nameOrPath);
        Function<ModelCard, ConceptEncoder> f = ENCODERS.get(card.family());
        if (f == null) {
            throw new LcmException("card '" + card.name() + "' (" + card.source() + ") has model_family '" + card.family()
                    + "', which is not a concept encoder; encoder families: " + String.join(", ", ENCODERS.keySet()));
        }
        return f.apply(card);
    }

    /**
     * The decoder of a card name or card file path, or {@code bank:PATH}: a retrieval decoder over the sentence bank
     * file PATH or the {@code sentence_bank.bin} of the prepared dataset directory PATH (no card needed).
     */
    public static ConceptDecoder decoder(String nameOrPath) {
        if (nameOrPath.startsWith("bank:")) return RetrievalDecoder.fromSpec(nameOrPath);
        ModelCard card = ModelCards.resolve(nameOrPath);
        Function<ModelCard, ConceptDecoder> f = DECODERS.get(card.family());
        if (f == null) {
            throw new LcmException("card '" + card.name() + "' (" + card.source() + ") has model_family '" + card.family()
                    + "', which is not a concept decoder; decoder families: " + String.join(", ", DECODERS.keySet()));
        }
        return f.apply(card);
    }
}
