package dev.lcm4j.models.quant;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Fits a {@link ResidualQuantizer} by greedy residual k-means: codebook m is a k-means of the residuals left by
 * codebooks 1..m-1, then every vector is encoded greedily with it and its residual shrinks by the chosen centroid.
 *
 * <p>k-means of one stage (Lloyd's algorithm), the same rule {@code fixtures/python/ref_rvq.py} implements:
 * <ol>
 *   <li>init: K distinct residual rows chosen by {@link Init} (by default uniformly at random, seeded per stage);</li>
 *   <li>each iteration assigns every row to its nearest centroid (squared l2, ties to the lower unit), then sets every
 *       centroid to the mean of its rows (summed in float64). A unit left without rows is re-seeded with a row that is
 *       far from its centroid: the empty units, in increasing order, take the rows with the largest distance to their
 *       centroid, in decreasing order of that distance (ties to the lower row);</li>
 *   <li>it stops after {@code iterations} updates, or earlier when an assignment equals the previous one (a fixed
 *       point: a further update would change nothing).</li>
 * </ol>
 * Beam 1 and no codebook refinement: see docs/rvq.md for how this relates to FAISS's ResidualQuantizer.
 */
public final class ResidualKMeans {
    private ResidualKMeans() {}

    /** What one fit is: M codebooks of K units, at most {@code iterations} Lloyd updates per codebook (the seed is the {@link Init}'s). */
    public record Options(int numCodebooks, int numUnits, int iterations) {
        public Options {
            if (numCodebooks < 1) throw new LcmException("--codebooks must be at least 1, got " + numCodebooks);
            if (numUnits < 1) throw new LcmException("--units must be at least 1, got " + numUnits);
            if (iterations < 1) throw new LcmException("--iterations must be at least 1, got " + iterations);
        }
    }

    /** The rows of the residual matrix that initialise stage {@code stage}'s centroids: K distinct indices in [0, n). */
    public interface Init {
        long[] rows(int stage, long n, int units);
    }

    /** Called after each assignment pass of each stage, for progress bars. */
    public interface Listener {
        void iteration(int stage, int iteration);

        Listener NONE = (s, i) -> { };
    }

    /** One stage's k-means: its centroids [K, D], the assignment of the rows to them [N], and the updates it took. */
    public record StageResult(Tensor centroids, Tensor units, int updates, boolean converged) {
    }

    /**
     * Uniformly random distinct rows (a partial Fisher-Yates shuffle of 0..n-1 with a {@link SplittableRandom} seeded
     * by {@code seed} and the stage), so a seed gives the same init on every machine.
     */
    public static Init randomRows(long seed) {
        return (stage, n, units) -> {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + stage);
            if (n > Integer.MAX_VALUE) throw new LcmException("cannot sample init rows from " + n + " vectors; lower --max-vectors");
            int[] perm = new int[(int) n];
            for (int i = 0; i < perm.length; i++) perm[i] = i;
            long[] out = new long[units];
            for (int i = 0; i < units; i++) {
                int j = i + rnd.nextInt(perm.length - i);
                int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
                out[i] = perm[i];
            }
            return out;
        };
    }

    /** Fits all M codebooks on {@code data} [N, D] (float32, not modified). */
    public static ResidualQuantizer fit(Tensor data, Options options, Init init, Listener listener) {
        long[] s = Tensors.shape(data);
        if (s.length != 2) throw new LcmException("RVQ fit takes vectors [N, D], got " + Tensors.shapeString(data));
        long n = s[0];
        if (options.numUnits() > n) {
            throw new LcmException("--units " + options.numUnits() + " is more than the " + n + " training vectors; give more data"
                    + " (--max-vectors) or fewer units");
        }
        Tensor codebooks = empty(new long[] {options.numCodebooks(), options.numUnits(), s[1]}, Tensors.opts(ScalarType.Float, null), null);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor residual = data.to(ScalarType.Float).clone();                                   // [N, D]
            for (int m = 0; m < options.numCodebooks(); m++) {
                try (PointerScope scope = new PointerScope()) {
                    long[] rows = init.rows(m, n, options.numUnits());
                    if (rows.length != options.numUnits() || java.util.Arrays.stream(rows).anyMatch(r -> r < 0 || r >= n)) {
                        throw new IllegalArgumentException("init of codebook " + m + " must give " + options.numUnits() + " rows in 0.." + (n - 1));
                    }
                    Tensor start = residual.index_select(0, Tensors.longs(rows, rows.length));    // [K, D]
                    final int stage = m;
                    StageResult r = kmeans(residual, start, options.iterations(), it -> listener.iteration(stage, it));
                    codebooks.select(0, m).copy_(r.centroids());
                    // greedy encoding with the new codebook: every residual loses its nearest centroid
                    for (long r0 = 0; r0 < n; r0 += ResidualQuantizer.CHUNK_ROWS) {
                        long len = Math.min(ResidualQuantizer.CHUNK_ROWS, n - r0);
                        residual.narrow(0, r0, len).sub_(r.centroids().index_select(0, r.units().narrow(0, r0, len)));
                    }
                }
            }
        }
        return ResidualQuantizer.sharing(codebooks);
    }

    /**
     * Lloyd's k-means of {@code data} [N, D] from {@code init} [K, D], at most {@code maxUpdates} centroid updates;
     * {@code perIteration} hears the 1-based number of every assignment pass.
     */
    public static StageResult kmeans(Tensor data, Tensor init, int maxUpdates, java.util.function.IntConsumer perIteration) {
        long n = data.size(0);
        int k = (int) init.size(0);
        // buffers that outlive the per-iteration scopes, so one iteration's temporaries never pile up
        Tensor centroids = init.to(ScalarType.Float).clone();                                      // [K, D]
        Tensor units = empty(new long[] {n}, Tensors.opts(ScalarType.Long, null), null);           // [N]
        Tensor previous = empty(new long[] {n}, Tensors.opts(ScalarType.Long, null), null);        // [N]
        int updates = 0;
        boolean converged = false;
        for (int it = 1; ; it++) {
            try (PointerScope scope = new PointerScope()) {
                Assignment a = assign(data, centroids);
                perIteration.accept(it);
                boolean same = it > 1 && equal(previous, a.units());
                units.copy_(a.units());
                if (same) {
                    converged = true;
                    break;
                }
                if (updates == maxUpdates) break;
                centroids.copy_(update(data, a, k));
                previous.copy_(a.units());
                updates++;
            }
        }
        return new StageResult(centroids, units, updates, converged);
    }

    /** Nearest centroid of every row (ties to the lower unit) and its squared distance. */
    record Assignment(Tensor units, Tensor distances) {
    }

    static Assignment assign(Tensor data, Tensor centroids) {
        long n = data.size(0);
        Tensor units = empty(new long[] {n}, Tensors.opts(ScalarType.Long, null), null);
        Tensor distances = empty(new long[] {n}, Tensors.opts(ScalarType.Float, null), null);
        Tensor norms = centroids.square().sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()); // [K]
        for (long r0 = 0; r0 < n; r0 += ResidualQuantizer.CHUNK_ROWS) {
            long len = Math.min(ResidualQuantizer.CHUNK_ROWS, n - r0);
            try (PointerScope scope = new PointerScope()) {
                Tensor x = data.narrow(0, r0, len);                                                 // [len, D]
                Tensor d = x.mm(centroids.t()).mul_(Tensors.scalar(-2)).add_(norms.unsqueeze(0));   // [len, K] ||c||^2 - 2x.c
                T_TensorTensor_T best = d.min(1, false);
                units.narrow(0, r0, len).copy_(best.get1());
                Tensor xn = x.square().sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
                distances.narrow(0, r0, len).copy_(best.get0().add(xn).clamp_min_(Tensors.scalar(0)));
            }
        }
        return new Assignment(units, distances);
    }

    /**
     * Means of the assigned rows (float64 sums); empty units re-seeded with the farthest rows. The sums run in Java over
     * each chunk's rows: a pass over N x D values, cheap beside the assignment's N x K x D, and measured several times
     * faster than libtorch's float64 {@code index_add_} on CPU (bench/README.md).
     */
    static Tensor update(Tensor data, Assignment a, int k) {
        long n = data.size(0);
        int dim = (int) data.size(1);
        double[] sums = new double[k * dim];
        long[] counts = new long[k];
        for (long r0 = 0; r0 < n; r0 += ResidualQuantizer.CHUNK_ROWS) {
            int len = (int) Math.min(ResidualQuantizer.CHUNK_ROWS, n - r0);
            float[] rows;
            long[] units;
            try (PointerScope scope = new PointerScope()) {
                rows = Tensors.toFloats(data.narrow(0, r0, len));                                   // [len, D]
                units = Tensors.toLongs(a.units().narrow(0, r0, len));                               // [len]
            }
            for (int i = 0; i < len; i++) {
                int u = (int) units[i];
                counts[u]++;
                int base = u * dim, row = i * dim;
                for (int j = 0; j < dim; j++) sums[base + j] += rows[row + j];
            }
        }
        float[] means = new float[k * dim];
        int empty = 0;
        for (int u = 0; u < k; u++) {
            if (counts[u] == 0) {
                empty++;
                continue;
            }
            double c = counts[u];
            for (int j = 0; j < dim; j++) means[u * dim + j] = (float) (sums[u * dim + j] / c);
        }
        Tensor next = Tensors.floats(means, k, dim);                                                 // [K, D]
        if (empty > 0) {
            long[] far = farthestRows(Tensors.toFloats(a.distances()), empty);
            int j = 0;
            for (int u = 0; u < k; u++) {
                if (counts[u] == 0) next.select(0, u).copy_(data.select(0, far[j++]));
            }
        }
        return next;
    }

    /** The {@code count} rows with the largest distances, largest first, ties to the lower row. */
    static long[] farthestRows(float[] distances, int count) {
        // key: distance descending (non-negative floats order as their bits), then row ascending
        long[] keys = new long[distances.length];
        for (int i = 0; i < distances.length; i++) {
            long bits = Float.floatToIntBits(Math.max(0f, distances[i]));
            keys[i] = ((Integer.MAX_VALUE - bits) << 32) | i;
        }
        Arrays.sort(keys);
        long[] out = new long[Math.min(count, keys.length)];
        for (int i = 0; i < out.length; i++) out[i] = keys[i] & 0xffffffffL;
        return out;
    }
}
