package dev.lcm4j.concepts;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.function.BiFunction;
import dev.lcm4j.torch.Devices;
import org.bytedeco.pytorch.Device;
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

    // model_family -> factory(card, device). Each concept-model family registers itself here; the families that run on
    // the CPU only (ONNX Runtime's CPU build, the sentence bank's exact search) are listed in CPU_ONLY.
    private static final Map<String, BiFunction<ModelCard, Device, ConceptEncoder>> ENCODERS = new TreeMap<>(Map.of(
            "sonar_text_encoder", SonarConceptEncoder::fromCard,
            OnnxEncoderCards.FAMILY, (card, device) -> OnnxEncoderCards.fromCard(card)
    ));
    private static final Map<String, BiFunction<ModelCard, Device, ConceptDecoder>> DECODERS = new TreeMap<>(Map.of(
            "sonar_text_decoder", SonarConceptDecoder::fromCard,
            RetrievalDecoder.FAMILY, (card, device) -> RetrievalDecoder.fromCard(card)
    ));
    private static final Set<String> CPU_ONLY = Set.of(OnnxEncoderCards.FAMILY, RetrievalDecoder.FAMILY);

    /**
     * Where a concept model runs: SONAR on {@code device}; the CPU-only families on the CPU, except that a CUDA device
     * the user named ({@code required}) is refused for them rather than ignored.
     *
     * @param setting the setting that named the device, for the error line (e.g. {@code --device})
     */
    public record Placement(Device device, boolean required, String setting) {
        public static Placement cpu() {
            return new Placement(Devices.cpu(), false, "--device");
        }

        Device forFamily(String family, String cardName) {
            if (!CPU_ONLY.contains(family) || device.is_cpu()) return CPU_ONLY.contains(family) ? Devices.cpu() : device;
            if (required) {
                throw new LcmException(setting + " " + Devices.describe(device) + ": '" + cardName + "' (" + family
                        + ") runs on the CPU only (ONNX Runtime's CPU build, or the sentence bank's search); use "
                        + setting + " cpu, or a SONAR card");
            }
            return Devices.cpu();
        }
    }

    // Encoders shared for the life of the process (affix texts are embedded by every data loader a run opens).
    private static final Map<String, ConceptEncoder> SHARED = new ConcurrentHashMap<>();

    private ConceptModels() {
    }

    /** One encoder per card for the whole process, never closed: for callers that would otherwise reload it often. */
    public static ConceptEncoder sharedEncoder(String nameOrPath) {
        return SHARED.computeIfAbsent(nameOrPath, ConceptModels::encoder);
    }

    /** The encoder of a card name or card file path, on the CPU. */
    public static ConceptEncoder encoder(String nameOrPath) {
        return encoder(nameOrPath, Placement.cpu());
    }

    /** The decoder of a card name, card file path or {@code bank:PATH}, on the CPU. */
    public static ConceptDecoder decoder(String nameOrPath) {
        return decoder(nameOrPath, Placement.cpu());
    }

    /** The encoder of a card name or card file path, placed as {@code placement} says. */
    public static ConceptEncoder encoder(String nameOrPath, Placement placement) {
        ModelCard card = ModelCards.resolve(nameOrPath);
        BiFunction<ModelCard, Device, ConceptEncoder> f = ENCODERS.get(card.family());
        if (f == null) {
            throw new LcmException("card '" + card.name() + "' (" + card.source() + ") has model_family '" + card.family()
                    + "', which is not a concept encoder; encoder families: " + String.join(", ", ENCODERS.keySet()));
        }
        return f.apply(card, placement.forFamily(card.family(), card.name()));
    }

    /**
     * The decoder of a card name or card file path, or {@code bank:PATH}: a retrieval decoder over the sentence bank
     * file PATH or the {@code sentence_bank.bin} of the prepared dataset directory PATH (no card needed).
     */
    public static ConceptDecoder decoder(String nameOrPath, Placement placement) {
        if (nameOrPath.startsWith("bank:")) {
            placement.forFamily(RetrievalDecoder.FAMILY, nameOrPath);
            return RetrievalDecoder.fromSpec(nameOrPath);
        }
        ModelCard card = ModelCards.resolve(nameOrPath);
        BiFunction<ModelCard, Device, ConceptDecoder> f = DECODERS.get(card.family());
        if (f == null) {
            throw new LcmException("card '" + card.name() + "' (" + card.source() + ") has model_family '" + card.family()
                    + "', which is not a concept decoder; decoder families: " + String.join(", ", DECODERS.keySet()));
        }
        return f.apply(card, placement.forFamily(card.family(), card.name()));
    }
}
