package dev.lcm4j.torch;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * bfloat16 autocast on CPU, as {@code torch.autocast("cpu", torch.bfloat16)}: matmuls and linears run in bf16,
 * norms and losses stay in float32. The bindings expose no {@code clear_cache}, so the cast-weight cache is turned
 * off: a cached bf16 copy of a weight would otherwise outlive the optimizer step that changed the weight.
 */
public final class Autocast {
    private Autocast() {}

    public static void enter() {
        set_autocast_cache_enabled(false);
        set_autocast_dtype(DeviceType.CPU, ScalarType.BFloat16);
        set_autocast_enabled(DeviceType.CPU, true);
    }

    public static void exit() {
        set_autocast_enabled(DeviceType.CPU, false);
    }

    /** bf16 autocast for ops on {@code device}: CPU as {@link #enter()}, CUDA as {@code torch.autocast("cuda", bf16)}. */
    public static void enter(org.bytedeco.pytorch.Device device) {
        if (!device.is_cuda()) {
            enter();
            return;
        }
        set_autocast_cache_enabled(false);
        set_autocast_dtype(DeviceType.CUDA, ScalarType.BFloat16);
        set_autocast_enabled(DeviceType.CUDA, true);
    }

    public static void exit(org.bytedeco.pytorch.Device device) {
        if (device.is_cuda()) set_autocast_enabled(DeviceType.CUDA, false);
        else exit();
    }
}
