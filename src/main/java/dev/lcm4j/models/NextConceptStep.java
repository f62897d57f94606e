package dev.lcm4j.models;

import dev.lcm4j.torch.Noise;
import org.bytedeco.pytorch.Tensor;

/**
 * One family's way of producing the next concept of every active row during autoregressive generation: what a "next
 * concept" is for that family (a regression output, a denoised latent, ...). The generic generator owns prompts,
 * stopping rules and bookkeeping; a step owns the model state (KV cache, encoded context).
 *
 * <p>With a cache, {@link #prefill} sees the common prompt prefix once and {@link #next} the last concept only;
 * without, {@link #next} sees the whole prefix every time.
 */
public interface NextConceptStep extends AutoCloseable {
    /**
     * What the generic generator decides for every family.
     *
     * @param cached               keep a KV cache (the reference's default; {@code --disable_cache} turns it off)
     * @param sampleLatentVariable the reference's {@code sample_latent_variable}: families with a deterministic
     *                             output may add noise of scale {@code temperature}
     * @param temperature          sampling temperature (the call's, else {@code lcm_temperature})
     * @param noise                where the step draws its noise: torch's global generator, or one generator per row
     *                             (then a row draws only for the concepts it keeps, so its draws do not depend on the
     *                             other rows of its batch); a step calls {@link Noise#keepRows} when rows leave
     */
    record Settings(boolean cached, boolean sampleLatentVariable, double temperature, Noise noise) {
        /** Settings drawing from torch's global generator. */
        public Settings(boolean cached, boolean sampleLatentVariable, double temperature) {
            this(cached, sampleLatentVariable, temperature, Noise.global());
        }
    }

    /** Runs the model over the common prompt prefix [rows, P, C] (cached steps only). */
    void prefill(Tensor prefix);

    /** [rows, 1 | step, C] -> [rows, C], the next concept of each row (denormalized). */
    Tensor next(Tensor input);

    /** Keeps only the rows at {@code rowIndex} (long [rows']) in the step's state: finished rows leave the batch. */
    void keepRows(Tensor rowIndex);

    @Override
    void close();
}
