package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.text.Languages;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;

/**
 * SONAR vec2text (SONAR's {@code EmbeddingToTextModelPipeline}) with the LCM evaluation's settings by default: beam 5,
 * max_seq_len 256 ({@code SonarDecoderConfig.max_tokens_in_sentence}), length-normalised scores. A card may set
 * {@code beam_size}, {@code max_seq_len} and {@code greedy: true} (beam 1); {@link #withOptions} changes them in code.
 * Vectors are decoded in batches of {@link #BATCH} sentences x beam rows. Thread-safe.
 */
public final class SonarConceptDecoder implements ConceptDecoder {
    public static final int BATCH = 16;
    public static final BeamSearch.Options LCM_EVAL = BeamSearch.Options.sonar().withMaxSeqLen(256);

    private final String name;
    private final SonarTextDecoder model;
    private final NllbTokenizer tokenizer;
    private final BeamSearch.Options options;

    public SonarConceptDecoder(String name, SonarTextDecoder model, NllbTokenizer tokenizer, BeamSearch.Options options) {
        SonarConceptEncoder.checkVocab(name, tokenizer, model.config().vocabSize());
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options;
    }

    /** Builds the decoder of a {@code sonar_text_decoder} card. */
    public static SonarConceptDecoder fromCard(ModelCard card) {
        return fromCard(card, dev.lcm4j.torch.Devices.cpu());
    }

    /** {@link #fromCard(ModelCard)} with the weights on {@code device}. */
    public static SonarConceptDecoder fromCard(ModelCard card, org.bytedeco.pytorch.Device device) {
        SonarDecoderConfig config = SonarDecoderConfig.arch(card.arch(), card.modelConfig(), card.name());
        BeamSearch.Options o = LCM_EVAL;
        Object beam = card.raw().get("beam_size"), max = card.raw().get("max_seq_len"), greedy = card.raw().get("greedy");
        if (beam != null) o = o.withBeamSize(intField(card, "beam_size", beam));
        if (max != null) o = o.withMaxSeqLen(intField(card, "max_seq_len", max));
        if (Boolean.TRUE.equals(greedy)) o = o.withBeamSize(1);
        Path tok = SonarFiles.require(card, "tokenizer");
        Path ckpt = SonarFiles.require(card, "checkpoint");
        TorchRuntime.init();
        NllbTokenizer tokenizer = new NllbTokenizer(tok, "card '" + card.name() + "'");
        try {
            SonarConceptEncoder.checkVocab(card.name(), tokenizer, config.vocabSize());
            SonarTextDecoder model = new SonarTextDecoder(ParamFactory.on(device), config);
            SonarWeights.load(ckpt, model, Map.of("final_proj.weight", "decoder_frontend.embed.weight"), card.name());
            return new SonarConceptDecoder(card.name(), model, tokenizer, o);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static int intField(ModelCard card, String key, Object v) {
        if (v instanceof Integer i) return i;
        throw new LcmException("card '" + card.name() + "': " + key + " must be an integer, got '" + v + "'");
    }

    /** The same model and tokenizer with other generation settings (e.g. {@code withBeamSize(1)} for greedy). */
    public SonarConceptDecoder withOptions(BeamSearch.Options o) {
        return new SonarConceptDecoder(name, model, tokenizer, o);
    }

    public BeamSearch.Options options() {
        return options;
    }

    @Override
    public int dim() {
        return model.config().modelDim();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> decode(float[][] vectors, String lang) {
        List<String> out = new ArrayList<>();
        for (BeamSearch.Hypothesis h : decodeIds(vectors, lang)) out.add(tokenizer.decode(h.tokens()));
        return out;
    }

    /** The best hypothesis per vector: token ids after the prompt (ending in {@code </s>}) and score. */
    public List<BeamSearch.Hypothesis> decodeIds(float[][] vectors, String lang) {
        long langId = tokenizer.langId(Languages.check(lang));
        int d = dim();
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null || vectors[i].length != d) {
                throw new LcmException("vector " + i + " has " + (vectors[i] == null ? 0 : vectors[i].length) + " values but the SONAR decoder '"
                        + name + "' takes " + d + "; decode vectors of the concept space this decoder belongs to");
            }
        }
        List<BeamSearch.Hypothesis> out = new ArrayList<>();
        for (int start = 0; start < vectors.length; start += BATCH) {
            int b = Math.min(BATCH, vectors.length - start);
            float[] flat = new float[b * d];
            for (int r = 0; r < b; r++) System.arraycopy(vectors[start + r], 0, flat, r * d, d);
            try (PointerScope s = new PointerScope()) {
                for (List<BeamSearch.Hypothesis> hyps : BeamSearch.generate(model, Tensors.floats(flat, b, d), langId, options)) out.add(hyps.get(0));
            }
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
