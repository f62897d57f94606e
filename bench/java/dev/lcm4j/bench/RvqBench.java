package dev.lcm4j.bench;

import dev.lcm4j.io.Npy;
import dev.lcm4j.models.quant.QuantizerPreset;
import dev.lcm4j.models.quant.ResidualKMeans;
import dev.lcm4j.models.quant.ResidualQuantizer;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/**
 * Residual quantizer throughput: fit and encode vectors/s at the demo's size (10,622 unit vectors of 384-d, preset
 * minilm_demo 8 x 256, 25 iterations), on clustered synthetic unit vectors (CENTERS Gaussian centers plus noise,
 * normalized, like sentence embeddings). Writes the data and the init rows to OUT so that bench_rvq.py fits the same
 * problem with the PyTorch reference.
 * Args: --vectors N (10622) --dim D (384) --codebooks M (8) --units K (256) --iterations I (25) --encode N (100000)
 * --threads T (libtorch intra-op threads; default: libtorch's) --out DIR.
 */
public final class RvqBench {
    public static void main(String[] args) throws Exception {
        int n = 10622, dim = 384, m = 8, k = 256, iterations = 25, encodeN = 100_000;
        Path out = Path.of("bench/target/rvq");
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--vectors" -> n = Integer.parseInt(args[i + 1]);
                case "--dim" -> dim = Integer.parseInt(args[i + 1]);
                case "--codebooks" -> m = Integer.parseInt(args[i + 1]);
                case "--units" -> k = Integer.parseInt(args[i + 1]);
                case "--iterations" -> iterations = Integer.parseInt(args[i + 1]);
                case "--encode" -> encodeN = Integer.parseInt(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        TorchRuntime.init();
        Files.createDirectories(out);
        float[] data = clustered(n, dim, 1);
        float[] encodeData = clustered(encodeN, dim, 2);
        Npy.write(out.resolve("data.npy"), Npy.Array.ofFloats(data, n, dim));
        long seed = 0;
        ResidualKMeans.Init init = ResidualKMeans.randomRows(seed);
        long[] rows = new long[m * k];
        for (int s = 0; s < m; s++) System.arraycopy(init.rows(s, n, k), 0, rows, s * k, k);
        Npy.write(out.resolve("init_rows.npy"), Npy.Array.ofLongs(rows, m, k));

        Tensor x = Tensors.floats(data, n, dim);
        int[] passes = new int[m];
        // warm-up: one small fit, so the timed one does not pay for libtorch's first-call setup
        ResidualKMeans.fit(x.narrow(0, 0, Math.min(n, 4 * k)), new ResidualKMeans.Options(1, k, 2), init, ResidualKMeans.Listener.NONE);
        long t0 = System.nanoTime();
        ResidualQuantizer q = ResidualKMeans.fit(x, new ResidualKMeans.Options(m, k, iterations), init, (s, it) -> passes[s] = it);
        double fitSec = (System.nanoTime() - t0) / 1e9;
        int totalPasses = 0;
        for (int p : passes) totalPasses += p;
        Npy.write(out.resolve("codebooks_java.npy"), Npy.Array.ofFloats(Tensors.toFloats(q.codebooks()), m, k, dim));

        Tensor e = Tensors.floats(encodeData, encodeN, dim);
        q.encode(e.narrow(0, 0, Math.min(encodeN, 4096)));
        long t1 = System.nanoTime();
        q.encode(e);
        double encSec = (System.nanoTime() - t1) / 1e9;
        List<ResidualQuantizer.ReconstructionError> errors = q.reconstructionErrors(e);
        QuantizerPreset.Memory mem = QuantizerPreset.fitMemory(n, dim, m, k);

        System.out.printf("rvq fit   %d x %d on %d x %d: %.2f s, %.0f vectors/s (%d assignment passes over all codebooks, %.0f vector-passes/s)%n",
                m, k, n, dim, fitSec, n / fitSec, totalPasses, (double) n * totalPasses / fitSec);
        System.out.printf("rvq encode %d vectors with %d codebooks: %.2f s, %.0f vectors/s%n", encodeN, m, encSec, encodeN / encSec);
        System.out.printf("relative error on the encode set, k = 1..%d:", m);
        for (int i = 1; i < errors.size(); i++) System.out.printf(" %.4f", errors.get(i).relative());
        System.out.printf("%nfit memory estimate %.1f MiB%n", mem.total() / 1048576.0);
        System.out.printf("JSON {\"side\":\"lcm4j\",\"vectors\":%d,\"dim\":%d,\"codebooks\":%d,\"units\":%d,\"fit_s\":%.3f,\"fit_vectors_per_s\":%.1f,"
                        + "\"passes\":%d,\"encode_vectors\":%d,\"encode_s\":%.3f,\"encode_vectors_per_s\":%.1f}%n",
                n, dim, m, k, fitSec, n / fitSec, totalPasses, encodeN, encSec, encodeN / encSec);
    }

    /** Unit vectors around 256 random centers (noise of the centers' scale times 0.5), deterministic per seed. */
    static float[] clustered(int n, int dim, long seed) {
        Random centersRnd = new Random(42), rnd = new Random(seed);
        int centers = 256;
        double[][] c = new double[centers][dim];
        for (double[] row : c) for (int j = 0; j < dim; j++) row[j] = centersRnd.nextGaussian();
        float[] out = new float[n * dim];
        double[] v = new double[dim];
        for (int i = 0; i < n; i++) {
            double[] center = c[rnd.nextInt(centers)];
            double norm = 0;
            for (int j = 0; j < dim; j++) {
                v[j] = center[j] + 0.5 * rnd.nextGaussian();
                norm += v[j] * v[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < dim; j++) out[i * dim + j] = (float) (v[j] / norm);
        }
        return out;
    }
}
