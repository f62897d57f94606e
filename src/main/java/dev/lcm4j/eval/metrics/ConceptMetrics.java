package dev.lcm4j.eval.metrics;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's pre-training metrics (§2.4.1), computed in teacher-forcing mode: for every document x_1..x_N of a batch
 * and every n ≥ 2, the model predicts x̂_n from the true prefix x_&lt;n. All distances are in the unnormalized concept
 * space. Round-trip ℓ2 needs a decoder and an encoder and is computed by the task ({@link #l2} of the re-encoded
 * decoded prediction).
 */
public final class ConceptMetrics {
    private ConceptMetrics() {
    }

    /**
     * Per-position values for position n (0-based index {@code n} ≥ 1) of document {@code d}.
     *
     * @param l2          ‖x̂_n − x_n‖₂
     * @param ca          contrastive accuracy as the paper defines it: the share of the batch's embeddings (all
     *                    positions of all documents) farther in ℓ2 from x̂_n than x_n is, leaving out x_n and its two
     *                    neighbours x_{n−1}, x_{n+1}; chance is 0.5
     * @param caReference the reference code's {@code mse_constrative_accuracy}: distractors are all positions of the
     *                    OTHER documents of the batch, strict comparison of summed squared errors (docs/quirks.md
     *                    #29)
     * @param par         paraphrasing, max_{m&lt;n} CS(x̂_n, x_m) / max_{m&lt;n} CS(x_n, x_m) (CS = cosine)
     */
    public record Position(int document, int position, double l2, double ca, double caReference, double par) {
    }

    /**
     * @param targets     per document, its true concepts [N_d][D]
     * @param predictions per document, [N_d][D] where row n (n ≥ 1) is the prediction of x_n from x_&lt;n (row 0 is
     *                    ignored); the layout {@code TeacherForcedPredictor} gives shifted by one
     */
    public static List<Position> teacherForced(List<float[][]> targets, List<float[][]> predictions) {
        if (targets.size() != predictions.size()) throw new LcmException("teacherForced: " + targets.size() + " documents but " + predictions.size() + " predictions");
        List<Position> out = new ArrayList<>();
        for (int d = 0; d < targets.size(); d++) {
            float[][] x = targets.get(d), p = predictions.get(d);
            for (int n = 1; n < x.length; n++) {
                float[] pred = p[n];
                double pos = sqDist(pred, x[n]);
                // paper CA: every embedding of the batch except x_n and its neighbours in the same document
                long farther = 0, total = 0, fartherRef = 0, totalRef = 0;
                for (int e = 0; e < targets.size(); e++) {
                    float[][] y = targets.get(e);
                    for (int m = 0; m < y.length; m++) {
                        double dist = sqDist(pred, y[m]);
                        if (e != d || Math.abs(m - n) > 1) {
                            total++;
                            if (dist > pos) farther++;
                        }
                        if (e != d) {
                            totalRef++;
                            if (dist > pos) fartherRef++;
                        }
                    }
                }
                out.add(new Position(d, n, Math.sqrt(pos), total == 0 ? Double.NaN : (double) farther / total,
                        totalRef == 0 ? Double.NaN : (double) fartherRef / totalRef, par(pred, x, n)));
            }
        }
        return out;
    }

    /** PAR of one prediction of x_n given the document's true concepts (n ≥ 1). */
    public static double par(float[] prediction, float[][] x, int n) {
        double maxPred = Double.NEGATIVE_INFINITY, maxTrue = Double.NEGATIVE_INFINITY;
        for (int m = 0; m < n; m++) {
            maxPred = Math.max(maxPred, cosine(prediction, x[m]));
            maxTrue = Math.max(maxTrue, cosine(x[n], x[m]));
        }
        return maxPred / maxTrue;
    }

    /**
     * The reference's {@code mse_constrative_accuracy} on equal-length documents [B][T][D]: for each of the B·T
     * predictions, the share of the (B−1)·T positions of the other documents whose summed squared error to the
     * prediction exceeds the true target's.
     */
    public static double[] mseContrastiveAccuracy(float[][][] prediction, float[][][] targets) {
        int b = prediction.length, t = prediction[0].length;
        double[] out = new double[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                double pos = sqDist(prediction[i][j], targets[i][j]);
                int farther = 0;
                for (int k = 0; k < b; k++) {
                    if (k == i) continue;
                    for (int m = 0; m < t; m++) if (sqDist(prediction[i][j], targets[k][m]) > pos) farther++;
                }
                out[i * t + j] = (double) farther / ((b - 1) * t);
            }
        }
        return out;
    }

    /**
     * The reference's {@code cosine_based_match}: 1 if the choice most cosine-similar to the prediction is the one at
     * {@code targetIndex}, else 0. Ties go to the first such choice, as torch's argmax.
     */
    public static double cosineBasedMatch(float[] prediction, float[][] choices, int targetIndex) {
        int best = 0;
        double bestCos = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < choices.length; i++) {
            double c = cosine(prediction, choices[i]);
            if (c > bestCos) {
                bestCos = c;
                best = i;
            }
        }
        return best == targetIndex ? 1.0 : 0.0;
    }

    public static double l2(float[] a, float[] b) {
        return Math.sqrt(sqDist(a, b));
    }

    /** Cosine similarity in double precision (the reference's {@code cos_sim} of one prediction with its target). */
    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / (Math.sqrt(na) * Math.sqrt(nb));
    }

    static double sqDist(float[] a, float[] b) {
        if (a.length != b.length) throw new LcmException("vectors of dimension " + a.length + " and " + b.length + " cannot be compared");
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s;
    }
}
