package dev.lcm4j.concepts.sonar;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.ScalarTypeOptional;

/**
 * Beam search for the SONAR decoder, batched over sentences x beams with the decoder's KV cache, following fairseq2
 * v0.4.6 {@code BeamSearchSeq2SeqGenerator} + {@code StandardBeamSearchAlgorithm} as SONAR's
 * {@code EmbeddingToTextModelPipeline} runs it:
 * <ul>
 * <li>prompt {@code [</s>, __lang__]}; the prompt is prefilled, so every hypothesis score starts with
 *     log p(lang | </s>);</li>
 * <li>length limit: {@code min(max_seq_len, 2 + max_gen_len)} tokens in all, where max_gen_len = 1 x source length +
 *     128 and the "source" is the [N, D] sentence tensor, so its length is D (1024 for SONAR): in practice
 *     max_seq_len decides; min_gen_len 1;</li>
 * <li>log_softmax in fp32; at the last possible step only {@code </s>} is allowed; otherwise {@code <unk>} gets the
 *     unk penalty, then the vocabulary's pad_idx is set to -inf -- SONAR's VocabularyInfo says pad_idx=1, which is
 *     {@code <unk>}, so {@code <unk>} is never generated -- and {@code </s>} is banned before min length;</li>
 * <li>per sentence: top 2 x beam over (rows x V) of cumulative scores; candidates ending in {@code </s>} among the
 *     first beam become hypotheses (score / (step)^len_penalty when normalised, step = tokens after the first prompt
 *     token); a sentence is done when it has beam hypotheses; the other candidates, first beam of them, go on;</li>
 * <li>hypotheses are sorted by score, highest first, ties in order of completion (Python's stable sort).</li>
 * </ul>
 * Greedy decoding is beam size 1 (the top candidate either ends the sentence or is continued: argmax).
 */
public final class BeamSearch {
    /** fairseq2's VocabularyInfo(pad_idx=1) in SONAR's configs: the id the generator bans as "PAD". */
    static final int CONFIG_PAD_IDX = 1;

    /** Generation settings; {@link #sonar()} are SONAR's and fairseq2's defaults. */
    /**
     * @param temperature the logits are divided by it before log_softmax, at prefill and at every step (fairseq2's
     *                    {@code temperature}; 1 leaves them as they are)
     */
    public record Options(int beamSize, int maxSeqLen, int minGenLen, double lenPenalty, double unkPenalty, boolean normalizeScores,
                          double temperature) {
        public Options {
            if (beamSize < 1) throw new LcmException("beam size must be at least 1, got " + beamSize);
            if (!(temperature > 0) || Double.isInfinite(temperature)) throw new LcmException("decoding temperature must be a positive number, got " + temperature);
            if (maxSeqLen < 3) throw new LcmException("max_seq_len must be at least 3 (2 prompt tokens + 1), got " + maxSeqLen);
        }

        public static Options sonar() {
            return new Options(5, 512, 1, 1.0, 0.0, true, 1.0);
        }

        public Options withBeamSize(int b) {
            return new Options(b, maxSeqLen, minGenLen, lenPenalty, unkPenalty, normalizeScores, temperature);
        }

        public Options withMaxSeqLen(int m) {
            return new Options(beamSize, m, minGenLen, lenPenalty, unkPenalty, normalizeScores, temperature);
        }

        public Options withTemperature(double t) {
            return new Options(beamSize, maxSeqLen, minGenLen, lenPenalty, unkPenalty, normalizeScores, t);
        }
    }

    /** Generated tokens after the prompt, the final {@code </s>} included, and the (normalised) score. */
    public record Hypothesis(long[] tokens, float score) {
    }

    private BeamSearch() {
    }

    /** The logits divided by the temperature (the same tensor when it is 1, as fairseq2 skips the division). */
    private static Tensor tempered(Tensor logits, Options o) {
        return o.temperature() == 1.0 ? logits : logits.div(Tensors.scalar(o.temperature()));
    }

