package dev.lcm4j.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pre-training metrics against hand computations and the reference test's contrastive-accuracy case. */
class ConceptMetricsTest {

    @Test
    void referenceContrastiveAccuracyCase() {
        // test_similarity::test_mse_constrative_accuracy: a 10-token sentence embedded (5-d), prediction == target,
        // batch of the same document twice. Every distractor set (the other copy) holds one vector at distance 0,
        // which is not strictly farther -> 9/10 for each of the 20 positions.
        String[] toks = "Billy Bob . They are on trial for tax fraud".split(" ");
        Random rnd = new Random(0);
        java.util.Map<String, float[]> table = new java.util.HashMap<>();
        float[][] doc = new float[toks.length][];
        for (int i = 0; i < toks.length; i++) {
            doc[i] = table.computeIfAbsent(toks[i], k -> {
                float[] v = new float[5];
                for (int j = 0; j < 5; j++) v[j] = (float) rnd.nextGaussian();
                return v;
            });
        }
        float[][][] batch = {doc, doc};
        double[] acc = ConceptMetrics.mseContrastiveAccuracy(batch, batch);
        assertEquals(20, acc.length);
        double mean = 0;
        for (int i = 0; i < 10; i++) mean += acc[i] / 10;
        assertEquals(0.9, mean, 1e-12);
    }

    @Test
    void paperContrastiveAccuracyExcludesTheTargetAndItsNeighbours() {
        float[][] d0 = {{0, 0}, {1, 0}, {2, 0}, {3, 0}};
        float[][] d1 = {{3, 0.4f}};
        float[][] p0 = {null, {1, 0}, {2, 0}, {3, 0.5f}};
        float[][] p1 = {null};
        List<ConceptMetrics.Position> pos = ConceptMetrics.teacherForced(List.of(d0, d1), List.of(p0, p1));
        ConceptMetrics.Position last = pos.get(2);   // n = 3 of document 0
        assertEquals(3, last.position());
        assertEquals(0.5, last.l2(), 1e-6);
        // candidates: x0 (d² 9.25, farther), x1 (4.25, farther), d1's (0.01, closer); x2 and x3 excluded -> 2/3
        assertEquals(2.0 / 3, last.ca(), 1e-12);
        // the reference variant looks at the other documents only: d1's vector is closer -> 0
        assertEquals(0.0, last.caReference(), 1e-12);
    }

    @Test
    void paraphrasingRatio() {
        float[][] x = {{1, 0}, {0, 1}, {1, 1}};
        // max cos(pred=(1,0), x0/x1) = 1; max cos(x2, x0/x1) = 1/sqrt(2) -> sqrt(2)
        assertEquals(Math.sqrt(2), ConceptMetrics.par(new float[] {1, 0}, x, 2), 1e-12);
        // a prediction equal to the truth has PAR 1
        assertEquals(1.0, ConceptMetrics.par(x[2], x, 2), 1e-12);
        assertEquals(5.0, ConceptMetrics.l2(new float[] {0, 0}, new float[] {3, 4}), 1e-12);
    }

    /** cos_sim row by row, against numpy (einsum of the row-normalised float64 matrices): 0.637415094795, -0.861640436855. */
    @Test
    void cosSimMatchesNumpy() {
        assertEquals(0.637415094795, ConceptMetrics.cosine(new float[] {0.5f, -1.25f, 2.0f}, new float[] {1.0f, 0.5f, 1.5f}), 1e-11);
        assertEquals(-0.861640436855, ConceptMetrics.cosine(new float[] {3.0f, 0.25f, -0.75f}, new float[] {-2.0f, 1.0f, 0.5f}), 1e-11);
    }

    /**
     * cosine_based_match against torch.nn.CosineSimilarity(dim=-1)(pred, choices).argmax(): cosines 0.1990, 0.9867,
     * 0.9552, -0.8617, so choice 1 is the match.
     */
    @Test
    void cosineBasedMatchPicksTheMostSimilarChoice() {
        float[] pred = {0.2f, 0.9f, -0.4f};
        float[][] choices = {{1, 0, 0}, {0.1f, 1, -0.3f}, {0, 2, -1.5f}, {-1, -1, 1}};
        assertEquals(1.0, ConceptMetrics.cosineBasedMatch(pred, choices, 1));
        assertEquals(0.0, ConceptMetrics.cosineBasedMatch(pred, choices, 2));
        // equal cosines (a scaled copy): the first wins, as torch's argmax returns the first maximum
        float[][] tied = {{0.4f, 1.8f, -0.8f}, {0.2f, 0.9f, -0.4f}};
        assertEquals(1.0, ConceptMetrics.cosineBasedMatch(pred, tied, 0));
    }
}
