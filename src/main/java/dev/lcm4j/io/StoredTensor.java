package dev.lcm4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor as a PyTorch checkpoint stores it: a view (shape, strides, offset, all in elements) onto a whole storage.
 * Keeping the storage and the view apart, instead of copying into a dense array on read, is what lets tensors that
 * share a storage keep sharing it, and keeps a memory-mapped checkpoint from being copied until a value is needed.
 *
 * <p>{@code storage} holds the storage's bytes, little-endian, at absolute indices {@code 0 .. limit()}; its
 * position and byte-order flag are ignored (every accessor reads through its own little-endian duplicate), so
 * callers may share one buffer between tensors. Buffers from {@link TorchFile#read} are read-only.
 *
 * @param dtype         element type of the storage
 * @param shape         sizes per dimension ({@code []} for a scalar)
 * @param stride        elements to step in the storage per dimension
 * @param storageOffset index of the first element in the storage
 * @param storage       the whole storage
 */
public record StoredTensor(DType dtype, long[] shape, long[] stride, long storageOffset, ByteBuffer storage) {

    public StoredTensor {
        if (dtype == null || shape == null || stride == null || storage == null)
            throw new IllegalArgumentException("tensor dtype, shape, stride and storage must not be null");
        if (shape.length != stride.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and stride "
                    + Arrays.toString(stride) + " differ in rank");
        long last = storageOffset;
        boolean empty = false;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0 || stride[d] < 0)
                throw new IllegalArgumentException("negative size or stride: shape " + Arrays.toString(shape)
                        + ", stride " + Arrays.toString(stride));
            if (shape[d] == 0) empty = true;
            else last += (shape[d] - 1) * stride[d];
        }
        long elements = storage.limit() / dtype.byteSize();
        if (storageOffset < 0 || (!empty && last >= elements))
            throw new IllegalArgumentException("view (offset " + storageOffset + ", shape " + Arrays.toString(shape)
                    + ", stride " + Arrays.toString(stride) + ") reaches past its storage of " + elements
                    + " " + dtype.torchName() + " elements");
        shape = shape.clone();
        stride = stride.clone();
    }

    /** A dense float32 tensor over a copy of {@code data}. */
    public static StoredTensor ofFloats(float[] data, long... shape) {
        ByteBuffer buf = allocate(data.length, 4, shape);
        buf.asFloatBuffer().put(data);
        return dense(DType.FLOAT32, buf, shape);
    }

    /** A dense bfloat16 tensor over a copy of raw bfloat16 bit patterns (the upper 16 bits of a float32). */
    public static StoredTensor ofBFloat16(short[] bits, long... shape) {
        ByteBuffer buf = allocate(bits.length, 2, shape);
        buf.asShortBuffer().put(bits);
        return dense(DType.BFLOAT16, buf, shape);
    }

    /** A dense int64 tensor over a copy of {@code data}. */
    public static StoredTensor ofLongs(long[] data, long... shape) {
        ByteBuffer buf = allocate(data.length, 8, shape);
        buf.asLongBuffer().put(data);
        return dense(DType.INT64, buf, shape);
    }

    /** C-order (row-major) strides for {@code shape}. */
    public static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = s;
            s *= Math.max(shape[d], 1);
        }
        return stride;
    }

    private static ByteBuffer allocate(int length, int byteSize, long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (n != length)
            throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape));
        return ByteBuffer.allocate(length * byteSize).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static StoredTensor dense(DType dtype, ByteBuffer storage, long[] shape) {
        return new StoredTensor(dtype, shape, contiguousStrides(shape), 0, storage);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] stride() {
        return stride.clone();
    }

    /** Number of elements in the view. */
    public long numel() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    /** Whether the view is dense in C order, so its elements are one run of the storage. */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) continue;
            if (shape[d] == 0) return true;
            if (stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** The view's elements in C order as floats (bf16, f16 widen exactly; f64 and integers round). */
    public float[] toFloatArray() {
        int n = arrayLength();
        float[] out = new float[n];
        ByteBuffer run = contiguousRun(n);
        if (run != null) {
            switch (dtype) {
                case FLOAT32 -> run.asFloatBuffer().get(out);
                case FLOAT64 -> {
                    double[] d = new double[n];
                    run.asDoubleBuffer().get(d);
                    for (int i = 0; i < n; i++) out[i] = (float) d[i];
                }
                case BFLOAT16, FLOAT16, INT16 -> {
                    short[] s = new short[n];
                    run.asShortBuffer().get(s);
                    for (int i = 0; i < n; i++) out[i] = shortToFloat(s[i]);
                }
                case INT64 -> {
                    long[] l = new long[n];
                    run.asLongBuffer().get(l);
                    for (int i = 0; i < n; i++) out[i] = l[i];
                }
                case INT32 -> {
                    int[] v = new int[n];
                    run.asIntBuffer().get(v);
                    for (int i = 0; i < n; i++) out[i] = v[i];
                }
                case INT8, UINT8, BOOL -> {
                    byte[] b = new byte[n];
                    run.get(b);
                    for (int i = 0; i < n; i++) out[i] = byteToLong(b[i]);
                }
            }
            return out;
        }
        ByteBuffer buf = littleEndian();
        StridedWalk walk = new StridedWalk();
        for (int i = 0; i < n; i++) out[i] = (float) readDouble(buf, walk.next());
        return out;
    }

    /** The view's elements in C order as longs; for integer and bool tensors (bool gives 0/1). */
    public long[] toLongArray() {
        if (dtype.isFloatingPoint())
            throw new IllegalStateException("toLongArray() on a " + dtype.torchName() + " tensor; use toFloatArray()");
        int n = arrayLength();
        long[] out = new long[n];
        ByteBuffer run = contiguousRun(n);
        if (run != null && dtype == DType.INT64) {
            run.asLongBuffer().get(out);
            return out;
        }
        ByteBuffer buf = littleEndian();
        StridedWalk walk = run != null ? null : new StridedWalk();
        for (int i = 0; i < n; i++) out[i] = readLong(buf, walk == null ? storageOffset + i : walk.next());
        return out;
    }

    /** The view's elements in C order as booleans (non-zero is true). */
    public boolean[] toBooleanArray() {
        if (dtype.isFloatingPoint())
            throw new IllegalStateException("toBooleanArray() on a " + dtype.torchName() + " tensor");
        long[] v = toLongArray();
        boolean[] out = new boolean[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] != 0;
        return out;
    }

    @Override
    public String toString() {
        return "StoredTensor[" + dtype.torchName() + " " + Arrays.toString(shape) + ", stride "
                + Arrays.toString(stride) + ", offset " + storageOffset + "]";
    }

    private int arrayLength() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8)
            throw new IllegalStateException("tensor of " + n + " elements does not fit a Java array");
        return (int) n;
    }

    /** A little-endian slice holding the view's elements when they are one run of the storage, else null. */
    private ByteBuffer contiguousRun(int n) {
        if (!isContiguous()) return null;
        int from = Math.toIntExact(storageOffset * dtype.byteSize());
        return littleEndian().position(from).limit(from + n * dtype.byteSize()).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer littleEndian() {
        return storage.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private float shortToFloat(short s) {
        return switch (dtype) {
            case BFLOAT16 -> Float.intBitsToFloat((s & 0xffff) << 16);
            case FLOAT16 -> halfToFloat(s);
            default -> s;
        };
    }

    private long byteToLong(byte b) {
        return dtype == DType.INT8 ? b : b & 0xff;
    }

    private double readDouble(ByteBuffer buf, long element) {
        int at = Math.toIntExact(element * dtype.byteSize());
        return switch (dtype) {
            case FLOAT32 -> buf.getFloat(at);
            case FLOAT64 -> buf.getDouble(at);
            case BFLOAT16, FLOAT16, INT16 -> shortToFloat(buf.getShort(at));
            default -> readLong(buf, element);
        };
    }

    private long readLong(ByteBuffer buf, long element) {
        int at = Math.toIntExact(element * dtype.byteSize());
        return switch (dtype) {
            case INT64 -> buf.getLong(at);
            case INT32 -> buf.getInt(at);
            case INT16 -> buf.getShort(at);
            case INT8, UINT8, BOOL -> byteToLong(buf.get(at));
            default -> throw new IllegalStateException(dtype.torchName());
        };
    }

    /** IEEE 754 binary16 to binary32 (exact; Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero)
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Storage element indices of the view in C order, an odometer over the dimensions. */
    private final class StridedWalk {
        private final long[] index = new long[shape.length];
        private long position = storageOffset;
        private boolean started;

        long next() {
            if (!started) {
                started = true;
                return position;
            }
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    position += stride[d];
                    return position;
                }
                position -= (shape[d] - 1) * stride[d];
                index[d] = 0;
            }
            return position;
        }
    }
}
