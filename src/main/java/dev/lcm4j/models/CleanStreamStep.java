package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The generation step of the interleaved one-tower layouts (One-Tower diffusion, Quant-LCM): the clean concepts run
 * through the causal stack as a stream with a KV cache, and the next concept is computed at the following position
 * against that cache. The family supplies only how the concept is computed ({@link #nextConcept}).
 */
public abstract class CleanStreamStep<M extends Lcm & CleanStreamStep.CleanStream> implements NextConceptStep {
    /** The model side: normalized clean concepts [B, S, C] join the stream after {@code state.step()} positions. */
    public interface CleanStream {
        void encodeClean(Tensor clean, IncrementalState state);
    }

    protected final M model;
    protected final Noise noise;
    private final IncrementalState state;  // null without the cache

    protected CleanStreamStep(M model, boolean cached, Noise noise) {
        if (model.normalizer() == null) throw new LcmException("a " + model.family() + " needs its normalizer to generate");
        this.model = model;
        this.noise = noise;
        this.state = cached ? new IncrementalState() : null;
    }

    /**
     * The next concept of each row, computed at position {@code context.step()} against the clean stream in
     * {@code context}: [rows, C], denormalized, in {@code input}'s dtype.
     */
    protected abstract Tensor nextConcept(IncrementalState context, Tensor input);

    @Override
    public void prefill(Tensor prefix) {
        model.encodeClean(model.normalizer().normalize(prefix), state);
    }

    @Override
    public Tensor next(Tensor input) {
        IncrementalState context = state != null ? state : new IncrementalState();
        try {
            model.encodeClean(model.normalizer().normalize(input), context);  // input: [rows, 1 | step, C]
            return nextConcept(context, input);
        } finally {
            if (state == null) context.close();
        }
    }

    @Override
    public void keepRows(Tensor rowIndex) {
        if (state != null) state.reorder(rowIndex);
        noise.keepRows(Tensors.toLongs(rowIndex));
    }

    @Override
    public void close() {
        if (state != null) state.close();
    }
}
