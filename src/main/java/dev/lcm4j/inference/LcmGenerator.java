package dev.lcm4j.inference;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.NextConceptStep;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;
import java.util.Arrays;
import org.bytedeco.pytorch.global.torch;

/**
 * Autoregressive concept generation as the reference's {@code LCMGenerator}: batched ragged prompts, KV-cache
 * prefill of the common prompt prefix, one position per step, and per-row stopping on max_gen_len, on cosine to
 * the EOS concept, or on a repeated concept ({@link StoppingRule}). EOS/repetition only count once
 * {@code step - prompt_len >= min_gen_len}, so with min_gen_len 1 the first generated sentence can never stop a row
 * (kept from the reference, docs/quirks.md #20). Every hypothesis holds the prompt followed by the generated concepts, the EOS-like last one included unless
 * trimmed. What a "next concept" is belongs to the model's family ({@link NextConceptStep}).
 */
public final class LcmGenerator {
    private final Lcm model;
    private final ModelFamily<?, ?, ?> family;
    private final GeneratorOptions options;
    private final Record samplingOptions;
    private final float[] eos;

    public LcmGenerator(Lcm model, GeneratorOptions options, float[] eosVector) {
        this(model, options, null, eosVector);
    }

    /**
     * @param samplingOptions the model family's own sampling options (e.g. the two-tower model's diffusion options),
     *                        or null for the family's defaults
     */
    public LcmGenerator(Lcm model, GeneratorOptions options, Record samplingOptions, float[] eosVector) {
        this.model = model;
        this.family = ModelFamilies.of(model);
        this.options = options;
        this.samplingOptions = family.samplingOptionsOf(samplingOptions);
        this.eos = eosVector;
    }

    /**
     * @param prompts per row [len_i][D], len_i >= 1
     * @param maxGenLen null means options.max_seq_len
     * @param temperature 0 means options.lcm_temperature
     */
    public List<float[][]> generate(List<float[][]> prompts, Integer maxGenLen, Integer minGenLen, double temperature,
                                    boolean disableCache) {
        return generate(prompts, maxGenLen, minGenLen, temperature, disableCache, null, n -> { });
    }

    /** As {@link #generate(List, Integer, Integer, double, boolean)}, telling {@code progress} how many concepts each step made. */
    public List<float[][]> generate(List<float[][]> prompts, Integer maxGenLen, Integer minGenLen, double temperature,
                                    boolean disableCache, IntConsumer progress) {
        return generate(prompts, maxGenLen, minGenLen, temperature, disableCache, null, progress);
    }

    /** As {@link #generate(List, Integer, Integer, double, boolean, long[], IntConsumer)} without progress reports. */
    public List<float[][]> generate(List<float[][]> prompts, Integer maxGenLen, Integer minGenLen, double temperature,
                                    boolean disableCache, long[] rowSeeds) {
        return generate(prompts, maxGenLen, minGenLen, temperature, disableCache, rowSeeds, n -> { });
    }

    /**
     * As {@link #generate(List, Integer, Integer, double, boolean)}, but with {@code rowSeeds} (one per prompt) every
     * row draws its noise from its own generator seeded with its seed, instead of from torch's global generator
     * seeded with {@code options.seed}: a row's output then depends on its prompt and seed, not on the other rows
     * of the call, so a sample generates the same concepts in any batch, shard or process.
     *
     * @param rowSeeds null for the global generator
     * @param progress told how many concepts each step made
     */
    public List<float[][]> generate(List<float[][]> prompts, Integer maxGenLen, Integer minGenLen, double temperature,
                                    boolean disableCache, long[] rowSeeds, IntConsumer progress) {
        if (rowSeeds != null && rowSeeds.length != prompts.size()) {
            throw new IllegalArgumentException(rowSeeds.length + " row seeds for " + prompts.size() + " prompts");
        }
        StoppingRule rule = StoppingRule.of(options, maxGenLen, minGenLen, eos);
        int maxGen = rule.maxGen();
        double temp = temperature == 0.0 ? options.lcm_temperature() : temperature;
        boolean sample = options.sample_latent_variable();
        if (rowSeeds == null && options.seed() != null && options.seed() != 0) manual_seed(options.seed());
        int b = prompts.size();
        int d = prompts.get(0)[0].length;
        int[] promptLen = new int[b];
        int minPrompt = Integer.MAX_VALUE, maxPrompt = 0;
        for (int i = 0; i < b; i++) {
            promptLen[i] = prompts.get(i).length;
            if (promptLen[i] < 1) throw new LcmException("prompt " + i + " is empty; every prompt needs at least one concept");
            for (float[] v : prompts.get(i)) if (v.length != d) throw new LcmException("prompt " + i + " mixes embedding dimensions " + d + " and " + v.length);
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
        Noise noise = rowSeeds == null ? Noise.global() : Noise.perRow(rowSeeds);
        NextConceptStep stepper = family.nextConceptStepOf(model, new NextConceptStep.Settings(cached, sample, temp, noise), samplingOptions);
        try (NoGradGuard g = new NoGradGuard(); noise; stepper) {
            if (cached && minPrompt > 1) {
                try (PointerScope s = new PointerScope()) {
                    stepper.prefill(model.onDevice(tensor(seqs, active, 0, minPrompt - 1, d)));
                }
            }
            for (int step = minPrompt; step < total && !active.isEmpty(); step++) {
                float[] flat;
                boolean[] drawing = new boolean[active.size()];   // rows still reading their prompt draw no noise
                for (int j = 0; j < drawing.length; j++) drawing[j] = step >= promptLen[active.get(j)];
                noise.drawOnlyFor(drawing);
                try (PointerScope s = new PointerScope()) {
                    Tensor input = model.onDevice(cached ? tensor(seqs, active, step - 1, step, d) : tensor(seqs, active, 0, step, d));
                    flat = Tensors.toFloats(stepper.next(input).contiguous());             // [active, D]
                }
                List<Integer> keep = new ArrayList<>();    // positions (in the active batch) of rows that go on
                int made = 0;
                for (int j = 0; j < active.size(); j++) {
                    int i = active.get(j);
                    if (step < promptLen[i]) { keep.add(j); continue; } // still reading this row's prompt
                    float[] v = Arrays.copyOfRange(flat, j * d, (j + 1) * d);
                    seqs[i][step] = v;
                    int generatedBefore = step - promptLen[i];
                    made++;
                    StoppingRule.Decision decision = rule.after(seqs[i][step - 1], v, generatedBefore);
                    if (decision == StoppingRule.Decision.GO_ON) { keep.add(j); continue; }
                    int len = decision == StoppingRule.Decision.STOP_DROP_LAST ? step : step + 1;
                    float[][] h = new float[len][];
                    System.arraycopy(seqs[i], 0, h, 0, len);
                    results[i] = h;
                }
                progress.accept(made);
                if (keep.size() < active.size()) {
                    // drop finished rows from the batch and the KV cache (the reference's reorder_state)
                    if (!keep.isEmpty()) {
                        try (PointerScope s = new PointerScope()) {
                            long[] idx = new long[keep.size()];
                            for (int j = 0; j < idx.length; j++) idx[j] = keep.get(j);
                            stepper.keepRows(model.onDevice(Tensors.longs(idx, idx.length)));
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
        return Tensors.floats(data, b, len, d);
    }
}
