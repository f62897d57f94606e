package dev.lcm4j.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lcm4j.LcmException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ROUGE against values derived by hand from rouge_score's definitions. */
class RougeTest {
    private static final double EPS = 1e-12;

    @Test
    void tokenizationDropsEverythingButAsciiAlphanumerics() {
        Rouge r = new Rouge(List.of("rouge1"), false, null);
        // é is not in [a-z0-9], so "café" loses it, as rouge_score does; "it's" splits at the apostrophe
        assertEquals(List.of("hello", "world", "it", "s", "2024", "caf"), r.tokenize("Hello, World! It's 2024 -- café"));
        assertEquals(List.of(), r.tokenize("Привет, мир"));   // non-Latin text has no tokens
    }

    @Test
    void rougeNAndLOnTheReferenceTestsSentences() {
        // the reference's (skipped) test: "The cat is on the mat" vs "A dog is near the mat"
        Rouge r = new Rouge(List.of("rouge1", "rouge2", "rougeL"), false, null);
        Map<String, Rouge.Score> s = r.score("A dog is near the mat", "The cat is on the mat");
        // unigrams: the, is, mat overlap (the: min(2, 1) = 1) -> 3 / 6 both ways
        assertEquals(0.5, s.get("rouge1").fmeasure(), EPS);
        // bigrams: only "the mat" is shared, 5 each side -> 1/5
        assertEquals(0.2, s.get("rouge2").precision(), EPS);
        assertEquals(0.2, s.get("rouge2").fmeasure(), EPS);
        // LCS "is the mat" = 3 of 6
        assertEquals(0.5, s.get("rougeL").fmeasure(), EPS);
        Map<String, Rouge.Score> multi = r.scoreMulti(List.of("A dog is near the mat", "The cat is on the mat"), "The cat is on the mat");
        for (Rouge.Score x : multi.values()) assertEquals(1.0, x.fmeasure(), EPS);
    }

    @Test
    void precisionAndRecallDiffer() {
        Rouge r = new Rouge(List.of("rouge1", "rougeL"), false, null);
        // pred "a b" vs target "a b c d": P = 1, R = 0.5, F = 2/3
        Map<String, Rouge.Score> s = r.score("a b c d", "a b");
        assertEquals(1.0, s.get("rouge1").precision(), EPS);
        assertEquals(0.5, s.get("rouge1").recall(), EPS);
        assertEquals(2.0 / 3, s.get("rougeL").fmeasure(), EPS);
        // empty prediction scores 0 everywhere
        assertEquals(0.0, r.score("a b", "").get("rougeL").fmeasure(), EPS);
        assertEquals(0.0, r.score("a b", "!!!").get("rouge1").fmeasure(), EPS);
    }

    @Test
    void summaryLevelLcsUnionsAndDeduplicates() {
        Rouge r = new Rouge(List.of("rougeLsum"), false, null);   // sentences = lines
        // r1=[a b c] gets {a, b} from c1, r2=[d e f] all of c2: 5 hits of 6 both ways
        assertEquals(5.0 / 6, r.score("a b c\nd e f", "a b x\nd e f").get("rougeLsum").fmeasure(), EPS);
        // the same reference sentence twice: the candidate's tokens are consumed once -> P 1, R 1/2
        Rouge.Score s = r.score("a b\na b", "a b").get("rougeLsum");
        assertEquals(1.0, s.precision(), EPS);
        assertEquals(0.5, s.recall(), EPS);
        // a candidate sentence repeated: union of the same positions -> 2 hits, P 2/4, R 1
        s = r.score("a b", "a b\na b").get("rougeLsum");
        assertEquals(0.5, s.precision(), EPS);
        assertEquals(1.0, s.recall(), EPS);
        // repeated token in the reference, one in the candidate: backtracking takes one position -> P 1, R 1/2
        s = r.score("a a", "a").get("rougeLsum");
        assertEquals(2.0 / 3, s.fmeasure(), EPS);
        // rougeL on the same texts ignores the lines: LCS(a b a b, a b) = 2 -> P 1, R 1/2
        assertEquals(2.0 / 3, new Rouge(List.of("rougeL"), false, null).score("a b\na b", "a b").get("rougeL").fmeasure(), EPS);
    }

    @Test
    void lsumWithASentenceSplitterSplitsOnSentencesNotLines() {
        Rouge bySentence = new Rouge(List.of("rougeLsum"), false, dev.lcm4j.text.SentenceSplitters.create("icu"));
        // two sentences on one line: split into [a b c], [d e f] -> same as the line-split case above
        assertEquals(5.0 / 6, bySentence.score("A b c. D e f.", "A b x. D e f.").get("rougeLsum").fmeasure(), EPS);
    }

    @Test
    void stemmingAppliesToTokensLongerThanThree() {
        Rouge stem = new Rouge(List.of("rouge1"), true, null);
        assertEquals(List.of("run", "dog", "cat"), stem.tokenize("running dogs cats"));
        assertEquals(List.of("was"), stem.tokenize("was"));   // 3 letters: not stemmed ("wa" if it were)
        assertEquals(1.0, stem.score("run dog", "running dogs").get("rouge1").fmeasure(), EPS);
        assertEquals(0.0, new Rouge(List.of("rouge1"), false, null).score("run dog", "running dogs").get("rouge1").fmeasure(), EPS);
    }

    @Test
    void unknownTypeIsAnError() {
        assertThrows(LcmException.class, () -> new Rouge(List.of("rougeX"), false, null));
    }
}
