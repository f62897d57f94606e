package dev.lcm4j.nn.denoisers;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * Masks of the denoiser's cross-attention (the reference's {@code ShiftedCausalAttentionMask}), as bool tensors
 * [B, 1, S, K] with true = attend, over K = 1 + L keys: key 0 is the prepended zero vector, key 1 + j is context
 * position j (kept from the reference, docs/quirks.md #4).
 *
 * <p>Training: target i of an unsupervised row sees the zero vector and context 0..i-1 ({@code tril(ones(S, K))});
 * a supervised row with source length s sees 0..i+s-1 ({@code tril(diagonal=s)}): all its source and the targets
 * before i. Classifier-free guidance drops exactly {@code floor((S - 1) p)} rows chosen by {@code 1 + randperm(S - 1)},
 * never row 0 - one draw shared by the whole batch when unsupervised, one per row when supervised, as the reference
 * does; a dropped row sees only the zero vector. Keys past a row's context length are masked too (the reference's key
 * padding mask), so no query row is ever fully masked.
 */
public final class CrossAttentionMask {
    private CrossAttentionMask() {}

    /**
     * @param s             number of denoised positions (padded)
     * @param ctxLen        padded context length L
     * @param lengths       real context length per row
     * @param sourceLengths supervised: source length per row; null for unsupervised
     * @param p             cf_guidance_probability
     */
    public static Tensor training(long s, long ctxLen, long[] lengths, long[] sourceLengths, double p, Device device) {
        int b = lengths.length;
        int k = (int) ctxLen + 1;
        boolean[] shared = sourceLengths == null ? droppedRows(s, p) : null;
        float[] m = new float[(int) (b * s * k)];
        for (int r = 0; r < b; r++) {
            long shift = sourceLengths == null ? 0 : sourceLengths[r];
            boolean[] dropped = sourceLengths == null ? shared : droppedRows(s, p);
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < k; j++) {
                    boolean causal = j <= i + shift;
                    boolean real = j <= lengths[r];                  // key padding: lengths + 1 keys are real
                    boolean keep = j == 0 || dropped == null || !dropped[i];
                    m[(int) ((r * s + i) * k + j)] = causal && real && keep ? 1f : 0f;
                }
            }
        }
        return toBool(m, device, b, 1, s, k);
    }

    /**
     * Prediction of every position from its true prefix (teacher forcing): denoised position i predicts concept
     * i + 1, so it sees the zero vector and context 0..i ({@code tril(diagonal=1)}), within the row's length.
     */
    public static Tensor nextPositions(long s, long ctxLen, long[] lengths, Device device) {
        int b = lengths.length;
        int k = (int) ctxLen + 1;
        float[] m = new float[(int) (b * s * k)];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < k; j++) m[(int) ((r * s + i) * k + j)] = j <= i + 1 && j <= lengths[r] ? 1f : 0f;
            }
        }
        return toBool(m, device, b, 1, s, k);
    }

    /** The unconditional rows of classifier-free guidance: only the zero vector, [B, 1, S, 1 + L]. */
    public static Tensor unconditional(long b, long s, long ctxLen, Device device) {
        float[] m = new float[(int) (b * s * (ctxLen + 1))];
        for (int i = 0; i < b * s; i++) m[(int) (i * (ctxLen + 1))] = 1f;
        return toBool(m, device, b, 1, s, ctxLen + 1);
    }

    /** Which of S rows classifier-free guidance drops: floor((S - 1) p) of rows 1..S-1, drawn with randperm. */
    public static boolean[] droppedRows(long s, double p) {
        if (p <= 0) return null;
        long n = (long) Math.floor((s - 1) * p);
        if (n <= 0) return null;
        long[] perm = Tensors.toLongs(randperm(s - 1));
        boolean[] out = new boolean[(int) s];
        for (int i = 0; i < n; i++) out[(int) (1 + perm[i])] = true;
        return out;
    }

    private static Tensor toBool(float[] m, Device device, long... shape) {
        Tensor t = Tensors.floats(m, shape).gt(Tensors.scalar(0.5));
        return device == null ? t : t.to(device, t.scalar_type());
    }
}
