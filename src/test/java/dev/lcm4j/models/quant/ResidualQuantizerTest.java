package dev.lcm4j.models.quant;

import static dev.lcm4j.testing.LcmExceptionAssert.assertOneLineError;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.io.Npy;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The residual quantizer against fixtures/python/ref_rvq.py (an independent PyTorch implementation, same data and
 * init) and against closed forms computed here in double precision.
 */
class ResidualQuantizerTest {
    @TempDir Path tmp;

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    static Tensor npyFloats(String name) {
        Npy.Array a = Npy.read(Fixtures.file("rvq", name));
        return Tensors.floats(a.toFloatArray(), a.shape());
    }

    static ResidualQuantizer fitFixture(List<Integer> passesPerStage) {
        Npy.Array init = Npy.read(Fixtures.file("rvq", "init_rows.npy"));
        long[] rows = init.toLongArray();
        int m = (int) init.shape()[0], k = (int) init.shape()[1];
        ResidualKMeans.Init fromFixture = (stage, n, units) -> java.util.Arrays.copyOfRange(rows, stage * k, stage * k + k);
        return ResidualKMeans.fit(npyFloats("data.npy"), new ResidualKMeans.Options(m, k, 30), fromFixture,
                (stage, it) -> {
                    while (passesPerStage.size() <= stage) passesPerStage.add(0);
                    passesPerStage.set(stage, it);
                });
    }

