package dev.lcm4j.eval.metrics;

import dev.lcm4j.LcmException;
import dev.lcm4j.text.SentenceSplitter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * ROUGE as Google's {@code rouge_score} 0.1.2 computes it, which is what the reference calls
 * ({@code RougeScorer(types, split_summaries=True)}, no stemmer, {@code score_multi}, F-measure):
 * <ul>
 *   <li>tokens: lower-case, every run of characters outside {@code [a-z0-9]} becomes a space, split on whitespace,
 *       optionally Porter-stem tokens longer than 3 characters (NLTK's default mode, {@link PorterStemmer}), keep
 *       tokens matching {@code ^[a-z0-9]+$}. Non-ASCII letters are deleted, so non-Latin text scores 0, as there;</li>
 *   <li>{@code rougeN}: clipped n-gram overlap; P = overlap / max(#pred, 1), R = overlap / max(#ref, 1);</li>
 *   <li>{@code rougeL}: token LCS (0 when either side is empty);</li>
 *   <li>{@code rougeLsum}: summary-level union LCS over sentences with rouge_score's count-dictionary de-duplication.
 *       Sentences: with {@code splitSummaries} rouge_score uses NLTK's Punkt; lcm4j uses the given sentence splitter
 *       (ICU by default), whose boundaries agree with Punkt on ordinary prose but can differ on abbreviations
 *       (docs/quirks.md #30).
 *       Without it, sentences are the text's lines, exactly as rouge_score;</li>
 *   <li>several references: each type takes the reference with the highest F-measure ({@code score_multi}).</li>
 * </ul>
 */
public final class Rouge {
    private static final Pattern NON_ALNUM = Pattern.compile("[^a-z0-9]+");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern VALID = Pattern.compile("^[a-z0-9]+$");

    /** Precision, recall and F-measure of one ROUGE type. */
    public record Score(double precision, double recall, double fmeasure) {
        static Score of(double p, double r) {
            return new Score(p, r, p + r > 0 ? 2 * p * r / (p + r) : 0.0);
        }
    }

    private final List<String> types;
    private final PorterStemmer stemmer;
    private final SentenceSplitter splitter;

    /**
     * @param types     {@code rouge1}..{@code rouge9}, {@code rougeL}, {@code rougeLsum}
     * @param useStemmer Porter-stem tokens longer than 3 characters (rouge_score's {@code use_stemmer})
     * @param splitter  sentence splitter for rougeLsum ({@code split_summaries=True}); null splits on newlines
     */
    public Rouge(List<String> types, boolean useStemmer, SentenceSplitter splitter) {
        for (String t : types) {
            if (!t.equals("rougeL") && !t.equals("rougeLsum") && !t.matches("rouge[0-9]")) {
                throw new LcmException("unknown ROUGE type '" + t + "'; valid: rouge1..rouge9, rougeL, rougeLsum");
            }
        }
        this.types = List.copyOf(types);
        this.stemmer = useStemmer ? new PorterStemmer() : null;
        this.splitter = splitter;
    }

    public List<String> types() {
        return types;
    }

    /** rouge_score's tokenizer. */
    public List<String> tokenize(String text) {
        String s = NON_ALNUM.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        List<String> out = new ArrayList<>();
        for (String tok : SPACES.split(s)) {
            if (stemmer != null && tok.length() > 3) tok = stemmer.stem(tok);
            if (VALID.matcher(tok).matches()) out.add(tok);
        }
        return out;
    }

    /** Scores of {@code prediction} against one {@code target}, per type in constructor order. */
    public Map<String, Score> score(String target, String prediction) {
        List<String> tt = tokenize(target), pt = tokenize(prediction);
        Map<String, Score> out = new LinkedHashMap<>();
        for (String type : types) {
            if (type.equals("rougeL")) out.put(type, lcsScore(tt, pt));
            else if (type.equals("rougeLsum")) out.put(type, summaryLevelLcs(sentenceTokens(target), sentenceTokens(prediction)));
            else out.put(type, ngramScore(tt, pt, type.charAt(5) - '0'));
        }
        return out;
    }

    /** rouge_score's {@code score_multi}: per type, the target with the highest F-measure (first on ties). */
    public Map<String, Score> scoreMulti(List<String> targets, String prediction) {
        if (targets.isEmpty()) throw new LcmException("ROUGE needs at least one reference text");
        List<Map<String, Score>> all = new ArrayList<>();
        for (String t : targets) all.add(score(t, prediction));
        Map<String, Score> best = new LinkedHashMap<>();
        for (String type : types) {
            Score b = null;
            for (Map<String, Score> m : all) if (b == null || m.get(type).fmeasure() > b.fmeasure()) b = m.get(type);
            best.put(type, b);
        }
        return best;
    }

    private List<List<String>> sentenceTokens(String text) {
        List<String> sents = splitter != null ? splitter.split(text, "eng_Latn") : Arrays.asList(text.split("\n", -1));
        List<List<String>> out = new ArrayList<>();
        for (String s : sents) if (!s.isEmpty()) out.add(tokenize(s));
        return out;
    }

    static Score ngramScore(List<String> target, List<String> prediction, int n) {
        Map<List<String>, Integer> tg = ngrams(target, n), pg = ngrams(prediction, n);
        int overlap = 0, tc = 0, pc = 0;
        for (Map.Entry<List<String>, Integer> e : tg.entrySet()) overlap += Math.min(e.getValue(), pg.getOrDefault(e.getKey(), 0));
        for (int c : tg.values()) tc += c;
        for (int c : pg.values()) pc += c;
        return Score.of((double) overlap / Math.max(pc, 1), (double) overlap / Math.max(tc, 1));
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) m.merge(tokens.subList(i, i + n), 1, Integer::sum);
        return m;
    }

    static Score lcsScore(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) return new Score(0, 0, 0);
        int lcs = lcsTable(target, prediction)[target.size()][prediction.size()];
        return Score.of((double) lcs / prediction.size(), (double) lcs / target.size());
    }

    private static int[][] lcsTable(List<String> ref, List<String> can) {
        int[][] t = new int[ref.size() + 1][can.size() + 1];
        for (int i = 1; i <= ref.size(); i++) {
            for (int j = 1; j <= can.size(); j++) {
                t[i][j] = ref.get(i - 1).equals(can.get(j - 1)) ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        return t;
    }

    /** Indices into {@code ref} of one LCS, recovered the way rouge_score backtracks (ties move up, i.e. i - 1). */
    private static List<Integer> lcsIndices(List<String> ref, List<String> can) {
        int[][] t = lcsTable(ref, can);
        int i = ref.size(), j = can.size();
        List<Integer> out = new ArrayList<>();
        while (i > 0 && j > 0) {
            if (ref.get(i - 1).equals(can.get(j - 1))) {
                out.add(0, i - 1);
                i--;
                j--;
            } else if (t[i][j - 1] > t[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
        return out;
    }

    static Score summaryLevelLcs(List<List<String>> refSents, List<List<String>> canSents) {
        if (refSents.isEmpty() || canSents.isEmpty()) return new Score(0, 0, 0);
        int m = 0, n = 0;
        for (List<String> s : refSents) m += s.size();
        for (List<String> s : canSents) n += s.size();
        if (m == 0 || n == 0) return new Score(0, 0, 0);
        Map<String, Integer> cntR = new HashMap<>(), cntC = new HashMap<>();
        for (List<String> s : refSents) for (String t : s) cntR.merge(t, 1, Integer::sum);
        for (List<String> s : canSents) for (String t : s) cntC.merge(t, 1, Integer::sum);
        int hits = 0;
        for (List<String> r : refSents) {
            // union of the LCS positions of r with every candidate sentence, in order
            TreeSet<Integer> union = new TreeSet<>();
            for (List<String> c : canSents) union.addAll(lcsIndices(r, c));
            for (int idx : union) {
                String tok = r.get(idx);
                if (cntC.getOrDefault(tok, 0) > 0 && cntR.getOrDefault(tok, 0) > 0) {
                    hits++;
                    cntC.merge(tok, -1, Integer::sum);
                    cntR.merge(tok, -1, Integer::sum);
                }
            }
        }
        return Score.of((double) hits / n, (double) hits / m);
    }
}
