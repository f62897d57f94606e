package dev.lcm4j.models.quant;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A residual vector quantizer over a concept space: M codebooks of K units each, {@code codebooks} [M, K, D].
 *
 * <p>Encoding is greedy (beam 1), as the paper's FAISS quantizer with {@code max_beam_size = 1}:
 * {@code r = x; for m in 1..M: u_m = argmin_i ||r - C_m[i]||^2; r = r - C_m[u_m]}. Decoding with the first k codebooks
 * gives the partial sum {@code z_k = sum_{m<=k} C_m[u_m]} (z_0 = 0), the coarse approximation Quant-LCM works with.
 *
 * <p>Inputs are float32 CPU tensors [N, D]; codes are int64 [N, k]. Work is done in chunks of {@link #CHUNK_ROWS}
 * rows so that the distance buffer stays [CHUNK_ROWS, K] whatever N is.
 */
public final class ResidualQuantizer {
    /** Rows per chunk: the [rows, K] float32 distance buffer is 4096 x 8192 x 4 B = 128 MiB at the paper's K. */
    public static final int CHUNK_ROWS = 4096;

    private final Tensor codebooks;      // [M, K, D] float32, contiguous
    private final Tensor codebookNorms;  // [M, K] squared l2 norm of every centroid
    private final int numCodebooks, numUnits, dim;

    /** A quantizer over a copy of {@code codebooks} [M, K, D] (any float dtype; copied to contiguous float32). */
    public ResidualQuantizer(Tensor codebooks) {
        this(codebooks, true);
    }

    /**
     * A quantizer over {@code codebooks} [M, K, D] float32 without a copy: it shares their storage, on their device
     * (freshly made tensors, or a model's codebook buffer). The codebook norms are computed now: after the codebooks
     * change in place, build a new one.
     */
    public static ResidualQuantizer sharing(Tensor codebooks) {
        return new ResidualQuantizer(codebooks, false);
    }

    private ResidualQuantizer(Tensor codebooks, boolean copy) {
        long[] s = Tensors.shape(codebooks);
        if (s.length != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1) {
            throw new LcmException("RVQ codebooks must have shape [M, K, D] with M, K, D >= 1, got " + Tensors.shapeString(codebooks));
        }
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor c = codebooks.detach().to(ScalarType.Float).contiguous();
            if (copy) c = c.clone();
            c.retainReference(); // the quantizer outlives any PointerScope its caller runs in
            this.codebooks = c;
            Tensor n = c.square().sum(new long[] {2}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
            n.retainReference();
            this.codebookNorms = n;
        }
        this.numCodebooks = (int) s[0];
        this.numUnits = (int) s[1];
        this.dim = (int) s[2];
    }

    /** The dimension D of the concept space. */
    public int dim() { return dim; }

    /** M, the number of codebooks. */
    public int numCodebooks() { return numCodebooks; }

    /** K, the number of units (centroids) per codebook. */
    public int numUnits() { return numUnits; }

    /** All centroids, [M, K, D] float32 (the quantizer's own tensor: do not modify). */
    public Tensor codebooks() { return codebooks; }

    /** Codebook {@code m} (0-based), [K, D], a view of {@link #codebooks()}. */
    public Tensor codebook(int m) {
        checkCodebook(m);
        return codebooks.select(0, m);
    }

    /**
     * Fails with one line when vectors of dimension {@code dataDim} (from {@code source}) cannot go through this
     * quantizer.
     */
    public void requireDim(long dataDim, String source) {
        if (dataDim != dim) {
            throw new LcmException(source + " has vectors of dimension " + dataDim + " but the quantizer was fitted on dimension "
                    + dim + "; use a quantizer fitted on this concept space (./lcm rvq fit)");
        }
    }

    /**
     * Fails with one line when a model sized for another quantizer is given this one ({@code source} names the
     * quantizer's file, {@code model} the model).
     */
    public void requireShape(int expectedDim, int expectedCodebooks, int expectedUnits, String source, String model) {
        if (expectedDim != dim || expectedCodebooks != numCodebooks || expectedUnits != numUnits) {
            throw new LcmException(model + " needs a quantizer of dimension " + expectedDim + " with " + expectedCodebooks + " x " + expectedUnits
                    + " units, but " + source + " has dimension " + dim + " with " + numCodebooks + " x " + numUnits + "; fit one with"
                    + " ./lcm rvq fit --codebooks " + expectedCodebooks + " --units " + expectedUnits);
        }
    }

    /** Greedy codes of {@code x} [N, D] with all M codebooks: [N, M] int64. */
    public Tensor encode(Tensor x) {
        return encode(x, numCodebooks);
    }

    /** Greedy codes of {@code x} [N, D] with the first {@code k} codebooks: [N, k] int64. */
    public Tensor encode(Tensor x, int k) {
        checkCount(k);
        long[] s = Tensors.shape(x);
        if (s.length != 2) throw new LcmException("RVQ encode takes vectors [N, D], got " + Tensors.shapeString(x));
        requireDim(s[1], "the input");
        long n = s[0];
        Tensor codes = empty(new long[] {n, k}, Tensors.opts(ScalarType.Long, null), null);
        try (NoGradGuard g = new NoGradGuard()) {
            for (long r0 = 0; r0 < n; r0 += CHUNK_ROWS) {
                long rows = Math.min(CHUNK_ROWS, n - r0);
                try (PointerScope scope = new PointerScope()) {
                    Tensor residual = x.narrow(0, r0, rows).to(ScalarType.Float).clone();    // [rows, D]
                    Tensor out = codes.narrow(0, r0, rows);                                    // [rows, k]
                    for (int m = 0; m < k; m++) {
                        Tensor units = nearestUnits(m, residual);                              // [rows]
                        out.select(1, m).copy_(units);
                        residual.sub_(codebook(m).index_select(0, units));
                    }
                }
            }
        }
        return codes;
    }

    /** {@code z_k} of {@code codes} [N, k] with all of its k columns: [N, D]. */
    public Tensor decode(Tensor codes) {
        return decode(codes, (int) Tensors.shape(codes)[Tensors.shape(codes).length - 1]);
    }

    /** {@code z_k = sum_{m<k} C_m[codes[:, m]]}, the first {@code k} columns of {@code codes} [N, >=k]: [N, D]; z_0 = 0. */
    public Tensor decode(Tensor codes, int k) {
        long[] s = checkCodes(codes);
        if (k < 0 || k > s[1]) {
            throw new LcmException("cannot decode with " + k + " codebooks from codes of " + s[1] + " codebooks; use 0.." + s[1]);
        }
        Tensor z = zeros(new long[] {s[0], dim}, Tensors.opts(ScalarType.Float, null));
        try (NoGradGuard g = new NoGradGuard()) {
            for (int m = 0; m < k; m++) {
                try (PointerScope scope = new PointerScope()) {
                    z.add_(centroids(m, codes.select(1, m)));
                }
            }
        }
        return z;
    }

    /** Every partial sum at once: [N, k, D] where {@code [:, j]} is z_{j+1}, for codes [N, k] (the cumsum of §5.9). */
    public Tensor partialSums(Tensor codes) {
        long[] s = checkCodes(codes);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor all = empty(new long[] {s[0], s[1], dim}, Tensors.opts(ScalarType.Float, null), null);
            for (int m = 0; m < s[1]; m++) all.select(1, m).copy_(centroids(m, codes.select(1, m)));
            return all.cumsum(1);
        }
    }

    /** The centroids {@code C_m[units]} of codebook {@code m}: units [N] int64 -> [N, D]. */
    public Tensor centroids(int m, Tensor units) {
        return codebook(m).index_select(0, units.to(ScalarType.Long).contiguous());
    }

    /**
     * Squared l2 distances of residuals [N, D] to every unit of codebook {@code m}: [N, K], computed as
     * {@code (-2 r.c + ||r||^2) + ||c||^2}, in that order, and clamped at 0 (what Quant-LCM's Eq. 23 sampling and its
     * training codes use; its fixtures were made with that order).
     */
    public Tensor squaredDistances(int m, Tensor residual) {
        checkCodebook(m);
        Tensor r = residual.to(ScalarType.Float);
        Tensor rn = r.square().sum(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()); // [N, 1]
        return r.mm(codebook(m).t()).mul_(Tensors.scalar(-2)).add_(rn).add_(codebookNorms.select(0, m).unsqueeze(0))
                .clamp_min_(Tensors.scalar(0));
    }

    /** The greedy choice for codebook {@code m}: argmin_i ||r - C_m[i]||^2 per row of residuals [N, D] -> [N] int64. */
    public Tensor nearestUnits(int m, Tensor residual) {
        checkCodebook(m);
        // ||r||^2 is the same for every unit of a row, so the argmin needs only ||c||^2 - 2 r.c
        return crossTerm(m, residual.to(ScalarType.Float)).argmin(new LongOptional(1), false);
    }

    /** {@code ||c||^2 - 2 r.c} for residuals [N, D]: [N, K]. */
    private Tensor crossTerm(int m, Tensor r) {
        return r.mm(codebook(m).t()).mul_(Tensors.scalar(-2)).add_(codebookNorms.select(0, m).unsqueeze(0));
    }

    /**
     * Reconstruction error of {@code x} [N, D] for every number of codebooks k = 0..M (k = 0: z_0 = 0, the energy of x),
     * with greedy codes: the mean of {@code ||x - z_k||^2} over the rows, and that sum relative to {@code sum ||x||^2}.
     */
    public List<ReconstructionError> reconstructionErrors(Tensor x) {
        long[] s = Tensors.shape(x);
        if (s.length != 2) throw new LcmException("RVQ takes vectors [N, D], got " + Tensors.shapeString(x));
        requireDim(s[1], "the input");
        long n = s[0];
        if (n == 0) throw new LcmException("no vectors to measure the reconstruction error on");
        double[] sq = new double[numCodebooks + 1];
        try (NoGradGuard g = new NoGradGuard()) {
            for (long r0 = 0; r0 < n; r0 += CHUNK_ROWS) {
                long rows = Math.min(CHUNK_ROWS, n - r0);
                try (PointerScope scope = new PointerScope()) {
                    Tensor residual = x.narrow(0, r0, rows).to(ScalarType.Float).clone();  // x - z_0
                    sq[0] += residual.to(ScalarType.Double).square().sum().item_double();
                    for (int m = 0; m < numCodebooks; m++) {
                        residual.sub_(centroids(m, nearestUnits(m, residual)));              // x - z_{m+1}
                        sq[m + 1] += residual.to(ScalarType.Double).square().sum().item_double();
                    }
                }
            }
        }
        List<ReconstructionError> out = new ArrayList<>();
        for (int k = 0; k <= numCodebooks; k++) out.add(new ReconstructionError(k, sq[k] / n, sq[0] > 0 ? sq[k] / sq[0] : 0.0));
        return out;
    }

    private long[] checkCodes(Tensor codes) {
        long[] s = Tensors.shape(codes);
        if (s.length != 2) throw new LcmException("RVQ codes must have shape [N, k], got " + Tensors.shapeString(codes));
        if (s[1] > numCodebooks) {
            throw new LcmException("codes have " + s[1] + " codebooks but the quantizer has " + numCodebooks);
        }
        if (s[0] > 0 && s[1] > 0) {
            long min = codes.min().item_long(), max = codes.max().item_long();
            if (min < 0 || max >= numUnits) {
                throw new LcmException("codes hold unit " + (min < 0 ? min : max) + " but the quantizer's units are 0.." + (numUnits - 1));
            }
        }
        return s;
    }

    private void checkCodebook(int m) {
        if (m < 0 || m >= numCodebooks) throw new IllegalArgumentException("codebook " + m + " of 0.." + (numCodebooks - 1));
    }

    private void checkCount(int k) {
        if (k < 0 || k > numCodebooks) {
            throw new LcmException("--codebooks " + k + " is out of range: the quantizer has " + numCodebooks + " codebooks (use 1.." + numCodebooks + ")");
        }
    }

    /** The error with the first {@code k} codebooks: mean squared l2 per vector, and relative to the vectors' energy. */
    public record ReconstructionError(int codebooks, double meanSquaredL2, double relative) {
    }
}
