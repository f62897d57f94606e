package dev.lcm4j.models.quantlcm;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The unit choice of one codebook against closed forms: Eq. 23 (-c) and tempered softmax (-d) frequencies over many
 * draws match the probabilities computed here by hand; units outside the top_k never appear; top_k = 1 is the nearest
 * centroid / the largest logit. The greedy RVQ codes of the criterion equal a double-precision brute force, also
 * under bf16 autocast (the bf16 training step).
 */
class QuantLcmSamplingTest {
    static final int C = 2, K = 4;
    // codebook 0: four centroids on a line; residuals are measured against them
    static final float[] BOOK = {0, 0, 1, 0, 2, 0, 4, 0};

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    static QuantLcm model(String family) {
        QuantLcmConfig c = QuantLcmConfig.defaults(family).withShape(C, 1, K, 4, 8, 4,
                TransformerConfig.builder().num_layers(1).num_attn_heads(1).ffn_inner_dim(8).build());
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(C));
        return new QuantLcm(ParamFactory.cpu(), c, n, Tensors.floats(BOOK, 1, K, C));
    }

    static double[] frequencies(QuantLcm m, Tensor out, Tensor z, QuantSamplingOptions o, int rows) {
        Tensor units = QuantLcmSampling.choose(m, 0, out, z, o, Noise.global(), rows, 1);
        double[] f = new double[K];
        for (long u : Tensors.toLongs(units)) f[(int) u] += 1.0 / rows;
        return f;
    }

    @Test
    void continuousSamplesFollowEq23OverTheTopKNearest() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(5);
            QuantLcm m = model(QuantLcmConfig.CONTINUOUS);
            int rows = 40_000;
            // predicted concept x = (1.4, 0) with z = (0.2, 0): residual r = (1.2, 0); distances 1.2, 0.2, 0.8, 2.8
            Tensor out = Tensors.floats(new float[] {1.4f, 0f}, 1, C).expand(rows, C).contiguous();
            Tensor z = Tensors.floats(new float[] {0.2f, 0f}, 1, C).expand(rows, C).contiguous();
            double[] d = {1.2, 0.2, 0.8, 2.8};
            double beta = 2.0;
            double[] f = frequencies(m, out, z, new QuantSamplingOptions(1, 1 / beta, 3, 1), rows);
            double norm = 0;
            for (int i = 0; i < 3; i++) norm += Math.exp(-beta * d[i]);
            for (int i = 0; i < 3; i++) assertEquals(Math.exp(-beta * d[i]) / norm, f[i], 0.01, "unit " + i);
            assertEquals(0.0, f[3], 0.0, "the farthest unit is outside top_k = 3");
            // squared distances
            f = frequencies(m, out, z, new QuantSamplingOptions(1, 1 / beta, 4, 2), rows);
            norm = 0;
            for (int i = 0; i < 4; i++) norm += Math.exp(-beta * d[i] * d[i]);
            for (int i = 0; i < 4; i++) assertEquals(Math.exp(-beta * d[i] * d[i]) / norm, f[i], 0.01, "squared, unit " + i);
            // top_k = 1: the nearest centroid
            assertArrayEquals(new double[] {0, 1, 0, 0}, frequencies(m, out, z, new QuantSamplingOptions(1, 1, 1, 1), rows), 1e-9);
        }
    }

    @Test
    void discreteSamplesFollowTheTemperedSoftmaxOverTheTopK() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(6);
            QuantLcm m = model(QuantLcmConfig.DISCRETE);
            int rows = 40_000;
            double[] l = {0.5, 2.0, -1.0, 1.0};
            float[] lf = new float[K];
            for (int i = 0; i < K; i++) lf[i] = (float) l[i];
            Tensor out = Tensors.floats(lf, 1, K).expand(rows, K).contiguous();
            Tensor z = torch.zeros(new long[] {rows, C});
            double t = 0.7;
            double[] f = frequencies(m, out, z, new QuantSamplingOptions(1, t, 3, 1), rows);
            int[] top = {1, 3, 0};
            double norm = 0;
            for (int i : top) norm += Math.exp(l[i] / t);
            for (int i : top) assertEquals(Math.exp(l[i] / t) / norm, f[i], 0.01, "unit " + i);
            assertEquals(0.0, f[2], 0.0, "the lowest logit is outside top_k = 3");
            assertArrayEquals(new double[] {0, 1, 0, 0}, frequencies(m, out, z, new QuantSamplingOptions(1, t, 1, 1), rows), 1e-9);
        }
    }

    /**
     * Greedy residual codes, codebook by codebook, by explicit squared distances in double: [R][M].
     */
    static int[][] bruteForceCodes(float[] books, float[] x, int rows, int m, int k, int c) {
        int[][] codes = new int[rows][m];
        for (int r = 0; r < rows; r++) {
            double[] residual = new double[c];
            for (int j = 0; j < c; j++) residual[j] = x[r * c + j];
            for (int b = 0; b < m; b++) {
                int best = -1;
                double bestD = Double.POSITIVE_INFINITY;
                for (int u = 0; u < k; u++) {
                    double d = 0;
                    for (int j = 0; j < c; j++) {
                        double e = residual[j] - books[(b * k + u) * c + j];
                        d += e * e;
                    }
                    if (d < bestD) { bestD = d; best = u; }
                }
                codes[r][b] = best;
                for (int j = 0; j < c; j++) residual[j] -= books[(b * k + best) * c + j];
            }
        }
        return codes;
    }

    @Test
    void rvqCodesOfTheCriterionAreTheExactGreedyCodesAlsoUnderBf16Autocast() {
        // 256 units of shrinking scale over 64 dims: the gaps between the nearest centroids are far below bf16's rounding
        // of r.c, so a bf16 matmul would pick other units for a few percent of the rows
        int rows = 256, m = 3, k = 256, c = 64;
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(3);
            float[] books = new float[m * k * c];
            float[] drawn = Tensors.toFloats(torch.randn(m * k * c));
            for (int i = 0; i < books.length; i++) books[i] = (float) (drawn[i] * Math.pow(0.8, i / (k * c)));
            float[] x = Tensors.toFloats(torch.randn(rows * c));
            QuantLcmConfig cfg = QuantLcmConfig.defaults(QuantLcmConfig.DISCRETE).withShape(c, m, k, 4, 8, 4,
                    TransformerConfig.builder().num_layers(1).num_attn_heads(1).ffn_inner_dim(8).build());
            QuantLcm model = new QuantLcm(ParamFactory.cpu(), cfg,
                    new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(c)), Tensors.floats(books, m, k, c));
            int[][] expected = bruteForceCodes(books, x, rows, m, k, c);
            for (boolean bf16 : new boolean[] {false, true}) {
                Tensor codes;
                if (bf16) Autocast.enter();
                try {
                    codes = QuantLcmCriterion.codes(model, Tensors.floats(x, rows, c));
                } finally {
                    if (bf16) Autocast.exit();
                }
                long[] got = Tensors.toLongs(codes);
                int differ = 0;
                for (int r = 0; r < rows; r++) for (int b = 0; b < m; b++) if (got[r * m + b] != expected[r][b]) differ++;
                assertEquals(0, differ, (bf16 ? "bf16 autocast" : "fp32") + ": codes differing from the exact greedy encode");
            }
        }
    }
}