    /** For each sentence vector of emb [P, D], its hypotheses (beam of them), best first. */
    public static List<List<Hypothesis>> generate(SonarTextDecoder decoder, Tensor emb, long langId, Options o) {
        int p = (int) emb.size(0);
        int beam = o.beamSize();
        int maxSeqLen = Math.min(o.maxSeqLen(), decoder.config().maxSeqLen());
        long maxGenLen = emb.size(1) + 128L;   // a=1 x source length (D) + b=128
        int maxLen = (int) Math.min(maxSeqLen, 2 + maxGenLen);
        int minLen = Math.min(maxSeqLen, 2 + o.minGenLen());
        int eos = NllbTokenizer.EOS;

        List<List<Hypothesis>> out = new ArrayList<>();
        for (int i = 0; i < p; i++) out.add(new ArrayList<>());
        // Host-side rows: owning sentence, generated tokens, cumulative score. Rows of one sentence are contiguous
        // and every live sentence has the same number of rows (1 before the first step, then beam).
        int[] rowSentence = new int[p];
        long[][] rowTokens = new long[p][0];
        float[] rowScore = new float[p];
        for (int i = 0; i < p; i++) rowSentence[i] = i;
        int rowsPer = 1;

        try (NoGradGuard g = new NoGradGuard(); SonarTextDecoder.State state = decoder.start(emb)) {
            // Prefill: feed </s>, score the language token.
            try (PointerScope s = new PointerScope()) {
                Tensor lp = log_softmax(tempered(decoder.step(state, full(p, eos)), o), -1, new ScalarTypeOptional(ScalarType.Float));
                float[] langScore = Tensors.toFloats(lp.select(1, langId));
                System.arraycopy(langScore, 0, rowScore, 0, p);
            }
            long[] last = new long[p];
            Arrays.fill(last, langId);
            for (int step = 2; step < maxLen && rowSentence.length > 0; step++) {
                int rows = rowSentence.length, live = rows / rowsPer;
                float[] topScores;
                long[] topIndices;
                long vocab;
                int k;
                try (PointerScope s = new PointerScope()) {
                    Tensor logits = decoder.step(state, Tensors.longs(last, rows, 1));                  // [N, V]
                    Tensor lprobs = log_softmax(tempered(logits, o), -1, new ScalarTypeOptional(ScalarType.Float));
                    vocab = lprobs.size(1);
                    if (step == maxLen - 1) {
                        Tensor eosCol = lprobs.narrow(1, eos, 1).clone();
                        lprobs.fill_(Tensors.scalar(Double.NEGATIVE_INFINITY));
                        lprobs.narrow(1, eos, 1).copy_(eosCol);
                    } else {
                        if (o.unkPenalty() != 0) lprobs.narrow(1, NllbTokenizer.UNK, 1).sub_(Tensors.scalar(o.unkPenalty()));
                        lprobs.narrow(1, CONFIG_PAD_IDX, 1).fill_(Tensors.scalar(Double.NEGATIVE_INFINITY));
                        if (step < minLen - 1) lprobs.narrow(1, eos, 1).fill_(Tensors.scalar(Double.NEGATIVE_INFINITY));
                    }
                    Tensor cum = lprobs.add(Tensors.floats(rowScore, rows).to(lprobs.device(), ScalarType.Float).unsqueeze(1));                // [N, V]
                    k = (int) Math.min(2L * beam, rowsPer * vocab);
                    T_TensorTensor_T top = topk(cum.view(live, rowsPer * vocab), k);              // [live, k]
                    topScores = Tensors.toFloats(top.get0());
                    topIndices = Tensors.toLongs(top.get1());
                }
                // fairseq2 _search_beam, sentence by sentence.
                List<Integer> parents = new ArrayList<>();
                List<Long> tokens = new ArrayList<>();
                List<Float> scores = new ArrayList<>();
                for (int b = 0; b < live; b++) {
                    int sentence = rowSentence[b * rowsPer];
                    List<Hypothesis> hyps = out.get(sentence);
                    boolean finished = false;
                    List<int[]> keep = new ArrayList<>();   // candidate positions that continue
                    for (int j = 0; j < k && !finished; j++) {
                        long idx = topIndices[b * k + j];
                        long tok = idx % vocab;
                        if (tok == eos) {
                            if (j < beam) {
                                int row = b * rowsPer + (int) (idx / vocab);
                                float score = topScores[b * k + j];
                                if (o.normalizeScores()) score = score / (float) Math.pow(step, o.lenPenalty());
                                long[] seq = Arrays.copyOf(rowTokens[row], rowTokens[row].length + 1);
                                seq[seq.length - 1] = eos;
                                hyps.add(new Hypothesis(seq, score));
                                finished = hyps.size() == beam;
                            }
                            continue;
                        }
                        keep.add(new int[] {j});
                    }
                    if (finished) continue;
                    for (int c = 0; c < Math.min(beam, keep.size()); c++) {
                        int j = keep.get(c)[0];
                        long idx = topIndices[b * k + j];
                        parents.add(b * rowsPer + (int) (idx / vocab));
                        tokens.add(idx % vocab);
                        scores.add(topScores[b * k + j]);
                    }
                    if (keep.size() < beam) throw new IllegalStateException("beam search kept " + keep.size() + " < " + beam + " candidates");
                }
                int n = parents.size();
                int[] nextSentence = new int[n];
                long[][] nextTokens = new long[n][];
                float[] nextScore = new float[n];
                long[] order = new long[n];
                last = new long[n];
                for (int r = 0; r < n; r++) {
                    int parent = parents.get(r);
                    order[r] = parent;
                    nextSentence[r] = rowSentence[parent];
                    nextTokens[r] = Arrays.copyOf(rowTokens[parent], rowTokens[parent].length + 1);
                    nextTokens[r][nextTokens[r].length - 1] = tokens.get(r);
                    nextScore[r] = scores.get(r);
                    last[r] = tokens.get(r);
                }
                rowSentence = nextSentence;
                rowTokens = nextTokens;
                rowScore = nextScore;
                rowsPer = beam;
                if (n > 0) {
                    try (PointerScope s = new PointerScope()) {
                        state.reorder(Tensors.longs(order, n));
                    }
                }
            }
        }
        for (List<Hypothesis> hyps : out) hyps.sort((a, b) -> Float.compare(b.score(), a.score()));
        return out;
    }

    private static Tensor full(int rows, long value) {
        long[] v = new long[rows];
        Arrays.fill(v, value);
        return Tensors.longs(v, rows, 1);
    }
}
