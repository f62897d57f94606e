package dev.lcm4j.train;

import java.util.Map;

/**
 * The end of a training step: the ranks' gradients are summed, normalized, clipped to the global norm and AdamW updates
 * the parameters. {@link ReplicatedUpdater} keeps the whole optimizer state on every rank (and is all there is on
 * one process); {@link ShardedUpdater} ({@code use_fsdp: true}) gives each rank a slice of it (ZeRO).
 */
interface ParameterUpdater {
    void zeroGrad();

    /**
     * Called before each micro-batch's backward. An updater that reduces gradients while backward runs (PyTorch's
     * DDP {@code Reducer}) arms itself for the last micro-batch here; the built-in updaters reduce after backward.
     */
    default void beforeBackward(boolean lastMicroBatch) { }

    /** Sums the gradients of all ranks (the backward of every micro-batch is done) and returns their global L2 norm. */
    double reduceGradients();

    /**
     * Multiplies the summed gradients by {@code normFactor} (1 / #targets for reduction "sum", times 1 / the fp16 loss
     * scale when the {@link DynamicLossScaler} runs, so the scale is undone before clipping), clips them to
     * {@code maxGradNorm} given their norm {@code rawNorm * normFactor}, and takes an AdamW step at {@code lr}.
     *
     * @return the norm after normalization, before clipping (what the reference logs as grad_norm)
     */
    double update(double lr, double normFactor, double maxGradNorm, double rawNorm);

    /** The optimizer state in PyTorch's layout with parameter names as keys; every rank calls it (rank 0 writes it). */
    Map<String, Object> stateDict();

    /** Restores a {@link #stateDict()} read back from a checkpoint, whichever updater wrote it. */
    void loadStateDict(Map<String, Object> dict, String source);

    /** Bytes of optimizer state (AdamW moments) this rank holds. */
    long optimizerStateBytes();

    /** Seconds the last step spent in collectives (0 on one process): the communication share of a step. */
    double lastCommunicationSeconds();
}
