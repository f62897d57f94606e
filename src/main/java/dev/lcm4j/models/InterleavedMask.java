package dev.lcm4j.models;

import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * Attention masks of the interleaved one-tower layouts (One-Tower diffusion, Quant-LCM), as bool tensors (true =
 * attend). Slot 2n is the prediction slot of sentence n (One-Tower: its noisy copy; Quant-LCM: its query, the partial
 * centroid sum), slot 2n+1 its clean copy. Query q may attend to key k when {@code k <= q and (k is clean or k == q)}:
 * <ul>
 *   <li>prediction slot 2n sees the clean slots of sentences 0..n-1 and itself; never its own clean copy (the target),
 *       never another prediction slot;</li>
 *   <li>clean slot 2n+1 sees the clean slots 0..n: causal attention over the clean stream, independent of the
 *       prediction slots (what makes the generation KV cache valid).</li>
 * </ul>
 * Classifier-free guidance drops the context of whole prediction slots: a dropped slot sees itself only. The slots are
 * chosen as the reference two-tower chooses its dropped rows ({@link CrossAttentionMask#droppedRows}): exactly
 * floor((S - 1) p) of the S target sentences, never the first, by {@code 1 + randperm(S - 1)}; one draw for the whole
 * batch when unsupervised, one per row when supervised (S = the batch's most targets; the first answer sentence of a
 * row is never dropped). Clean slots are never dropped: they feed no loss.
 */
public final class InterleavedMask {
    private InterleavedMask() {}

    /**
     * The training mask [1, 1, 2N, 2N] (unsupervised) or [B, 1, 2N, 2N] (supervised).
     *
     * @param n             sentences per row (padded)
     * @param sourceLengths supervised: prompt sentences per row (the targets follow them); null when unsupervised
     * @param lengths       sentences per row (used when supervised, to size the draw over targets; may be null when
     *                      unsupervised)
     * @param p             cf_guidance_probability
     */
    public static Tensor training(long n, long[] sourceLengths, long[] lengths, double p, Device device) {
        if (sourceLengths == null) return toBool(mask(n, droppedSlots(n, p)), device, 1, 1, 2 * n, 2 * n);
        int b = sourceLengths.length;
        long s = 0;
        for (int r = 0; r < b; r++) s = Math.max(s, lengths[r] - sourceLengths[r]);
        float[] all = new float[(int) (b * 4 * n * n)];
        for (int r = 0; r < b; r++) {
            boolean[] targets = CrossAttentionMask.droppedRows(s, p);
            boolean[] dropped = null;
            if (targets != null) {
                dropped = new boolean[(int) n];
                for (int i = 0; i < s; i++) if (targets[i] && sourceLengths[r] + i < n) dropped[(int) (sourceLengths[r] + i)] = true;
            }
            System.arraycopy(mask(n, dropped), 0, all, (int) (r * 4 * n * n), (int) (4 * n * n));
        }
        return toBool(all, device, b, 1, 2 * n, 2 * n);
    }

    /** Which of n prediction slots guidance training drops (unsupervised): floor((n - 1) p) of slots 1..n-1, or null. */
    public static boolean[] droppedSlots(long n, double p) {
        return CrossAttentionMask.droppedRows(n, p);
    }

    /** The mask of 2n slots as floats (1 = attend), row-major [2n, 2n]; {@code dropped} null = none dropped. */
    public static float[] mask(long n, boolean[] dropped) {
        int len = (int) (2 * n);
        float[] m = new float[len * len];
        for (int q = 0; q < len; q++) {
            boolean prediction = q % 2 == 0;
            boolean drop = prediction && dropped != null && dropped[q / 2];
            for (int k = 0; k <= q; k++) {
                boolean clean = k % 2 == 1;
                if (k == q || (clean && !drop)) m[q * len + k] = 1f;
            }
        }
        return m;
    }

    /**
     * Teacher forcing against the cached clean stream: latent i (predicting sentence i + 1) sees the clean slots of
     * sentences 0..i, [1, 1, T, T] over T cached positions.
     */
    public static Tensor nextPositions(long t, Device device) {
        float[] m = new float[(int) (t * t)];
        for (int i = 0; i < t; i++) for (int j = 0; j <= i; j++) m[(int) (i * t + j)] = 1f;
        return toBool(m, device, 1, 1, t, t);
    }

    private static Tensor toBool(float[] m, Device device, long... shape) {
        Tensor t = Tensors.floats(m, shape).gt(Tensors.scalar(0.5));
        return device == null ? t : t.to(device, t.scalar_type());
    }
}
