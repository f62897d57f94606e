package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextScoresTest {
    private static Example example(List<String> targets) {
        return new Example(0, "0", Map.of(), "prompt", null, null, targets, null);
    }

    /**
     * exact_match_f1 is one metric function with two outputs: the reference's results name them exact_match and f1.
     * Values by hand: "a b c" against "a b d" shares 2 of 3 tokens each way, F1 2/3, no exact match.
     */
    @Test
    void exactMatchF1ReportsBothOutputsAndNaNWithoutTargets() {
        TextScores scores = new TextScores(Tasks.spec("lcm_generation"), Map.of("extra_metrics", List.of("exact_match_f1")));
        Map<String, Double> s = scores.score("a b c", example(List.of("a b d")));
        assertEquals(0.0, s.get("exact_match"));
        assertEquals(2.0 / 3, s.get("f1"), 1e-12);
        assertTrue(!s.containsKey("exact_match_f1"), s.toString());
        Map<String, Double> none = scores.score("a b c", example(List.of()));
        assertTrue(none.get("exact_match").isNaN() && none.get("f1").isNaN(), none.toString());
    }
}
