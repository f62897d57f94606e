package dev.lcm4j.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference's test_similarity.py / test_metrics.py values, plus hand-derived n-gram cases. */
class TextMetricsTest {
    private static final String[][] PAIRS = {
            {"John Doe and he lives in the United Kingdom .", "Jane Doe and she lives in the United States ."},
            {"the ratio of the radius of a circle to its", "a famous decimal that never enters a repeating pattern ."},
            {"Billy Bob . They are on trial for tax fraud", "Billy Bob . Are they really on trial for tax"},
            {"Billy Bob . They are on trial for tax fraud", "Billy Bob . They are on trial for tax fraud"},
    };

    /** The reference test's two tokenizers: whitespace words, and ids assigned in order of first appearance. */
    private static List<List<?>> tokenizations(String q, String g) {
        Map<String, Integer> ids = new HashMap<>();
        List<Integer> qi = new ArrayList<>(), gi = new ArrayList<>();
        for (String t : q.split(" ")) qi.add(ids.computeIfAbsent(t, k -> ids.size()));
        for (String t : g.split(" ")) gi.add(ids.computeIfAbsent(t, k -> ids.size()));
        return List.of(List.of(q.split(" ")), List.of(g.split(" ")), qi, gi);
    }

    private interface Fn {
        double apply(List<?> p, List<?> t);
    }

    private static void check(Fn fn, double[] expected) {
        for (int i = 0; i < PAIRS.length; i++) {
            List<List<?>> tk = tokenizations(PAIRS[i][0], PAIRS[i][1]);
            assertEquals(expected[i], fn.apply(tk.get(0), tk.get(1)), 1e-4, "pair " + i + " (words)");
            assertEquals(expected[i], fn.apply(tk.get(2), tk.get(3)), 1e-4, "pair " + i + " (ids)");
        }
    }

    @Test
    void editDistance() {
        check(TextMetrics::editDistance, new double[] {3, 9, 4, 0});
    }

    @Test
    void memorization() {
        check(TextMetrics::memorizationScore, new double[] {0.7, 0.1, 0.3, 1.0});
    }

    @Test
    void longestCommonSubstring() {
        check(TextMetrics::longestCommonSubstring, new double[] {4, 1, 4, 10});
    }

    @Test
    void exactMatchAndF1() {
        assertEquals(1.0, TextMetrics.exactMatch("yes", List.of("yes", "YES")));
        assertEquals(0.0, TextMetrics.exactMatch("no", List.of("yes", "YES")));
        assertEquals(1.0, TextMetrics.f1("yes", List.of("yes", "YES")));
        assertEquals(0.0, TextMetrics.f1("no", List.of("yes", "YES")));
        // reference test_evaluate: f1 0.7 (7 shared of 10 tokens on both sides) and 1.0
        String p = "Billy Bob . They are on trial for tax fraud";
        assertEquals(0.0, TextMetrics.exactMatch(p, List.of("Billy Bob . Are they really on trial for tax")));
        assertEquals(0.7, TextMetrics.f1(p, List.of("Billy Bob . Are they really on trial for tax")), 1e-12);
        assertEquals(1.0, TextMetrics.f1(p, List.of(p)), 1e-12);
    }

    @Test
    void characterNgramScoreAsTheReferenceComputesIt() {
        // pred "aa": n-grams a, a, aa (set {a, aa}); source "ab": a, b, ab. overlap |{a}| / 3; repetition 3/2 - 1
        Map<String, Double> s = TextMetrics.ngramScore("aa", "ab");
        assertEquals(1.0 / 3, s.get("ngram_overlap"), 1e-12);
        assertEquals(0.5, s.get("repetition_4"), 1e-12);
        // a string with no repeated n-gram of length 1..4: "abcd" -> 10 n-grams, all distinct
        assertEquals(0.0, TextMetrics.ngramScore("abcd", "").get("repetition_4"), 1e-12);
        assertEquals(0.0, TextMetrics.ngramScore("abcd", "").get("ngram_overlap"), 1e-12);
    }

    @Test
    void wordLevelOvl3AndRep4AsThePaperWordsThem() {
        // source 3-grams: the cat sat / cat sat on / sat on the / on the mat; the output has the first two
        assertEquals(0.5, TextMetrics.wordOverlap3("The cat sat on a rug.", "the cat sat on the mat"), 1e-12);
        // "a b c d a b c d": 5 four-grams, 4 distinct
        assertEquals(0.2, TextMetrics.wordRepetition4("a b c d a b c d"), 1e-12);
        assertEquals(0.0, TextMetrics.wordRepetition4("too short"), 1e-12);
    }

    /** exact_match_f1's two outputs as the reference's tests report them: exact_match [0, 1] and f1 [0.7, 1]. */
    @Test
    void exactMatchF1HasBothOutputs() {
        String p = "Billy Bob . They are on trial for tax fraud";
        List<String> other = List.of("Billy Bob . Are they really on trial for tax");
        assertEquals(0.7, TextMetrics.f1(p, other), 1e-12);
        assertEquals(0.0, TextMetrics.exactMatch(p, other));
        assertEquals(1.0, TextMetrics.exactMatch(p, List.of(p)));
        assertEquals(1.0, TextMetrics.f1(p, List.of(p)), 1e-12);
        // reference test_exact_match_f1: ("yes", ["yes", "YES"]) -> (1, 1); ("no", ...) -> (0, 0)
        assertEquals(1.0, TextMetrics.exactMatch("yes", List.of("yes", "YES")));
        assertEquals(1.0, TextMetrics.f1("yes", List.of("yes", "YES")), 1e-12);
        assertEquals(0.0, TextMetrics.exactMatch("no", List.of("yes", "YES")));
        assertEquals(0.0, TextMetrics.f1("no", List.of("yes", "YES")), 1e-12);
    }

    /** Python: max(float(p.strip()[0] == t.strip()[0]) for t in targets), case-sensitive, per code point. */
    @Test
    void oneCharacterExactMatchComparesFirstCharacters() {
        assertEquals(1.0, TextMetrics.oneCharacterExactMatch("  B) because", List.of("A", "\tB")));
        assertEquals(0.0, TextMetrics.oneCharacterExactMatch("b", List.of("B", "C")));
        // a supplementary character is one character in Python, two chars in Java: its whole code point is compared
        assertEquals(1.0, TextMetrics.oneCharacterExactMatch("\uD83D\uDE00 yes", List.of("\uD83D\uDE00")));
        assertEquals(0.0, TextMetrics.oneCharacterExactMatch("\uD83D\uDE00", List.of("\uD83D\uDE01")));
        // blank strings (an IndexError in the reference) match nothing
        assertEquals(0.0, TextMetrics.oneCharacterExactMatch("   ", List.of(" ")));
        assertEquals(1.0, TextMetrics.oneCharacterExactMatch("x", List.of("", "xyz")));
    }
}
