package dev.lcm4j.concepts.minilm;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.text.Languages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sentence-transformers model exported to ONNX (BERT-style inputs {@code input_ids}, {@code attention_mask},
 * optionally {@code token_type_ids}; first output {@code [B, S, H]} token states), run with ONNX Runtime: tokens from
 * the model's HF {@code tokenizer.json}, then mean (or CLS) pooling over real tokens and optional L2 normalisation.
 * With the built-in card this is the quantized all-MiniLM-L6-v2 of langchain4j's Maven artifact, lcm4j's offline
 * default concept space (384 dims, English).
 *
 * <p>Each sentence is its own ONNX call, as in langchain4j, and calls run in parallel on all cores. Padded batches
 * would be cheaper, but the int8 model quantizes its activations dynamically with one scale per tensor, so a
 * sentence's vector would depend on its batch-mates and the padding (1-2% per value, measured): a sentence must map
 * to one vector whatever else is encoded with it, or prepared data and affix texts would not match. Sentences longer
 * than {@code maxTokens} (512 word pieces with [CLS]/[SEP]) are truncated; langchain4j instead averages 510-piece
 * chunks. LCM sentences are capped at 256 characters by the splitter, far below either limit.
 */
public final class OnnxSentenceEncoder implements ConceptEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxSentenceEncoder.class);
    /** Shared by all encoders: each call of {@link #encode} spreads its sentences over up to {@code threads} workers. */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "onnx-encoder");
        t.setDaemon(true);
        return t;
    });

    public enum Pooling { MEAN, CLS }

    private final String name;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean useTypeIds;
    private final Pooling pooling;
    private final boolean normalize;
    private final int maxTokens;
    private final int dim;
    private final int threads;
    private final String englishOnlyNote;
    private final AtomicBoolean warnedLanguage = new AtomicBoolean();

    /**
     * @param englishOnly when true, a non-English language code is accepted with one warning (the model was trained
     *                    on English; its vectors for other languages are poor but well-defined)
     */
    public OnnxSentenceEncoder(String name, byte[] onnxModel, byte[] tokenizerJson, Pooling pooling, boolean normalize,
                               int maxTokens, boolean englishOnly, int threads) {
        this.name = name;
        this.pooling = pooling;
        this.normalize = normalize;
        this.maxTokens = maxTokens;
        this.englishOnlyNote = englishOnly ? name + " is an English model" : null;
        try {
            // No padding (we pad per batch ourselves), truncation at the model's limit with its special tokens.
            Map<String, String> opts = Map.of("padding", "false", "truncation", "true", "maxLength", String.valueOf(maxTokens));
            this.tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), opts);
        } catch (IOException | RuntimeException e) {
            throw new LcmException("concept encoder " + name + ": cannot load its tokenizer.json: " + e.getMessage());
        }
        try {
            this.env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions so = new OrtSession.SessionOptions();
            so.setIntraOpNumThreads(1); // parallelism comes from encoding several sentences at once
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(onnxModel, so);
            Set<String> inputs = session.getInputNames();
            if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
                throw new LcmException("concept encoder " + name + ": the ONNX model's inputs are " + inputs
                        + "; a BERT-style export with input_ids and attention_mask is expected");
            }
            this.useTypeIds = inputs.contains("token_type_ids");
        } catch (OrtException e) {
            throw new LcmException("concept encoder " + name + ": cannot load the ONNX model: " + e.getMessage());
        }
        this.threads = Math.max(1, threads);
        this.dim = run(tokenize(List.of("dimension probe"))[0]).length;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public float[][] encode(List<String> sentences, String lang) {
        Languages.check(lang);
        if (englishOnlyNote != null && !lang.startsWith("eng_") && warnedLanguage.compareAndSet(false, true)) {
            LOG.warn("{}: encoding {} text; vectors of non-English text are of low quality (SONAR is multilingual)", englishOnlyNote, lang);
        }
        Encoding[] enc = tokenize(sentences);
        float[][] out = new float[enc.length][];
        if (enc.length == 0) return out;
        // One ONNX call per sentence, sentences spread over the worker threads: see the class comment for why.
        int workers = Math.min(threads, enc.length);
        if (workers <= 1) {
            for (int i = 0; i < enc.length; i++) out[i] = run(enc[i]);
            return out;
        }
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            fs.add(POOL.submit(() -> {
                for (int i = next.getAndIncrement(); i < enc.length; i = next.getAndIncrement()) out[i] = run(enc[i]);
            }));
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while encoding", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            }
        }
        return out;
    }

    private Encoding[] tokenize(List<String> sentences) {
        for (int i = 0; i < sentences.size(); i++) {
            if (sentences.get(i) == null) throw new LcmException("concept encoder " + name + ": sentence " + i + " is null");
        }
        synchronized (tokenizer) { // the native tokenizer handle is shared; its calls are cheap next to the model
            return tokenizer.batchEncode(sentences, true, false);
        }
    }

    private float[] run(Encoding e) {
        long[] ids = e.getIds();
        long[] shape = {1, ids.length};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(e.getAttentionMask()), shape));
            if (useTypeIds) in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(e.getTypeIds()), shape));
            try (OrtSession.Result r = session.run(in)) {
                float[][][] states = (float[][][]) r.get(0).getValue(); // [1, S, H]
                return pool(states[0], ids.length);
            }
        } catch (OrtException ex) {
            throw new IllegalStateException("ONNX Runtime failed on a sentence of " + ids.length + " tokens", ex);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** Mean over the sentence's real tokens ([CLS] and [SEP] included, as sentence-transformers) or [CLS]. */
    private float[] pool(float[][] states, int len) {
        int h = states[0].length;
        float[] v = new float[h];
        if (pooling == Pooling.CLS) {
            System.arraycopy(states[0], 0, v, 0, h);
        } else {
            double[] acc = new double[h];
            for (int t = 0; t < len; t++) for (int j = 0; j < h; j++) acc[j] += states[t][j];
            for (int j = 0; j < h; j++) v[j] = (float) (acc[j] / len);
        }
        if (normalize) {
            double n = 0;
            for (float x : v) n += (double) x * x;
            float inv = (float) (1.0 / Math.max(Math.sqrt(n), 1e-12));
            for (int j = 0; j < h; j++) v[j] *= inv;
        }
        return v;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.debug("closing ONNX session", e);
        }
        tokenizer.close();
    }
}
