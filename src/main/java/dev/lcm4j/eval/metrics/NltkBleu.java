package dev.lcm4j.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * NLTK 3.10.3's {@code sentence_bleu(references, hypothesis, smoothing_function=SmoothingFunction().method1)} with
 * the default weights (0.25 × 4), as the reference's {@code nltk_sentence_bleu} calls it: clipped n-gram precisions,
 * each zero numerator replaced by 0.1 (method1's epsilon), brevity penalty against the closest reference length
 * (ties to the shorter), 0 when no unigram matches. Tokens are any objects compared with {@code equals}.
 */
public final class NltkBleu {
    private NltkBleu() {
    }

    /** One reference, as {@code nltk_sentence_bleu(prediction_tokens, target_tokens)}. */
    public static double sentenceBleuMethod1(List<?> reference, List<?> hypothesis) {
        return sentenceBleuMethod1Multi(List.of(reference), hypothesis);
    }

    public static double sentenceBleuMethod1Multi(List<? extends List<?>> references, List<?> hypothesis) {
        double[] num = new double[4];
        long[] den = new long[4];
        for (int n = 1; n <= 4; n++) {
            Map<List<?>, Integer> counts = ngrams(hypothesis, n);
            Map<List<?>, Integer> maxRef = new HashMap<>();
            for (List<?> r : references) {
                Map<List<?>, Integer> rc = ngrams(r, n);
                for (List<?> g : counts.keySet()) maxRef.merge(g, rc.getOrDefault(g, 0), Math::max);
            }
            long clipped = 0, total = 0;
            for (Map.Entry<List<?>, Integer> e : counts.entrySet()) {
                clipped += Math.min(e.getValue(), maxRef.get(e.getKey()));
                total += e.getValue();
            }
            num[n - 1] = clipped;
            den[n - 1] = Math.max(1, total);
        }
        if (num[0] == 0) return 0.0;
        int hypLen = hypothesis.size();
        int closest = -1;
        for (List<?> r : references) {
            int len = r.size();
            if (closest < 0 || Math.abs(len - hypLen) < Math.abs(closest - hypLen)
                    || (Math.abs(len - hypLen) == Math.abs(closest - hypLen) && len < closest)) {
                closest = len;
            }
        }
        double bp = hypLen > closest ? 1.0 : hypLen == 0 ? 0.0 : Math.exp(1 - (double) closest / hypLen);
        double s = 0;
        for (int i = 0; i < 4; i++) {
            double p = num[i] == 0 ? 0.1 / den[i] : num[i] / den[i];
            s += 0.25 * Math.log(p);
        }
        return bp * Math.exp(s);
    }

    private static Map<List<?>, Integer> ngrams(List<?> toks, int n) {
        Map<List<?>, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= toks.size(); i++) m.merge(toks.subList(i, i + n), 1, Integer::sum);
        return m;
    }
}
