package dev.lcm4j.eval.metrics;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * BLEU as sacreBLEU 2.6.0 computes it with its defaults, which the reference's {@code bleu} / {@code sentence_bleu}
 * metrics call: 13a tokenization, case-sensitive, up to 4-grams clipped by the maximum count over references,
 * brevity penalty against the closest reference length (ties to the shorter), 'exp' smoothing (each zero n-gram
 * precision becomes 100 / (2^k · total)); corpus BLEU without effective order, sentence BLEU with it. Scores are on
 * sacreBLEU's 0-100 scale. Tokenizers: {@code 13a} (default) and {@code none}.
 */
public final class SacreBleu {
    private static final int N = 4;
    private static final Pattern[] RE = {
            Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])"),
            Pattern.compile("([^0-9])([\\.,])"),
            Pattern.compile("([\\.,])([^0-9])"),
            Pattern.compile("([0-9])(-)"),
    };
    private static final String[] REPL = {" $1 ", "$1 $2 ", " $1 $2", "$1 $2 "};
    /** Python's str.split() separators. */
    private static final Pattern PY_SPACE = Pattern.compile("[\\s\\x1c-\\x1f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+");

    private SacreBleu() {
    }

    /** sacreBLEU's {@code 13a} tokenizer (mteval-v13a): unescape a few entities, split punctuation off words. */
    public static String tokenize13a(String line) {
        line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ");
        if (line.contains("&")) {
            line = line.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        }
        line = " " + line + " ";
        for (int i = 0; i < RE.length; i++) line = RE[i].matcher(line).replaceAll(REPL[i]);
        return String.join(" ", splitPython(line));
    }

    static List<String> splitPython(String s) {
        List<String> out = new ArrayList<>();
        for (String t : PY_SPACE.split(s)) if (!t.isEmpty()) out.add(t);
        return out;
    }

    private static String preprocess(String s, String tokenizer) {
        String r = s.stripTrailing();
        return switch (tokenizer) {
            case "13a" -> tokenize13a(r);
            case "none" -> r;
            default -> throw new LcmException("BLEU tokenizer '" + tokenizer + "' is not supported; lcm4j has 13a (default) and none"
                    + " (the reference's zh / ja-mecab / ko-mecab tokenizers need native segmenters)");
        };
    }

    /** [hyp_len, ref_len, correct_1..4, total_1..4] of one segment. */
    private static long[] stats(String hyp, List<String> refs) {
        Map<List<String>, Integer> refMax = new HashMap<>();
        List<Integer> refLens = new ArrayList<>();
        for (String r : refs) {
            List<String> toks = splitPython(r);
            refLens.add(toks.size());
            for (Map.Entry<List<String>, Integer> e : ngrams(toks).entrySet()) refMax.merge(e.getKey(), e.getValue(), Math::max);
        }
        List<String> h = splitPython(hyp);
        int closestDiff = -1, closest = -1;
        for (int len : refLens) {
            int diff = Math.abs(h.size() - len);
            if (closestDiff == -1 || diff < closestDiff) {
                closestDiff = diff;
                closest = len;
            } else if (diff == closestDiff && len < closest) {
                closest = len;
            }
        }
        long[] s = new long[2 + 2 * N];
        s[0] = h.size();
        s[1] = closest;
        for (Map.Entry<List<String>, Integer> e : ngrams(h).entrySet()) {
            int n = e.getKey().size() - 1;
            s[2 + N + n] += e.getValue();
            Integer r = refMax.get(e.getKey());
            if (r != null) s[2 + n] += Math.min(e.getValue(), r);
        }
        return s;
    }

    private static Map<List<String>, Integer> ngrams(List<String> toks) {
        Map<List<String>, Integer> m = new HashMap<>();
        for (int n = 1; n <= N; n++) for (int i = 0; i + n <= toks.size(); i++) m.merge(toks.subList(i, i + n), 1, Integer::sum);
        return m;
    }

    private static double score(long[] s, boolean effectiveOrder) {
        long sysLen = s[0], refLen = s[1];
        double bp = 1.0;
        if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0;
        boolean any = false;
        for (int n = 0; n < N; n++) any |= s[2 + n] != 0;
        if (!any) return 0.0;
        double[] precisions = new double[N];
        double smooth = 1.0;
        int effOrder = N;
        for (int n = 1; n <= N; n++) {
            long correct = s[1 + n], total = s[1 + N + n];
            if (total == 0) break;
            if (effectiveOrder) effOrder = n;
            if (correct == 0) {
                smooth *= 2;
                precisions[n - 1] = 100.0 / (smooth * total);
            } else {
                precisions[n - 1] = 100.0 * correct / total;
            }
        }
        double sum = 0;
        for (int i = 0; i < effOrder; i++) sum += precisions[i] == 0.0 ? -9999999999.0 : Math.log(precisions[i]);
        return bp * Math.exp(sum / effOrder);
    }

    /**
     * {@code sacrebleu.corpus_bleu(hypotheses, referenceStreams)}: {@code referenceStreams.get(k).get(i)} is the k-th
     * reference of segment i.
     */
    public static double corpusBleu(List<String> hypotheses, List<List<String>> referenceStreams) {
        return corpusBleu(hypotheses, referenceStreams, "13a");
    }

    public static double corpusBleu(List<String> hypotheses, List<List<String>> referenceStreams, String tokenizer) {
        for (List<String> stream : referenceStreams) {
            if (stream.size() != hypotheses.size()) throw new LcmException("BLEU: " + hypotheses.size() + " hypotheses but a reference stream of " + stream.size());
        }
        long[] total = new long[2 + 2 * N];
        for (int i = 0; i < hypotheses.size(); i++) {
            List<String> refs = new ArrayList<>();
            for (List<String> stream : referenceStreams) if (stream.get(i) != null) refs.add(preprocess(stream.get(i), tokenizer));
            long[] s = stats(preprocess(hypotheses.get(i), tokenizer), refs);
            for (int k = 0; k < total.length; k++) total[k] += s[k];
        }
        return score(total, false);
    }

    /** {@code sacrebleu.sentence_bleu(hypothesis, references)} (effective order). */
    public static double sentenceBleu(String hypothesis, List<String> references) {
        List<String> refs = new ArrayList<>();
        for (String r : references) refs.add(preprocess(r, "13a"));
        return score(stats(preprocess(hypothesis, "13a"), refs), true);
    }
}
