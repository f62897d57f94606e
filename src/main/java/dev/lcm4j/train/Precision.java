package dev.lcm4j.train;

import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Tensors;
import java.util.function.Supplier;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a training run computes, from {@code trainer.dtype} and the model's device. Parameters and the optimizer stay
 * float32 ({@code use_optimizer_in_fp32}); the forward pass runs under autocast to the low-precision dtype:
 *
 * <ul>
 *   <li>{@code torch.float32}: no autocast;
 *   <li>{@code torch.bfloat16}: bfloat16 autocast on the model's device;
 *   <li>{@code torch.float16} on CUDA: float16 autocast and the {@link DynamicLossScaler} (the reference's recipes);
 *   <li>{@code torch.float16} on the CPU: bfloat16 autocast with a warning (libtorch has no fast fp16 CPU kernels, and
 *       bfloat16's range needs no loss scaling).
 * </ul>
 *
 * @param autocast    the autocast dtype, or null for none
 * @param device      the device type autocast applies to
 * @param lossScaling whether the fp16 dynamic loss scaler runs
 */
record Precision(ScalarType autocast, DeviceType device, boolean lossScaling) {
    private static final Logger LOG = LoggerFactory.getLogger(Precision.class);

    static final Precision FLOAT32 = new Precision(null, DeviceType.CPU, false);

    static Precision forTraining(String dtype, boolean cuda) {
        DeviceType device = cuda ? DeviceType.CUDA : DeviceType.CPU;
        ScalarType compute = Tensors.dtype(dtype);
        if (compute == ScalarType.Half) {
            if (cuda) return new Precision(ScalarType.Half, device, true);
            LOG.warn("dtype torch.float16 (the reference's GPU recipes) has no fast CPU path; lcm4j computes in bfloat16 autocast instead."
                    + " Pass ++trainer.dtype=torch.float32 for full precision.");
            return new Precision(ScalarType.BFloat16, device, false);
        }
        if (compute == ScalarType.BFloat16) return new Precision(ScalarType.BFloat16, device, false);
        return new Precision(null, device, false);
    }

    /** Whether the forward pass runs in bfloat16 (what the sharded updater's bfloat16 gradient reduction follows). */
    boolean bf16() {
        return autocast == ScalarType.BFloat16;
    }

    /** Runs {@code forward} under this precision's autocast. */
    <T> T forward(Supplier<T> forward) {
        if (autocast == null) return forward.get();
        Autocast.enter(device, autocast);
        try {
            return forward.get();
        } finally {
            Autocast.exit(device);
        }
    }
}
