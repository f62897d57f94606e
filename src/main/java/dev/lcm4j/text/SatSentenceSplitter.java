package dev.lcm4j.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Segment any Text (SaT, wtpsplit), the reference's splitter, over ONNX Runtime with the user's export of a
 * {@code segment-any-text/sat-*} model: a directory with {@code model_optimized.onnx} (wtpsplit's
 * {@code export_to_onnx_sat.py}: input_ids int64, attention_mask float16, logits [b, s, k]) and the XLM-R
 * {@code tokenizer.json}. Port of wtpsplit's {@code extract} with the LCM's settings (block size 256, stride 256,
 * uniform weighting; overlapping blocks averaged, in fp16 as wtpsplit accumulates), {@code token_to_char_probs} (a
 * token's newline probability sigmoid(logit[0]) goes to its last character) and {@code indices_to_sentences}.
 * Texts are processed one at a time, so a text's split never depends on its batch-mates.
 */
public final class SatSentenceSplitter implements SentenceSplitter {
    private static final int BLOCK_SIZE = 256;
    private static final int STRIDE = 256;
    private static final int CLS = 0;
    private static final int SEP = 2;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean halfMask;
    private final double threshold;

    private SatSentenceSplitter(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer, boolean halfMask, double threshold) {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        this.halfMask = halfMask;
        this.threshold = threshold;
    }

    public static SatSentenceSplitter load(Path dir, double threshold) {
        Path model = dir.resolve("model_optimized.onnx");
        if (!Files.isRegularFile(model)) model = dir.resolve("model.onnx");
        if (!Files.isRegularFile(model)) {
            throw new LcmException("SaT splitter: " + dir.resolve("model_optimized.onnx") + " does not exist; export a segment-any-text/sat-* model"
                    + " with wtpsplit's scripts/export_to_onnx_sat.py and pass its directory as --splitter sat:DIR");
        }
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tok)) {
            throw new LcmException("SaT splitter: " + tok + " does not exist; put the XLM-R tokenizer.json (FacebookAI/xlm-roberta-base) next to the model");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tok, Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false"));
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions so = new OrtSession.SessionOptions();
            so.setIntraOpNumThreads(1); // callers split many documents in parallel
            OrtSession session = env.createSession(model.toString(), so);
            NodeInfo mask = session.getInputInfo().get("attention_mask");
            if (mask == null || !session.getInputInfo().containsKey("input_ids")) {
                throw new LcmException("SaT splitter: " + model + " has inputs " + session.getInputNames() + "; expected input_ids and attention_mask");
            }
            boolean half = ((TensorInfo) mask.getInfo()).type == OnnxJavaType.FLOAT16;
            return new SatSentenceSplitter(env, session, t, half, threshold);
        } catch (IOException | OrtException e) {
            throw new LcmException("SaT splitter: cannot load " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public List<String> split(String text, String lang) {
        int[] cps = text.codePoints().toArray();
        float[] probs = charProbabilities(text);
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < probs.length; i++) if (probs[i] > threshold) idx.add(i);
        List<String> sentences = indicesToSentences(cps, idx);
        // wtpsplit's split_on_input_newlines: the model sees newlines as spaces, the input's newlines still split.
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) {
            String s = sentences.get(i);
            if (i < sentences.size() - 1 && s.endsWith("\n")) s = s.substring(0, s.length() - 1);
            out.addAll(Arrays.asList(s.split("\n", -1)));
        }
        return out;
    }

    /**
     * The reference LCM pipeline's first re-split of a sentence of {@code maxLen} or more characters: cut after its
     * {@code round(n / maxLen) + 1} most probable boundaries (Python's round: half to even).
     */
    public List<String> splitAtTopBoundaries(String sentence, int maxLen) {
        int[] cps = sentence.codePoints().toArray();
        float[] probs = charProbabilities(sentence);
        int nbSplit = (int) Math.rint((double) probs.length / maxLen) + 1;
        float[] sorted = probs.clone();
        Arrays.sort(sorted);
        float thr = sorted[Math.max(0, sorted.length - nbSplit)];
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < probs.length; i++) if (probs[i] >= thr) idx.add(i);
        return indicesToSentences(cps, idx);
    }

    /** Newline probability of every character (code point) of {@code text}; 0 where no token ends. */
    public float[] charProbabilities(String text) {
        int[] cps = text.codePoints().toArray();
        float[] probs = new float[cps.length];
        if (text.isBlank()) return probs;
        Encoding enc;
        synchronized (tokenizer) {
            enc = tokenizer.encode(text, false, false);
        }
        long[] ids = enc.getIds();
        if (ids.length == 0) return probs;
        float[] logits = extract(ids);
        CharSpan[] spans = enc.getCharTokenSpans();
        for (int t = 0; t < ids.length; t++) {
            if (spans[t] == null) continue;
            int end = spans[t].getEnd(); // DJL gives the tokenizer's offsets in code points, as Python does
            if (end > 0) probs[end - 1] = (float) (1.0 / (1.0 + Math.exp(-logits[t])));
        }
        return probs;
    }

    /** wtpsplit's extract for one text: overlapping blocks of at most 256 tokens in [CLS] ... [SEP], averaged. */
    private float[] extract(long[] ids) {
        int n = ids.length;
        int bs = Math.min(Math.min(BLOCK_SIZE, n), 510);
        List<int[]> locs = new ArrayList<>();
        for (int j = 0; j < n; j += STRIDE) {
            int start = j, end = j + bs;
            boolean done = false;
            if (end >= n) {
                end = n;
                start = Math.max(end - bs, 0);
                done = true;
            }
            locs.add(new int[] {start, end});
            if (done) break;
        }
        int b = locs.size(), s = bs + 2;
        long[] input = new long[b * s];
        float[] mask = new float[b * s];
        for (int i = 0; i < b; i++) {
            int start = locs.get(i)[0], end = locs.get(i)[1];
            input[i * s] = CLS;
            System.arraycopy(ids, start, input, i * s + 1, end - start);
            input[i * s + 1 + end - start] = SEP;
            for (int k = 0; k < end - start + 2; k++) mask[i * s + k] = 1;
        }
        float[] chunkLogits = run(input, mask, b, s); // [b, s] newline logits
        float[] acc = new float[n];
        float[] counts = new float[n];
        for (int i = 0; i < b; i++) {
            int start = locs.get(i)[0], end = locs.get(i)[1];
            for (int k = 0; k < end - start; k++) {
                acc[start + k] = Half.round(acc[start + k] + chunkLogits[i * s + 1 + k]); // fp16 accumulator, as wtpsplit
                counts[start + k] += 1;
            }
        }
        float[] out = new float[n];
        for (int t = 0; t < n; t++) out[t] = Half.round(acc[t] / counts[t]);
        return out;
    }

    private float[] run(long[] input, float[] mask, int b, int s) {
        long[] shape = {b, s};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(input), shape));
            if (halfMask) {
                short[] h = new short[mask.length];
                for (int i = 0; i < h.length; i++) h[i] = Half.toBits(mask[i]);
                in.put("attention_mask", OnnxTensor.createTensor(env, ShortBuffer.wrap(h), shape, OnnxJavaType.FLOAT16));
            } else {
                in.put("attention_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), shape));
            }
            try (OrtSession.Result r = session.run(in)) {
                OnnxTensor logits = (OnnxTensor) r.get(0);
                long[] ls = logits.getInfo().getShape(); // [b, s, k]
                FloatBuffer fb = logits.getFloatBuffer(); // fp16 outputs are widened to float
                int k = (int) ls[2];
                float[] out = new float[b * s];
                for (int i = 0; i < b * s; i++) out[i] = fb.get(i * k); // label 0: newline
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("SaT model failed on " + b + " blocks of " + s + " tokens", e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** wtpsplit's indices_to_sentences (without stripping): cut after each index and the whitespace that follows it. */
    static List<String> indicesToSentences(int[] text, List<Integer> indices) {
        List<String> out = new ArrayList<>();
        int offset = 0, idx = 0;
        for (int i : indices) {
            idx = i + 1;
            while (idx < text.length && isSpace(text[idx])) idx++;
            if (idx > offset) out.add(new String(text, offset, idx - offset));
            offset = idx;
        }
        if (idx != text.length && text.length > idx) out.add(new String(text, idx, text.length - idx));
        return out;
    }

    /** Python's str.isspace: whitespace and space separators (no-break space included). */
    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    /** IEEE half precision, which Java 17 lacks (Float.floatToFloat16 arrived in Java 20). */
    static final class Half {
        private Half() {
        }

        static short toBits(float f) {
            int x = Float.floatToIntBits(f);
            int sign = (x >>> 16) & 0x8000;
            int exp = (x >>> 23) & 0xFF;
            int mant = x & 0x7FFFFF;
            if (exp == 0xFF) return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
            int e = exp - 127 + 15;
            if (e >= 0x1F) return (short) (sign | 0x7C00);
            if (e <= 0) {
                if (e < -10) return (short) sign;
                mant |= 0x800000;
                int shift = 14 - e;
                int half = mant >> shift;
                int rem = mant & ((1 << shift) - 1);
                int mid = 1 << (shift - 1);
                if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
                return (short) (sign | half);
            }
            int half = (e << 10) | (mant >> 13);
            int rem = mant & 0x1FFF;
            if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++; // round half to even; may carry into exp
            return (short) (sign | half);
        }

        static float toFloat(short bits) {
            int h = bits & 0xFFFF;
            int sign = (h & 0x8000) << 16;
            int exp = (h >>> 10) & 0x1F;
            int mant = h & 0x3FF;
            if (exp == 0) {
                if (mant == 0) return Float.intBitsToFloat(sign);
                float v = mant / 1024f * (float) Math.pow(2, -14);
                return sign != 0 ? -v : v;
            }
            if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
            return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
        }

        static float round(float f) {
            return toFloat(toBits(f));
        }
    }
}
