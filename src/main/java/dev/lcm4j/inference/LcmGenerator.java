package dev.lcm4j.inference;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.torch.T;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Autoregressive concept generation as the reference's {@code LCMGenerator}: batched ragged prompts, KV-cache
 * prefill of the common prompt prefix, one position per step, and per-row stopping on max_gen_len, on cosine to
 * the EOS concept, or on a repeated concept. EOS/repetition only count once {@code step - prompt_len >= min_gen_len},
 * so with min_gen_len 1 the first generated sentence can never stop a row (kept from the reference, docs/quirks.md
 * #20). Every hypothesis holds the prompt followed by the generated concepts, the EOS-like last one included unless
 * trimmed.
 */
public final class LcmGenerator {
    private final Lcm model;
    private final GeneratorOptions options;
    private final DiffusionSampler sampler;
    private final float[] eos;

    public LcmGenerator(BaseLcm model, GeneratorOptions options, float[] eosVector) {
        this(model, options, null, eosVector);
    }

    /**
     * @param diffusion the two-tower model's sampling options (null: the defaults); ignored for the MSE LCM, whose
     *                  sampling is {@code options.sample_latent_variable}
     */
    public LcmGenerator(Lcm model, GeneratorOptions options, DiffusionOptions diffusion, float[] eosVector) {
        this.model = model;
        this.options = options;
        this.sampler = model instanceof TwoTowerDiffusionLcm tt
                ? new DiffusionSampler(tt, diffusion == null ? DiffusionOptions.defaults() : diffusion) : null;
        this.eos = eosVector;
    }

    /**
     * One model's way of producing the next concept of every active row. With a cache, {@link #prefill} sees the
     * common prompt prefix once and {@link #next} the last concept only; without, {@link #next} sees the full prefix.
     */
    private interface Stepper extends AutoCloseable {
        void prefill(Tensor prefix);

        /** -> [rows, D], the next concept of each row. */
        Tensor next(Tensor input);

        void keepRows(Tensor rowIndex);

        @Override
        void close();
    }

    /** The MSE LCM: predict_next_sentence on the cache, last position. */
    private static final class MseStepper implements Stepper {
        private final BaseLcm model;
        private final IncrementalState state;
        private final boolean sample;
        private final double temperature;

        MseStepper(BaseLcm model, boolean cached, boolean sample, double temperature) {
            this.model = model;
            this.state = cached ? new IncrementalState() : null;
            this.sample = sample;
            this.temperature = temperature;
        }

        public void prefill(Tensor prefix) {
            model.predictNextSentence(prefix, sample, temperature, state);
        }

        public Tensor next(Tensor input) {
            Tensor out = model.predictNextSentence(input, sample, temperature, state);
            return out.select(1, out.size(1) - 1);
        }

        public void keepRows(Tensor rowIndex) {
            if (state != null) state.reorder(rowIndex);
        }

        public void close() {
            if (state != null) state.close();
        }
    }

    /**
     * The two-tower model: the context encoder runs incrementally (KV cache) and the encoded context grows by one
     * position per step; the denoiser then runs the whole DDIM loop for one new concept per row. Without the cache
     * (which the reference does not support; docs/quirks.md #22) the full prefix is re-encoded at every step.
     */
    private static final class DiffusionStepper implements Stepper {
        private final TwoTowerDiffusionLcm model;
        private final DiffusionSampler sampler;
        private final IncrementalState state;
        private final ModulationCache modulations;
        private Tensor context; // [rows, L, model_dim], outlives the per-step pointer scopes

        DiffusionStepper(TwoTowerDiffusionLcm model, DiffusionSampler sampler, boolean cached) {
            this.model = model;
            this.sampler = sampler;
            this.state = cached ? new IncrementalState() : null;
            this.modulations = new ModulationCache(model);
        }

        public void prefill(Tensor prefix) {
            setContext(model.encode(model.normalizer().normalize(prefix), state));
        }

        public Tensor next(Tensor input) {
            Tensor encoded = model.encode(model.normalizer().normalize(input), state);      // [rows, 1 | step, D]
            Tensor ctx = state == null || context == null ? encoded : cat(new TensorVector(context, encoded), 1);
            setContext(ctx);
            Tensor latents = sampler.initialLatents(ctx.size(0), 1);
            return sampler.sample(ctx, null, latents, modulations).select(1, 0);             // [rows, C]
        }

        public void keepRows(Tensor rowIndex) {
            if (state != null) state.reorder(rowIndex);
            if (context != null) setContext(context.index_select(0, rowIndex));
        }

        private void setContext(Tensor c) {
            c.retainReference();
            if (context != null) context.releaseReference();
            context = c;
        }

        public void close() {
            if (state != null) state.close();
            modulations.close();
            if (context != null) context.releaseReference();
            context = null;
        }
    }

    /**
     * @param prompts per row [len_i][D], len_i >= 1
     * @param maxGenLen null means options.max_seq_len
     * @param temperature 0 means options.lcm_temperature
     */
    public List<float[][]> generate(List<float[][]> prompts, Integer maxGenLen, Integer minGenLen, double temperature,
                                    boolean disableCache) {
        // as the reference, 0 or null mean "the option's default"
        int maxGen = maxGenLen == null || maxGenLen == 0 ? options.max_seq_len() : maxGenLen;
        if (maxGen > options.max_seq_len()) throw new dev.lcm4j.LcmException("max_gen_len " + maxGen + " exceeds max_seq_len " + options.max_seq_len());
        if (maxGen < 1) throw new dev.lcm4j.LcmException("max_gen_len must be >= 1, got " + maxGen);
        int minGen = Math.max(1, minGenLen == null || minGenLen == 0 ? options.min_seq_len() : minGenLen);
        double temp = temperature == 0.0 ? options.lcm_temperature() : temperature;
        boolean sample = options.sample_latent_variable();
        if (options.seed() != null && options.seed() != 0) manual_seed(options.seed());
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
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < b; i++) active.add(i);
        model.train(false);
        boolean cached = !disableCache;
        Stepper stepper = sampler != null ? new DiffusionStepper((TwoTowerDiffusionLcm) model, sampler, cached)
                : new MseStepper((BaseLcm) model, cached, sample, temp);
        try (NoGradGuard g = new NoGradGuard(); stepper) {
            if (cached && minPrompt > 1) {
                try (PointerScope s = new PointerScope()) {
                    stepper.prefill(tensor(seqs, active, 0, minPrompt - 1, d));
                }
            }
            for (int step = minPrompt; step < total && !active.isEmpty(); step++) {
                float[] flat;
                try (PointerScope s = new PointerScope()) {
                    Tensor input = cached ? tensor(seqs, active, step - 1, step, d) : tensor(seqs, active, 0, step, d);
                    flat = T.toFloats(stepper.next(input).contiguous());             // [active, D]
                }
                List<Integer> keep = new ArrayList<>();    // positions (in the active batch) of rows that go on
                for (int j = 0; j < active.size(); j++) {
                    int i = active.get(j);
                    if (step < promptLen[i]) { keep.add(j); continue; } // still reading this row's prompt
                    float[] v = java.util.Arrays.copyOfRange(flat, j * d, (j + 1) * d);
                    seqs[i][step] = v;
                    int generatedBefore = step - promptLen[i];
                    boolean stoppedOnEos = false;
                    if (generatedBefore >= minGen) {
                        if (eos != null && options.eos_threshold() != null && cosine(eos, v) >= options.eos_threshold()) stoppedOnEos = true;
                        Double rep = options.stop_on_repetition_cosine_threshold();
                        if (rep != null && cosine(seqs[i][step - 1], v) >= rep) stoppedOnEos = true; // the reference counts it as EOS
                    }
                    boolean stop = stoppedOnEos || generatedBefore + 1 >= maxGen;
                    if (!stop) { keep.add(j); continue; }
                    int len = step + 1;
                    if (options.trim_hypotheses() && stoppedOnEos && !options.include_eos_token()) len--;
                    float[][] h = new float[len][];
                    System.arraycopy(seqs[i], 0, h, 0, len);
                    results[i] = h;
                }
                if (keep.size() < active.size()) {
                    // drop finished rows from the batch and the KV cache (the reference's reorder_state)
                    if (!keep.isEmpty()) {
                        try (PointerScope s = new PointerScope()) {
                            long[] idx = new long[keep.size()];
                            for (int j = 0; j < idx.length; j++) idx[j] = keep.get(j);
                            stepper.keepRows(T.longs(idx, idx.length));
                        }
                    }
                    List<Integer> next = new ArrayList<>();
                    for (int j : keep) next.add(active.get(j));
                    active = next;
                }
            }
        }
        List<float[][]> out = new ArrayList<>();
        for (float[][] r : results) out.add(r);
        return out;
    }

    /** [rows, to - from, D] of the given rows' positions from..to-1. */
    private static Tensor tensor(float[][][] seqs, List<Integer> rows, int from, int to, int d) {
        int b = rows.size(), len = to - from;
        float[] data = new float[b * len * d];
        for (int j = 0; j < b; j++) for (int p = 0; p < len; p++) System.arraycopy(seqs[rows.get(j)][from + p], 0, data, (j * len + p) * d, d);
        return T.floats(data, b, len, d);
    }

    /** torch.nn.functional.cosine_similarity with eps 1e-8 on each norm. */
    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) { dot += a[i] * (double) b[i]; na += a[i] * (double) a[i]; nb += b[i] * (double) b[i]; }
        return dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
    }
}
