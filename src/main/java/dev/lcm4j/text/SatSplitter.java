package dev.lcm4j.text;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Segment any Text (wtpsplit's SaT, XLM-R subword models) through ONNX Runtime. DIR holds the wtpsplit ONNX export
 * {@code model_optimized.onnx} and the XLM-R {@code tokenizer.json}. Follows wtpsplit's {@code extract}: token blocks
 * of at most 510 wrapped in CLS/SEP, moved by {@code stride}, logits of overlapping blocks averaged; the newline
 * probability sigmoid(logit 0) of each token goes to its last character; a sentence ends after a character whose
 * probability exceeds the threshold, and input newlines always split ({@code split_on_input_newlines}).
 */
final class SatSplitter implements RawSplitter {
    static final int CLS = 0;
    static final int PAD = 1;
    static final int SEP = 2;
    static final int MAX_TOKENS = 510;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean halfMask;
    private final int blockSize;
    private final int stride;
    private final double threshold;

    private SatSplitter(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer, boolean halfMask,
                        int blockSize, int stride, double threshold) {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        this.halfMask = halfMask;
        this.blockSize = blockSize;
        this.stride = stride;
        this.threshold = threshold;
    }

    static SatSplitter open(Path dir, SplitterOptions options) {
        return open(dir, 256, 256, options.satThreshold());
    }

    /** {@code blockSize}/{@code stride} in tokens; the LCM pipeline uses 256/256. */
    static SatSplitter open(Path dir, int blockSize, int stride, double threshold) {
        if (blockSize < 1 || stride < 1) throw new LcmException("SaT block size and stride must be >= 1");
        Path model = dir.resolve("model_optimized.onnx");
        Path tok = dir.resolve("tokenizer.json");
        for (Path p : List.of(model, tok)) {
            if (!Files.isRegularFile(p))
                throw new LcmException("SaT splitter: " + p + " not found; sat:DIR needs the wtpsplit ONNX export "
                        + "(model_optimized.onnx) and the XLM-R tokenizer.json in DIR");
        }
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions so = new OrtSession.SessionOptions();
            OrtSession session = env.createSession(model.toString(), so);
            Map<String, NodeInfo> inputs = session.getInputInfo();
            if (!inputs.containsKey("input_ids") || !inputs.containsKey("attention_mask"))
                throw new LcmException("SaT model " + model + " must have inputs input_ids and attention_mask, has " + inputs.keySet());
            OnnxJavaType maskType = ((TensorInfo) inputs.get("attention_mask").getInfo()).type;
            if (maskType != OnnxJavaType.FLOAT && maskType != OnnxJavaType.FLOAT16)
                throw new LcmException("SaT model " + model + ": attention_mask must be float32 or float16, is " + maskType);
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tok,
                    // DJL truncates at the model's 512 tokens unless told not to; SaT blocks long texts itself
                    Map.of("addSpecialTokens", "false", "truncation", "false"));
            return new SatSplitter(env, session, tokenizer, maskType == OnnxJavaType.FLOAT16, blockSize, stride, threshold);
        } catch (OrtException | IOException e) {
            throw new LcmException("SaT splitter: cannot load " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> segment(String text, String lang) {
        float[] probs = charProbs(text);
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < probs.length; i++) if (probs[i] > threshold) idx.add(i);
        List<String> sentences = indicesToSentences(text, idx);
        // split_on_input_newlines: the model sees newlines as spaces, the input's own newlines always split
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) {
            String s = sentences.get(i);
            if (i < sentences.size() - 1 && s.endsWith("\n")) s = s.substring(0, s.length() - 1);
            out.addAll(TextCleaning.pySplit(s, "\n"));
        }
        return out;
    }

    /**
     * The reference's re-split of a sentence of {@code maxLen} or more: cut at the {@code round(n / maxLen) + 1}
     * most likely boundaries (ties included), {@code n} the sentence length.
     */
    @Override
    public List<String> resplitLong(String sentence, String lang, int maxLen) {
        float[] probs = charProbs(sentence);
        if (probs.length == 0) return List.of(sentence);
        int k = (int) Math.rint((double) probs.length / maxLen) + 1;
        float[] sorted = probs.clone();
        Arrays.sort(sorted);
        float cut = sorted[Math.max(0, sorted.length - k)];
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < probs.length; i++) if (probs[i] >= cut) idx.add(i);
        return indicesToSentences(sentence, idx);
    }

    /** Newline probability per UTF-16 unit of {@code text}; 0 for units that end no token. */
    float[] charProbs(String text) {
        float[] probs = new float[text.length()];
        if (text.isBlank()) return probs;
        Encoding enc = tokenizer.encode(text, false, false);
        long[] ids = enc.getIds();
        CharSpan[] spans = enc.getCharTokenSpans();
        if (ids.length == 0) return probs;
        float[] logits = averagedLogits(ids);
        // DJL's spans count code points (as Python does); the probability goes on the last UTF-16 unit of the
        // token's last character, so that cutting after it never splits a surrogate pair
        int[] cpEnd = new int[text.codePointCount(0, text.length()) + 1];
        for (int cp = 0, i = 0; i < text.length(); cp++) {
            i += Character.charCount(text.codePointAt(i));
            cpEnd[cp + 1] = i;
        }
        for (int t = 0; t < ids.length; t++) {
            if (spans[t] == null || ids[t] == CLS || ids[t] == SEP || ids[t] == PAD) continue;
            int end = spans[t].getEnd();
            if (end >= 1 && end < cpEnd.length) probs[cpEnd[end] - 1] = (float) (1 / (1 + Math.exp(-logits[t])));
        }
        return probs;
    }

    /** wtpsplit {@code extract} for one text: the newline logit per token, averaged over the blocks covering it. */
    private float[] averagedLogits(long[] ids) {
        int n = ids.length;
        int bs = Math.min(Math.min(blockSize, n), MAX_TOKENS);
        List<int[]> blocks = new ArrayList<>();
        for (int j = 0; j < n; j += stride) {
            int start = j, end = j + bs;
            boolean done = end >= n;
            if (done) {
                end = n;
                start = Math.max(end - bs, 0);
            }
            blocks.add(new int[] {start, end});
            if (done) break;
        }
        // every block has exactly bs tokens (the last one is moved back), so one batch needs no padding
        int width = bs + 2;
        long[] input = new long[blocks.size() * width];
        for (int b = 0; b < blocks.size(); b++) {
            int[] r = blocks.get(b);
            input[b * width] = CLS;
            System.arraycopy(ids, r[0], input, b * width + 1, bs);
            input[b * width + width - 1] = SEP;
        }
        float[] sum = new float[n];
        int[] count = new int[n];
        float[][][] logits = run(input, blocks.size(), width);
        for (int b = 0; b < blocks.size(); b++) {
            int[] r = blocks.get(b);
            for (int t = r[0]; t < r[1]; t++) {
                sum[t] += logits[b][t - r[0] + 1][0];   // +1 skips CLS
                count[t]++;
            }
        }
        for (int t = 0; t < n; t++) sum[t] /= count[t];
        return sum;
    }

    private float[][][] run(long[] input, int batch, int width) {
        long[] shape = {batch, width};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(input), shape);
             OnnxTensor mask = mask(batch * width, shape);
             OrtSession.Result res = session.run(Map.of("input_ids", ids, "attention_mask", mask))) {
            OnnxTensor out = (OnnxTensor) res.get("logits").orElseThrow(() -> new LcmException("SaT model has no 'logits' output"));
            long[] os = out.getInfo().getShape();
            FloatBuffer fb = out.getFloatBuffer();   // ORT widens float16 outputs to float
            int k = (int) os[2];
            float[][][] l = new float[batch][width][k];
            for (int b = 0; b < batch; b++) for (int s = 0; s < width; s++) fb.get(l[b][s]);
            return l;
        } catch (OrtException e) {
            throw new IllegalStateException("SaT inference failed: " + e.getMessage(), e);
        }
    }

    private OnnxTensor mask(int size, long[] shape) throws OrtException {
        if (!halfMask) {
            float[] m = new float[size];
            Arrays.fill(m, 1f);
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(m), shape);
        }
        ByteBuffer bb = ByteBuffer.allocateDirect(size * 2).order(ByteOrder.nativeOrder());
        short one = Float16.fromFloat(1f);
        for (int i = 0; i < size; i++) bb.putShort(one);
        bb.rewind();
        return OnnxTensor.createTensor(env, bb, shape, OnnxJavaType.FLOAT16);
    }

    /** wtpsplit {@code indices_to_sentences} without stripping: cut after each index and the whitespace following it. */
    static List<String> indicesToSentences(String text, List<Integer> indices) {
        List<String> out = new ArrayList<>();
        int offset = 0, idx = 0;
        for (int i : indices) {
            idx = i + 1;
            while (idx < text.length() && TextCleaning.isPySpace(text.charAt(idx))) idx++;
            if (idx > offset) out.add(text.substring(offset, idx));
            offset = idx;
        }
        if (idx != text.length() && idx < text.length()) out.add(text.substring(idx));
        return out;
    }
}
