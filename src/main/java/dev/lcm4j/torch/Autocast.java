package dev.lcm4j.torch;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Autocast, as {@code torch.autocast(device_type, dtype)}: matmuls and linears run in the low-precision dtype, norms
 * and losses stay in float32. {@link #enter()} is bfloat16 on CPU; the trainer's fp16 path on CUDA enters
 * {@code (CUDA, Half)}. The bindings expose no {@code clear_cache}, so the cast-weight cache is turned off: a cached
 * low-precision copy of a weight would otherwise outlive the optimizer step that changed the weight.
 */
public final class Autocast {
    private Autocast() {}

    /** bfloat16 autocast on CPU. */
    public static void enter() {
        enter(DeviceType.CPU, ScalarType.BFloat16);
    }

    public static void exit() {
        exit(DeviceType.CPU);
    }

    /** Autocast to {@code dtype} for the kernels of {@code device} (CPU: bfloat16; CUDA: bfloat16 or Half). */
    public static void enter(DeviceType device, ScalarType dtype) {
        set_autocast_cache_enabled(false);
        set_autocast_dtype(device, dtype);
        set_autocast_enabled(device, true);
    }

    public static void exit(DeviceType device) {
        set_autocast_enabled(device, false);
    }
}
