package dev.lcm4j.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The reference's string and token metrics ({@code lcm/evaluation/metrics/common.py} and {@code similarity.py}),
 * plus the paper's word-level OVL-3 / REP-4. Token lists hold any objects compared with {@code equals} (words or
 * token ids), as the reference's tests use both.
 */
public final class TextMetrics {
    private TextMetrics() {
    }

    /** 1 if the prediction equals one of the targets exactly (case-sensitive), else 0. */
    public static double exactMatch(String prediction, List<String> targets) {
        for (String t : targets) if (prediction.equals(t)) return 1.0;
        return 0.0;
    }

    /**
     * 1 if the first non-whitespace character of the prediction equals that of one of the targets, else 0 (the
     * reference's multiple-choice letter check). The reference indexes {@code strip()[0]} and fails on a blank
     * string; here a blank prediction or target matches nothing (docs/quirks.md #45).
     */
    public static double oneCharacterExactMatch(String prediction, List<String> targets) {
        String p = prediction.strip();
        if (p.isEmpty()) return 0.0;
        int first = p.codePointAt(0);
        for (String t : targets) {
            String s = t.strip();
            if (!s.isEmpty() && s.codePointAt(0) == first) return 1.0;
        }
        return 0.0;
    }

    /** Whitespace-token F1 with multiset overlap, the best over the targets (SQuAD style, no normalisation). */
    public static double f1(String prediction, List<String> targets) {
        double best = 0;
        List<String> p = whitespaceTokens(prediction);
        for (String t : targets) best = Math.max(best, f1Tokens(p, whitespaceTokens(t)));
        return best;
    }

    static double f1Tokens(List<String> pred, List<String> gt) {
        Map<String, Integer> cp = counts(pred), cg = counts(gt);
        int same = 0;
        for (Map.Entry<String, Integer> e : cp.entrySet()) same += Math.min(e.getValue(), cg.getOrDefault(e.getKey(), 0));
        if (same == 0) return 0.0;
        double precision = (double) same / pred.size(), recall = (double) same / gt.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** Python's {@code str.split()}: runs of whitespace separate, no empty tokens. */
    public static List<String> whitespaceTokens(String s) {
        List<String> out = new ArrayList<>();
        for (String t : s.strip().split("\\s+")) if (!t.isEmpty()) out.add(t);
        return out;
    }

    /** Levenshtein distance between token lists (unit costs), as the {@code editdistance} package. */
    public static double editDistance(List<?> prediction, List<?> target) {
        int n = prediction.size(), m = target.size();
        int[] prev = new int[m + 1], cur = new int[m + 1];
        for (int j = 0; j <= m; j++) prev[j] = j;
        for (int i = 1; i <= n; i++) {
            cur[0] = i;
            for (int j = 1; j <= m; j++) {
                int sub = prev[j - 1] + (Objects.equals(prediction.get(i - 1), target.get(j - 1)) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[m];
    }

    /** Length of the longest common contiguous run of tokens. */
    public static double longestCommonSubstring(List<?> prediction, List<?> target) {
        int[] prev = new int[target.size() + 1], cur = new int[target.size() + 1];
        int longest = 0;
        for (int i = 1; i <= prediction.size(); i++) {
            for (int j = 1; j <= target.size(); j++) {
                cur[j] = Objects.equals(prediction.get(i - 1), target.get(j - 1)) ? prev[j - 1] + 1 : 0;
                longest = Math.max(longest, cur[j]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return longest;
    }

    /** Share of target positions whose token the prediction repeats at the same position (Biderman et al. 2023). */
    public static double memorizationScore(List<?> prediction, List<?> target) {
        int correct = 0;
        for (int i = 0; i < Math.min(prediction.size(), target.size()); i++) {
            if (Objects.equals(prediction.get(i), target.get(i))) correct++;
        }
        return (double) correct / target.size();
    }

    /**
     * The reference's {@code ngram_score(prediction, source)}, the formula behind the paper's published OVL-3 and
     * REP-4 numbers: its {@code get_all_ngrams} slices the raw strings, so the n-grams are CHARACTER n-grams, n = 1..4.
     * {@code ngram_overlap} = |set(pred) ∩ set(src)| / max(1, |set(src)|), {@code repetition_4} = len(pred) /
     * max(1, |set(pred)|) - 1. Kept from the reference: docs/quirks.md #28.
     */
    public static Map<String, Double> ngramScore(String prediction, String source) {
        List<String> src = charNgrams(source), pred = charNgrams(prediction);
        Set<String> srcSet = new HashSet<>(src), predSet = new HashSet<>(pred);
        Set<String> inter = new HashSet<>(predSet);
        inter.retainAll(srcSet);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("ngram_overlap", (double) inter.size() / Math.max(1, srcSet.size()));
        out.put("repetition_4", (double) pred.size() / Math.max(1, predSet.size()) - 1);
        return out;
    }

    private static List<String> charNgrams(String s) {
        int[] cps = s.codePoints().toArray();   // Python slices code points
        List<String> out = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            for (int i = 0; i + n <= cps.length; i++) out.add(new String(cps, i, n));
        }
        return out;
    }

    /**
     * The paper's OVL-3 as worded (§3.1.1): the share of the source's distinct word 3-grams that appear in the
     * output. Words are rouge_score tokens (lower-case alphanumerics).
     */
    public static double wordOverlap3(String prediction, String source) {
        Set<List<String>> src = new HashSet<>(wordNgrams(ROUGE_TOKENS.tokenize(source), 3));
        if (src.isEmpty()) return 0.0;
        Set<List<String>> pred = new HashSet<>(wordNgrams(ROUGE_TOKENS.tokenize(prediction), 3));
        pred.retainAll(src);
        return (double) pred.size() / src.size();
    }

    /** The paper's REP-4 as worded (Welleck et al. 2019): 1 - distinct word 4-grams / all word 4-grams of the output. */
    public static double wordRepetition4(String prediction) {
        List<List<String>> grams = wordNgrams(ROUGE_TOKENS.tokenize(prediction), 4);
        if (grams.isEmpty()) return 0.0;
        return 1.0 - (double) new HashSet<>(grams).size() / grams.size();
    }

    private static final Rouge ROUGE_TOKENS = new Rouge(List.of("rouge1"), false, null);

    private static List<List<String>> wordNgrams(List<String> tokens, int n) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i + n <= tokens.size(); i++) out.add(tokens.subList(i, i + n));
        return out;
    }

    private static Map<String, Integer> counts(List<String> toks) {
        Map<String, Integer> m = new HashMap<>();
        for (String t : toks) m.merge(t, 1, Integer::sum);
        return m;
    }
}
