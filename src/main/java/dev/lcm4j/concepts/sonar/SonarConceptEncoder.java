package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.text.Languages;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * SONAR sentence embeddings (SONAR's {@code TextToEmbeddingModelPipeline}): NLLB source-mode tokens, truncated to the
 * encoder's 514 positions with a warning, batches of similar length under a token budget, mean-pooled encoder
 * output. Stateless between calls, so several threads may encode at once.
 */
public final class SonarConceptEncoder implements ConceptEncoder {
    /** Padded tokens per batch (rows x longest row); bounds activation memory. */
    public static final int DEFAULT_TOKEN_BUDGET = 8192;
    private static final int MAX_BATCH = 128;

    private final String name;
    private final SonarTextEncoder model;
    private final NllbTokenizer tokenizer;
    private final int tokenBudget;

    public SonarConceptEncoder(String name, SonarTextEncoder model, NllbTokenizer tokenizer, int tokenBudget) {
        checkVocab(name, tokenizer, model.config().vocabSize());
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokenBudget = tokenBudget;
    }

    /**
     * Builds the encoder of a {@code sonar_text_encoder} card (fields: checkpoint, tokenizer, model_arch, model_config).
     * A checkpoint ending in {@code .safetensors} is read as the Hugging Face M2M100 port.
     */
    public static SonarConceptEncoder fromCard(ModelCard card) {
        return fromCard(card, dev.lcm4j.torch.Devices.cpu());
    }

    /** {@link #fromCard(ModelCard)} with the weights on {@code device}. */
    public static SonarConceptEncoder fromCard(ModelCard card, org.bytedeco.pytorch.Device device) {
        SonarEncoderConfig config = SonarEncoderConfig.arch(card.arch(), card.modelConfig(), card.name());
        Path tok = SonarFiles.require(card, "tokenizer");
        Path ckpt = SonarFiles.require(card, "checkpoint");
        TorchRuntime.init();
        NllbTokenizer tokenizer = new NllbTokenizer(tok, "card '" + card.name() + "'");
        try {
            checkVocab(card.name(), tokenizer, config.vocabSize());   // before reading gigabytes of weights
            SonarTextEncoder model = new SonarTextEncoder(ParamFactory.on(device), config);
            if (ckpt.getFileName().toString().endsWith(".safetensors")) {
                // The Hugging Face port (M2M100 names, HF special-token rows).
                SonarWeights.load(HfSonarEncoderWeights.readAsFairseq2(ckpt), ckpt, model, Map.of(), card.name());
                model.permuteSpecialRows(HfSonarEncoderWeights.SPECIAL_ROWS);
            } else {
                SonarWeights.load(ckpt, model, Map.of(), card.name());
            }
            return new SonarConceptEncoder(card.name(), model, tokenizer, DEFAULT_TOKEN_BUDGET);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The tokenizer's id layout must fill exactly the model's embedding rows. */
    static void checkVocab(String card, NllbTokenizer tokenizer, int modelVocab) {
        if (tokenizer.vocabSize() != modelVocab) {
            throw new LcmException("card '" + card + "': the tokenizer implies a vocabulary of " + tokenizer.vocabSize()
                    + " (its " + tokenizer.spmSize() + " pieces + 206) but the model has " + modelVocab
                    + "; use the SentencePiece model that belongs to the checkpoint or set model_config.vocab_info.size");
        }
    }

    @Override
    public int dim() {
        return model.config().modelDim();
    }

    @Override
    public String name() {
        return name;
    }

    public NllbTokenizer tokenizer() {
        return tokenizer;
    }

    /** Source-mode ids, cut to the first {@code maxTokens} (514) as SONAR does (the final {@code </s>} is lost then). */
    public long[] tokenize(String sentence, String lang) {
        long[] ids = tokenizer.encodeSource(sentence, lang);
        int max = model.config().maxTokens();
        return ids.length > max ? Arrays.copyOf(ids, max) : ids;
    }

    @Override
    public float[][] encode(List<String> sentences, String lang) {
        Languages.check(lang);
        int n = sentences.size();
        long[][] ids = new long[n][];
        int truncated = 0;
        for (int i = 0; i < n; i++) {
            String s = sentences.get(i);
            if (s == null) throw new LcmException("sentence " + i + " is null; pass text (an empty string is allowed)");
            ids[i] = tokenize(s, lang);
            if (ids[i].length == model.config().maxTokens() && tokenizer.encodeSource(s, lang).length > ids[i].length) truncated++;
        }
        if (truncated > 0) {
            System.err.println("warning: " + truncated + " sentence(s) longer than " + model.config().maxTokens()
                    + " tokens were truncated to that length (as SONAR does); split long texts into sentences first");
        }
        float[][] out = new float[n][];
        // Similar lengths together (SONAR sorts by length too), then as many rows as the token budget allows.
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> ids[i].length)).toArray(Integer[]::new);
        int start = 0;
        while (start < n) {
            int end = start + 1;
            while (end < n && end - start < MAX_BATCH && (long) (end - start + 1) * ids[order[end]].length <= tokenBudget) end++;
            encodeBatch(ids, order, start, end, out);
            start = end;
        }
        return out;
    }

    private void encodeBatch(long[][] ids, Integer[] order, int start, int end, float[][] out) {
        int b = end - start;
        int s = ids[order[end - 1]].length;   // sorted: the last is the longest
        long[] flat = new long[b * s];        // zeros = <pad>
        long[] lens = new long[b];
        for (int r = 0; r < b; r++) {
            long[] row = ids[order[start + r]];
            System.arraycopy(row, 0, flat, r * s, row.length);
            lens[r] = row.length;
        }
        int d = dim();
        float[] emb;
        try (NoGradGuard g = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            Tensor result = model.forward(Tensors.longs(flat, b, s), lens);   // [b, D]
            emb = Tensors.toFloats(result);
        }
        for (int r = 0; r < b; r++) out[order[start + r]] = Arrays.copyOfRange(emb, r * d, (r + 1) * d);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
