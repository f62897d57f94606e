package dev.lcm4j.models;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.LcmException;

/**
 * A right-padded batch of concept sequences, as the reference's {@code EmbeddingsBatch}: {@code seqs} [B, T, D]
 * (padding is 0), {@code lengths} per row and, for supervised (finetuning) data, {@code sourceLengths}: each row is
 * source sentences followed by target sentences.
 */
public record EmbeddingsBatch(Tensor seqs, long[] lengths, long[] sourceLengths) {

    /** Builds the batch from per-document source and optional target embeddings (concatenated per row). */
    public static EmbeddingsBatch of(List<float[][]> sources, List<float[][]> targets) {
        int b = sources.size();
        if (b == 0) throw new IllegalArgumentException("empty batch");
        int d = -1;
        long[] lengths = new long[b];
        long[] srcLengths = targets == null ? null : new long[b];
        int maxLen = 0;
        for (int i = 0; i < b; i++) {
            float[][] s = sources.get(i);
            float[][] t = targets == null ? null : targets.get(i);
            lengths[i] = s.length + (t == null ? 0 : t.length);
            if (srcLengths != null) srcLengths[i] = s.length;
            maxLen = Math.max(maxLen, (int) lengths[i]);
            if (d < 0 && s.length > 0) d = s[0].length;
            if (d < 0 && t != null && t.length > 0) d = t[0].length;
        }
        if (d < 0) throw new IllegalArgumentException("batch holds no sentences");
        float[] data = new float[b * maxLen * d];
        for (int i = 0; i < b; i++) {
            int row = i * maxLen * d, pos = 0;
            for (float[] v : sources.get(i)) { System.arraycopy(v, 0, data, row + pos * d, d); pos++; }
            if (targets != null) for (float[] v : targets.get(i)) { System.arraycopy(v, 0, data, row + pos * d, d); pos++; }
        }
        return new EmbeddingsBatch(Tensors.floats(data, b, maxLen, d), lengths, srcLengths);
    }

    /** This batch on {@code device} (itself when already there): see {@link Lcm#onDevice}. */
    public EmbeddingsBatch to(org.bytedeco.pytorch.Device device) {
        Tensor moved = dev.lcm4j.torch.Devices.to(seqs, device);
        return moved == seqs ? this : new EmbeddingsBatch(moved, lengths, sourceLengths);
    }

    public int batchSize() {
        return lengths.length;
    }

    /** [B, T] bool: true at real (non-padded) positions. */
    public Tensor paddingMask() {
        long t = seqs.size(1);
        Tensor pos = arange(Tensors.scalar(t), Tensors.opts(ScalarType.Long, seqs.device())).unsqueeze(0);
        Tensor len = Tensors.longs(lengths, lengths.length).to(seqs.device(), ScalarType.Long).unsqueeze(1);
        return pos.lt(len);
    }

    /**
     * Positions that are loss targets: unsupervised, every real position >= minContextSize; supervised, every real
     * position at or after the row's source length (the reference's {@code prepare_target_mask}).
     */
    public Tensor targetMask(boolean supervised, int minContextSize) {
        long t = seqs.size(1);
        Tensor pos = arange(Tensors.scalar(t), Tensors.opts(ScalarType.Long, seqs.device())).unsqueeze(0);
        Tensor mask;
        if (supervised) {
            if (sourceLengths == null) throw new LcmException("a supervised (finetuning) criterion needs data with a target_column");
            Tensor src = Tensors.longs(sourceLengths, sourceLengths.length).to(seqs.device(), ScalarType.Long).unsqueeze(1);
            mask = pos.ge(src);
        } else {
            mask = pos.ge(Tensors.scalar(minContextSize));
        }
        return mask.logical_and(paddingMask());
    }
}
