package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;

/**
 * Absolute positions added to the frontend output: learned (parameter {@code weight} [max_seq_len, d], init
 * N(0, 0.006)) or sinusoidal (fixed table, no parameters). {@code offset} is the number of positions already
 * processed (KV-cache decoding), so step n gets position n.
 */
public final class PositionEncoder extends Module {
    public enum Style { LEARNED, SINE }

    private final Style style;
    private final long maxSeqLen, dim;
    private final Tensor table;

    /**
     * The frontend's positions for a stack's {@code pos_embedding_style}: learned (init N(0, learnedInitStd)) or
     * sine; null for rope (the attention rotates instead) and none. Registered as {@code pos_encoder} by every family.
     */
    public static PositionEncoder forStyle(ParamFactory f, String style, long dim, long maxSeqLen, double learnedInitStd) {
        if ("learned".equals(style)) return new PositionEncoder(f, Style.LEARNED, dim, maxSeqLen, learnedInitStd);
        if ("sine".equals(style)) return new PositionEncoder(f, Style.SINE, dim, maxSeqLen, 0);
        return null;
    }

    public PositionEncoder(ParamFactory f, Style style, long dim, long maxSeqLen, double initStd) {
        this.style = style;
        this.dim = dim;
        this.maxSeqLen = maxSeqLen;
        if (style == Style.LEARNED) {
            table = registerParameter("weight", f.zeros(maxSeqLen, dim));
            if (!f.isMeta()) try (NoGradGuard g = new NoGradGuard()) { table.normal_(0.0, initStd, null); }
        } else {
            table = f.isMeta() ? f.zeros(maxSeqLen, dim) : sinusoidTable(maxSeqLen, dim).to(f.device(), f.dtype());
            table.retainReference(); // non-persistent: not in the state dict
        }
    }

    /**
     * fairseq2 SinusoidalPositionEncoder layout: first half sin, second half cos, frequencies
     * exp(-ln(10000) * i / (d/2 - 1)) for i in [0, d/2).
     */
    static Tensor sinusoidTable(long maxSeqLen, long dim) {
        int half = (int) (dim / 2);
        float[] data = new float[(int) (maxSeqLen * dim)];
        double scale = half > 1 ? Math.log(10000.0) / (half - 1) : 0.0;
        for (int pos = 0; pos < maxSeqLen; pos++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.exp(-scale * i);
                data[(int) (pos * dim) + i] = (float) Math.sin(angle);
                data[(int) (pos * dim) + half + i] = (float) Math.cos(angle);
            }
        }
        return Tensors.floats(data, maxSeqLen, dim);
    }

    /** x: [B, S, d]; returns x + table[offset : offset + S]. */
    public Tensor forward(Tensor x, long offset) {
        long s = x.size(1);
        if (offset + s > maxSeqLen) {
            throw new LcmException("sequence of " + (offset + s) + " sentences exceeds the model's max_seq_len "
                    + maxSeqLen + "; shorten the input or wrap documents (len_to_wrap_long_seq)");
        }
        Tensor pos = table.narrow(0, offset, s);
        return x.add(pos.to(x.scalar_type()));
    }
}
