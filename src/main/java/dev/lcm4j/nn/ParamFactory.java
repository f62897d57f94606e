package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * Where and how parameters are created: dtype and device. On the {@code meta} device tensors have shapes but no
 * storage, which is how {@code ./lcm arch list} counts 7B parameters without allocating them.
 */
public record ParamFactory(ScalarType dtype, Device device) {
    public static ParamFactory cpu() {
        return new ParamFactory(ScalarType.Float, new Device("cpu"));
    }

    /** float32 parameters on {@code device} (what {@code trainer.device} / {@code --device} resolve to). */
    public static ParamFactory on(Device device) {
        return new ParamFactory(ScalarType.Float, device);
    }

    public static ParamFactory meta() {
        return new ParamFactory(ScalarType.Float, new Device("meta"));
    }

    public boolean isMeta() {
        return device.is_meta();
    }

    public Tensor empty(long... shape) {
        return torch.empty(shape, Tensors.opts(dtype, device), null);
    }

    public Tensor zeros(long... shape) {
        return torch.zeros(shape, Tensors.opts(dtype, device));
    }

    public Tensor ones(long... shape) {
        return torch.ones(shape, Tensors.opts(dtype, device));
    }
}