    @Test
    void fitEqualsTheIndependentKMeansGivenTheSameDataAndInit() throws Exception {
        List<Integer> passes = new ArrayList<>();
        ResidualQuantizer q = fitFixture(passes);
        float[] want = Npy.read(Fixtures.file("rvq", "codebooks.npy")).toFloatArray();
        float[] got = Tensors.toFloats(q.codebooks());
        assertEquals(want.length, got.length);
        double maxDiff = 0;
        for (int i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
        assertTrue(maxDiff < 1e-4, "codebooks differ from ref_rvq.py by " + maxDiff);
        // the same assignments, train and held out, and the same number of Lloyd updates per codebook
        assertArrayEquals(Npy.read(Fixtures.file("rvq", "codes.npy")).toLongArray(), Tensors.toLongs(q.encode(npyFloats("data.npy"))));
        assertArrayEquals(Npy.read(Fixtures.file("rvq", "heldout_codes.npy")).toLongArray(), Tensors.toLongs(q.encode(npyFloats("heldout.npy"))));
        JsonNode meta = new ObjectMapper().readTree(Fixtures.file("rvq", "meta.json").toFile());
        for (int m = 0; m < 4; m++) {
            assertEquals(meta.get("updates").get(m).asInt() + 1, passes.get(m), "assignment passes of codebook " + m);
        }
        // codebook 0 started from two equal rows: the empty unit was re-seeded, so every unit is distinct
        Tensor c0 = q.codebook(0);
        for (int a = 0; a < 12; a++) for (int b = a + 1; b < 12; b++) {
            assertTrue(c0.select(0, a).sub(c0.select(0, b)).abs().max().item_float() > 0, "units " + a + " and " + b + " equal");
        }
    }

    @Test
    void everyCodebookReducesTheHeldOutErrorWhichMatchesTheClosedForm() {
        ResidualQuantizer q = fitFixture(new ArrayList<>());
        Tensor x = npyFloats("heldout.npy");
        List<ResidualQuantizer.ReconstructionError> errors = q.reconstructionErrors(x);
        assertEquals(5, errors.size());
        // closed form, here in double precision: ||x - sum_{m<k} C_m[u_m]||^2 from the codebooks and codes as arrays
        float[] xs = Tensors.toFloats(x), books = Tensors.toFloats(q.codebooks());
        long[] codes = Tensors.toLongs(q.encode(x));
        int n = 200, d = 16, m = 4, k = 12;
        double energy = 0;
        for (float v : xs) energy += (double) v * v;
        double[] pyErrors = toDoubles(Npy.read(Fixtures.file("rvq", "heldout_errors.npy")));
        for (int kk = 0; kk <= m; kk++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    double z = 0;
                    for (int c = 0; c < kk; c++) z += books[(int) ((c * k + codes[i * m + c]) * d + j)];
                    double e = xs[i * d + j] - z;
                    sum += e * e;
                }
            }
            ResidualQuantizer.ReconstructionError got = errors.get(kk);
            assertEquals(kk, got.codebooks());
            assertEquals(sum / n, got.meanSquaredL2(), 1e-5 * sum / n, "mean squared l2 at k = " + kk);
            assertEquals(sum / energy, got.relative(), 1e-5, "relative error at k = " + kk);
            assertEquals(pyErrors[2 * kk], got.meanSquaredL2(), 1e-4 * pyErrors[2 * kk], "ref_rvq.py's error at k = " + kk);
            // decode with the first k codebooks gives the same reconstruction
            Tensor z = q.decode(q.encode(x), kk);
            double viaDecode = x.sub(z).to(org.bytedeco.pytorch.global.torch.ScalarType.Double).square().sum().item_double();
            assertEquals(sum, viaDecode, 1e-5 * sum, "decode(codes, " + kk + ")");
            if (kk > 0) {
                assertTrue(got.meanSquaredL2() < errors.get(kk - 1).meanSquaredL2(),
                        "k = " + kk + " codebooks must reconstruct better than k - 1: " + errors);
            }
        }
        assertEquals(1.0, errors.get(0).relative(), 1e-12);
    }

    @Test
    void encodeIsTheGreedyArgminCheckedByBruteForce() {
        Random rnd = new Random(3);
        int m = 3, k = 5, d = 4, n = 60;
        float[] books = new float[m * k * d], xs = new float[n * d];
        for (int i = 0; i < books.length; i++) books[i] = (float) (rnd.nextGaussian() / (1 + i / (k * d)));
        for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
        ResidualQuantizer q = new ResidualQuantizer(Tensors.floats(books, m, k, d));
        long[] codes = Tensors.toLongs(q.encode(Tensors.floats(xs, n, d)));
        long[] two = Tensors.toLongs(q.encode(Tensors.floats(xs, n, d), 2));
        for (int i = 0; i < n; i++) {
            double[] r = new double[d];
            for (int j = 0; j < d; j++) r[j] = xs[i * d + j];
            for (int c = 0; c < m; c++) {
                int best = -1;
                double bestDist = Double.POSITIVE_INFINITY;
                for (int u = 0; u < k; u++) {     // every unit of codebook c, in double
                    double dist = 0;
                    for (int j = 0; j < d; j++) {
                        double e = r[j] - books[(c * k + u) * d + j];
                        dist += e * e;
                    }
                    if (dist < bestDist) { bestDist = dist; best = u; }
                }
                assertEquals(best, codes[i * m + c], "row " + i + " codebook " + c);
                if (c < 2) assertEquals(best, two[i * 2 + c], "first two codebooks of row " + i);
                for (int j = 0; j < d; j++) r[j] -= books[(c * k + best) * d + j];
            }
        }
        // partial sums: column k - 1 is decode(codes, k)
        Tensor codesT = q.encode(Tensors.floats(xs, n, d));
        Tensor sums = q.partialSums(codesT);
        for (int kk = 1; kk <= m; kk++) {
            assertTrue(sums.select(1, kk - 1).sub(q.decode(codesT, kk)).abs().max().item_float() < 1e-6, "z_" + kk);
        }
    }

    @Test
    void savedQuantizerReadsBackExactlyWithItsCard() throws Exception {
        ResidualQuantizer q = fitFixture(new ArrayList<>());
        Path file = tmp.resolve("rvq.pt");
        QuantizerFiles.write(file, q, new QuantizerFiles.FitRecord("custom", 7, 30, "random_rows", List.of("fixture"), 600, 200,
                q.reconstructionErrors(npyFloats("heldout.npy"))));
        ResidualQuantizer back = QuantizerFiles.read(file);
        assertArrayEquals(Tensors.toFloats(q.codebooks()), Tensors.toFloats(back.codebooks()));
        String card = Files.readString(tmp.resolve("rvq.yaml"));
        assertTrue(card.contains("num_codebooks: 4") && card.contains("num_units: 12") && card.contains("dim: 16")
                && card.contains("heldout_reconstruction_error"), card);
    }

    @Test
    @Tag("slow")
    void pythonTorchLoadsTheSavedQuantizerAndEncodesAlike() {
        Fixtures.assumePythonModule("torch");
        ResidualQuantizer q = fitFixture(new ArrayList<>());
        Path file = tmp.resolve("q.pt");
        QuantizerFiles.write(file, q, null);
        dev.lcm4j.io.Npy.write(tmp.resolve("mine.npy"), Npy.Array.ofFloats(Tensors.toFloats(q.codebooks()), 4, 12, 16));
        String script = String.join("\n",
                "import sys, inspect, numpy as np, torch",
                "sys.path.insert(0, 'fixtures/python')",
                "import ref_rvq",
                "kw = {'weights_only': True} if 'weights_only' in inspect.signature(torch.load).parameters else {}",
                "ck = torch.load(sys.argv[1] + '/q.pt', map_location='cpu', **kw)",
                "assert ck['kind'] == 'lcm4j_residual_quantizer' and ck['version'] == 1, ck.keys()",
                "books = torch.stack(ck['codebooks'])",
                "assert books.dtype == torch.float32 and tuple(books.shape) == (4, 12, 16), books.shape",
                "assert torch.equal(books, torch.from_numpy(np.load(sys.argv[1] + '/mine.npy')))",
                "x = torch.from_numpy(np.load(sys.argv[2]))",
                "assert torch.equal(ref_rvq.encode(books, x), torch.from_numpy(np.load(sys.argv[3])))",
                "print('OK')");
        Fixtures.Result py = Fixtures.python(script, tmp.toString(), Fixtures.file("rvq", "heldout.npy").toString(),
                Fixtures.file("rvq", "heldout_codes.npy").toString());
        assertEquals(0, py.exitCode(), py.output());
        assertTrue(py.output().startsWith("OK"), py.output());
    }

    @Test
    void badInputIsOneLine() {
        ResidualQuantizer q = fitFixture(new ArrayList<>());
        assertOneLineError(() -> q.encode(Tensors.floats(new float[8 * 3], 3, 8)), "dimension 8", "dimension 16", "./lcm rvq fit");
        assertOneLineError(() -> ResidualKMeans.fit(Tensors.floats(new float[5 * 2], 5, 2), new ResidualKMeans.Options(1, 6, 3),
                ResidualKMeans.randomRows(0), ResidualKMeans.Listener.NONE), "--units 6", "5 training vectors");
        assertOneLineError(() -> QuantizerPreset.byName("sonar"), "unknown quantizer preset 'sonar'", "minilm_demo", "sonar_paper");
        assertOneLineError(() -> q.decode(Tensors.longs(new long[] {0, 12}, 1, 2)), "unit 12", "0..11");
        assertOneLineError(() -> q.decode(Tensors.longs(new long[5], 1, 5)), "5 codebooks", "has 4");
        assertOneLineError(() -> q.encode(npyFloats("heldout.npy"), 5), "--codebooks 5", "1..4");
        assertOneLineError(() -> QuantizerFiles.read(tmp.resolve("none.pt")), "does not exist", "./lcm rvq fit");
        assertOneLineError(() -> q.requireShape(16, 8, 12, "q.pt", "model quant_lcm_d"), "model quant_lcm_d needs a quantizer of dimension 16 with 8 x 12",
                "q.pt has dimension 16 with 4 x 12", "./lcm rvq fit --codebooks 8 --units 12");
        q.requireShape(16, 4, 12, "q.pt", "the model");
    }

    @Test
    void randomInitIsSeededAndDistinct() {
        ResidualKMeans.Init a = ResidualKMeans.randomRows(5), b = ResidualKMeans.randomRows(5), c = ResidualKMeans.randomRows(6);
        assertArrayEquals(a.rows(2, 1000, 50), b.rows(2, 1000, 50));
        assertFalse(java.util.Arrays.equals(a.rows(2, 1000, 50), c.rows(2, 1000, 50)));
        assertFalse(java.util.Arrays.equals(a.rows(2, 1000, 50), a.rows(3, 1000, 50)), "stages draw differently");
        assertEquals(50, java.util.Arrays.stream(a.rows(0, 60, 50)).distinct().count());
        long[] all = a.rows(0, 7, 7);
        java.util.Arrays.sort(all);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6}, all);
    }

    static double[] toDoubles(Npy.Array a) {
        if (a.data() instanceof double[] d) return d;
        float[] f = a.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
