package dev.lcm4j.torch;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.LcmException;
import java.util.Arrays;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.global.torch;

/** Small conveniences over the C++-shaped bytedeco API: tensors from and to Java arrays, scalars, shapes. */
public final class Tensors {
    private Tensors() {}

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    public static TensorOptions opts(ScalarType dtype, Device device) {
        TensorOptions o = new TensorOptions(dtype);
        return device == null ? o : o.device(new DeviceOptional(device));
    }

    /** A float32 CPU tensor holding a copy of {@code data} with the given shape. */
    public static Tensor floats(float[] data, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException("shape does not match " + data.length + " values");
        Tensor t = empty(shape, opts(ScalarType.Float, null), null);
        if (n > 0) t.data_ptr_float().put(data, 0, data.length);
        return t;
    }

    public static Tensor longs(long[] data, long... shape) {
        Tensor t = empty(shape, opts(ScalarType.Long, null), null);
        if (data.length > 0) t.data_ptr_long().put(data, 0, data.length);
        return t;
    }

    /** Copies any float tensor (any dtype, device, layout) into a fresh Java array in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(new Device("cpu"), ScalarType.Float).contiguous();
        float[] out = new float[(int) c.numel()];
        if (out.length > 0) {
            FloatPointer p = c.data_ptr_float();
            p.get(out, 0, out.length);
        }
        return out;
    }

    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(new Device("cpu"), ScalarType.Long).contiguous();
        long[] out = new long[(int) c.numel()];
        if (out.length > 0) {
            LongPointer p = c.data_ptr_long();
            p.get(out, 0, out.length);
        }
        return out;
    }

    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    public static String shapeString(Tensor t) {
        return Arrays.toString(shape(t));
    }

    /** Parses the dtype strings used by the reference recipes ("torch.float32", "bfloat16", ...). */
    public static ScalarType dtype(String name) {
        String n = name.startsWith("torch.") ? name.substring(6) : name;
        switch (n) {
            case "float32": case "float": case "fp32": return ScalarType.Float;
            case "bfloat16": case "bf16": return ScalarType.BFloat16;
            case "float16": case "half": case "fp16": return ScalarType.Half;
            case "float64": case "double": return ScalarType.Double;
            default: throw new LcmException("unknown dtype '" + name + "'; use torch.float32, torch.bfloat16 or torch.float16");
        }
    }
}
