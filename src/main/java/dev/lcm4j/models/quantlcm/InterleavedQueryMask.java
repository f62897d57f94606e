package dev.lcm4j.models.quantlcm;

import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * The attention masks of Quant-LCM's interleaved sequence (the One-Tower rule, bool, true = attend): slot 2n holds the
 * query of sentence n (its partial sum), slot 2n+1 its clean copy; query q may attend to key k when
 * {@code k <= q and (k is clean or k == q)}. Guidance training drops the context of floor((N - 1) p) whole query
 * slots, never the first, chosen by {@code 1 + randperm(N - 1)} (as One-Tower and the reference two-tower choose).
 */
public final class InterleavedQueryMask {
    private InterleavedQueryMask() {}

    /** The training mask [1, 1, 2N, 2N], with a fresh draw of the guidance-dropped slots. */
    public static Tensor training(long n, double p, Device device) {
        return toBool(mask(n, CrossAttentionMask.droppedRows(n, p)), device, 1, 1, 2 * n, 2 * n);
    }

    /** The mask of 2n slots as floats (1 = attend), row-major [2n, 2n]; {@code dropped} null = none dropped. */
    static float[] mask(long n, boolean[] dropped) {
        int len = (int) (2 * n);
        float[] m = new float[len * len];
        for (int q = 0; q < len; q++) {
            boolean drop = q % 2 == 0 && dropped != null && dropped[q / 2];
            for (int k = 0; k <= q; k++) {
                if (k == q || (k % 2 == 1 && !drop)) m[q * len + k] = 1f;
            }
        }
        return m;
    }

    /** Teacher forcing against T cached clean slots: query i (predicting sentence i + 1) sees clean 0..i, [1, 1, T, T]. */
    public static Tensor nextPositions(long t, Device device) {
        float[] m = new float[(int) (t * t)];
        for (int i = 0; i < t; i++) for (int j = 0; j <= i; j++) m[(int) (i * t + j)] = 1f;
        return toBool(m, device, 1, 1, t, t);
    }

    static Tensor toBool(float[] m, Device device, long... shape) {
        Tensor t = Tensors.floats(m, shape).gt(Tensors.scalar(0.5));
        return device == null ? t : t.to(device, t.scalar_type());
    }
}
