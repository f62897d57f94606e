package dev.lcm4j.inference;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.torch.T;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Autoregressive concept generation as the reference's {@code LCMGenerator}: batched ragged prompts, KV-cache
 * prefill of the common prompt prefix, one position per step, and per-row stopping on max_gen_len, on cosine to
 * the EOS concept, or on a repeated concept. EOS/repetition only count once {@code step - prompt_len >= min_gen_len},
 * so with min_gen_len 1 the first generated sentence can never stop a row (reference quirk 9). Every hypothesis
 * holds the prompt followed by the generated concepts, the EOS-like last one included unless trimmed.
 */
public final class LcmGenerator {
    private final BaseLcm model;
    private final GeneratorOptions options;
    private final float[] eos;

    public LcmGenerator(BaseLcm model, GeneratorOptions options, float[] eosVector) {
        this.model = model;
        this.options = options;
        this.eos = eosVector;
    }

    /**
     * @param prompts per row [len_i][D], len_i >= 1
     * @param maxGenLen null means options.max_seq_len
     * @param temperature 0 means options.lcm_temperature
     */
    public List<float[][]> generate(List<float[][]> prompts, Integer maxGenLen, Integer minGenLen, double temperature,
                                    boolean disableCache) {
        int maxGen = maxGenLen == null ? options.max_seq_len() : maxGenLen;
        if (maxGen > options.max_seq_len()) throw new dev.lcm4j.LcmException("max_gen_len " + maxGen + " exceeds max_seq_len " + options.max_seq_len());
        if (maxGen < 1) throw new dev.lcm4j.LcmException("max_gen_len must be >= 1, got " + maxGen);
        int minGen = Math.max(1, minGenLen == null ? options.min_seq_len() : minGenLen);
        double temp = temperature == 0.0 ? options.lcm_temperature() : temperature;
        if (options.seed() != null) manual_seed(options.seed());
        int b = prompts.size();
        int d = prompts.get(0)[0].length;
        int[] promptLen = new int[b];
        int minPrompt = Integer.MAX_VALUE, maxPrompt = 0;
        for (int i = 0; i < b; i++) {
            promptLen[i] = prompts.get(i).length;
            if (promptLen[i] < 1) throw new dev.lcm4j.LcmException("prompt " + i + " is empty; every prompt needs at least one concept");
            for (float[] v : prompts.get(i)) if (v.length != d) throw new dev.lcm4j.LcmException("prompt " + i + " mixes embedding dimensions " + d + " and " + v.length);
            minPrompt = Math.min(minPrompt, promptLen[i]);
            maxPrompt = Math.max(maxPrompt, promptLen[i]);
        }
        int total = maxPrompt + maxGen;
        float[][][] seqs = new float[b][total][];
        for (int i = 0; i < b; i++) for (int p = 0; p < promptLen[i]; p++) seqs[i][p] = prompts.get(i)[p];
        for (int i = 0; i < b; i++) for (int p = promptLen[i]; p < total; p++) seqs[i][p] = new float[d];

        float[][][] results = new float[b][][];
        boolean[] done = new boolean[b];
        int remaining = b;
        model.train(false);
        IncrementalState state = disableCache ? null : new IncrementalState();
        try (NoGradGuard g = new NoGradGuard()) {
            if (state != null && minPrompt > 1) {
                try (PointerScope s = new PointerScope()) {
                    model.predictNextSentence(tensor(seqs, 0, minPrompt - 1, d), false, 0, state);
                }
            }
            for (int step = minPrompt; step < total && remaining > 0; step++) {
                float[][] next;
                try (PointerScope s = new PointerScope()) {
                    Tensor input = state != null ? tensor(seqs, step - 1, step, d) : tensor(seqs, 0, step, d);
                    Tensor out = model.predictNextSentence(input, options.sample_latent_variable(), temp, state);
                    Tensor last = out.select(1, out.size(1) - 1).contiguous();   // [B,D]
                    float[] flat = T.toFloats(last);
                    next = new float[b][d];
                    for (int i = 0; i < b; i++) System.arraycopy(flat, i * d, next[i], 0, d);
                }
                for (int i = 0; i < b; i++) {
                    if (done[i]) continue;
                    if (step < promptLen[i]) continue; // still reading this row's prompt
                    float[] v = next[i];
                    seqs[i][step] = v;
                    int generatedBefore = step - promptLen[i];
                    boolean isEos = false, stop = false;
                    if (generatedBefore >= minGen) {
                        if (eos != null && options.eos_threshold() != null && cosine(eos, v) >= options.eos_threshold()) { isEos = true; stop = true; }
                        Double rep = options.stop_on_repetition_cosine_threshold();
                        if (rep != null && cosine(seqs[i][step - 1], v) >= rep) stop = true;
                    }
                    if (generatedBefore + 1 >= maxGen) stop = true;
                    if (stop) {
                        int len = step + 1;
                        if (options.trim_hypotheses() && isEos && !options.include_eos_token()) len--;
                        float[][] h = new float[len][];
                        System.arraycopy(seqs[i], 0, h, 0, len);
                        results[i] = h;
                        done[i] = true;
                        remaining--;
                    }
                }
            }
        } finally {
            if (state != null) state.close();
        }
        List<float[][]> out = new ArrayList<>();
        for (float[][] r : results) out.add(r);
        return out;
    }

    private static Tensor tensor(float[][][] seqs, int from, int to, int d) {
        int b = seqs.length, len = to - from;
        float[] data = new float[b * len * d];
        for (int i = 0; i < b; i++) for (int p = 0; p < len; p++) System.arraycopy(seqs[i][from + p], 0, data, (i * len + p) * d, d);
        return T.floats(data, b, len, d);
    }

    /** torch.nn.functional.cosine_similarity with eps 1e-8 on each norm. */
    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) { dot += a[i] * (double) b[i]; na += a[i] * (double) a[i]; nb += b[i] * (double) b[i]; }
        return dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
    }
}
