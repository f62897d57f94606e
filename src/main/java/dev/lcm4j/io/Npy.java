package dev.lcm4j.io;

import dev.lcm4j.LcmException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0; C order) of the element types
 * embeddings and ids use: {@code f4}, {@code f8}, {@code i8}, {@code i4} and {@code b1}. Data is moved with bulk
 * buffer copies so large arrays read at memory speed.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /**
     * An n-dimensional array in C order. {@code data} is {@code float[]} for FLOAT32, {@code double[]} for
     * FLOAT64, {@code long[]} for INT64, {@code int[]} for INT32 and {@code boolean[]} for BOOL.
     */
    public record Array(DType dtype, long[] shape, Object data) {
        public Array {
            shape = shape.clone();
            Class<?> expected = arrayClass(dtype);
            if (data == null || data.getClass() != expected)
                throw new IllegalArgumentException(dtype + " array needs " + expected.getSimpleName() + " data");
            long n = 1;
            for (long s : shape) n *= s;
            if (n != java.lang.reflect.Array.getLength(data))
                throw new IllegalArgumentException(java.lang.reflect.Array.getLength(data)
                        + " values do not fill shape " + Arrays.toString(shape));
        }

        public static Array ofFloats(float[] data, long... shape) {
            return new Array(DType.FLOAT32, shape, data);
        }

        public static Array ofDoubles(double[] data, long... shape) {
            return new Array(DType.FLOAT64, shape, data);
        }

        public static Array ofLongs(long[] data, long... shape) {
            return new Array(DType.INT64, shape, data);
        }

        public static Array ofInts(int[] data, long... shape) {
            return new Array(DType.INT32, shape, data);
        }

        public static Array ofBooleans(boolean[] data, long... shape) {
            return new Array(DType.BOOL, shape, data);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public int size() {
            return java.lang.reflect.Array.getLength(data);
        }

        /** The values as floats (f8 and integers are rounded to the nearest float). */
        public float[] toFloatArray() {
            if (data instanceof float[] f) return f.clone();
            float[] out = new float[size()];
            for (int i = 0; i < out.length; i++) out[i] = (float) valueAt(i);
            return out;
        }

        /** The values as longs; for integer and bool arrays. */
        public long[] toLongArray() {
            if (dtype.isFloatingPoint())
                throw new IllegalStateException("toLongArray() on a " + dtype.torchName() + " array");
            if (data instanceof long[] l) return l.clone();
            long[] out = new long[size()];
            for (int i = 0; i < out.length; i++) out[i] = (long) valueAt(i);
            return out;
        }

        private double valueAt(int i) {
            Object v = java.lang.reflect.Array.get(data, i);
            return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
        }

        @Override
        public String toString() {
            return "Npy.Array[" + dtype.torchName() + " " + Arrays.toString(shape) + "]";
        }
    }

    /** @throws LcmException if the file is missing, not an .npy file, Fortran-ordered or of another dtype */
    public static Array read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(ch.size(), 12)).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(head, 0);
            if (head.limit() < 10 || !Arrays.equals(Arrays.copyOf(head.array(), 6), MAGIC))
                throw bad(file, "it does not start with the \\x93NUMPY magic");
            int major = head.get(6);
            long headerLen;
            int headerStart;
            if (major == 1) {
                headerLen = head.getShort(8) & 0xffff;
                headerStart = 10;
            } else if ((major == 2 || major == 3) && head.limit() >= 12) {
                headerLen = head.getInt(8) & 0xffffffffL;
                headerStart = 12;
            } else {
                throw bad(file, "unsupported format version " + major + "." + head.get(7));
            }
            if (headerStart + headerLen > ch.size()) throw bad(file, "the header is truncated");
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, headerStart);
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Matcher descr = DESCR.matcher(header), fortran = FORTRAN.matcher(header), shapeM = SHAPE.matcher(header);
            if (!descr.find() || !fortran.find() || !shapeM.find()) throw bad(file, "malformed header " + header.trim());
            if (fortran.group(1).equals("True"))
                throw bad(file, "the array is in Fortran order; save it in C order (np.ascontiguousarray)");
            String d = descr.group(1);
            ByteOrder order = d.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            DType dtype = switch (d.length() == 3 ? d.substring(1) : d) {
                case "f4" -> DType.FLOAT32;
                case "f8" -> DType.FLOAT64;
                case "i8" -> DType.INT64;
                case "i4" -> DType.INT32;
                case "b1" -> DType.BOOL;
                default -> throw bad(file, "unsupported dtype '" + d + "' (supported: <f4, <f8, <i8, <i4, |b1)");
            };
            long[] shape = parseShape(shapeM.group(1), file);
            long n = 1;
            for (long s : shape) n *= s;
            long dataStart = headerStart + headerLen;
            long bytes = n * dtype.byteSize();
            if (n > Integer.MAX_VALUE - 8) throw bad(file, "the array has " + n + " elements, too many for Java");
            if (dataStart + bytes > ch.size())
                throw bad(file, "the data is truncated (" + (ch.size() - dataStart) + " of " + bytes + " bytes)");
            return new Array(dtype, shape, decode(dtype, ch, dataStart, (int) n, order));
        } catch (NoSuchFileException e) {
            throw new LcmException(file + ": no such file");
        } catch (IOException e) {
            throw new LcmException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code array} as a little-endian, C-order .npy file, atomically. */
    public static void write(Path file, Array array) {
        StringBuilder shape = new StringBuilder("(");
        long[] s = array.shape();
        for (int i = 0; i < s.length; i++) shape.append(i > 0 ? ", " : "").append(s[i]);
        if (s.length == 1) shape.append(',');
        shape.append(')');
        String descr = array.dtype() == DType.BOOL ? "|b1" : "<" + code(array.dtype());
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        // Pad with spaces and a final newline so the data starts 64-byte aligned, as numpy does.
        boolean v2 = dict.length() + 1 + 10 > 65535;
        int prefix = v2 ? 12 : 10;
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        ByteBuffer head = ByteBuffer.allocate(prefix).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC);
        head.put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) head.putInt(header.length()); else head.putShort((short) header.length());
        AtomicFiles.write(file, out -> {
            out.write(head.array());
            out.write(header.getBytes(StandardCharsets.ISO_8859_1));
            // in windows: an array of more than 2 GiB does not fit one byte buffer
            int perWindow = (int) (windowBytes / array.dtype().byteSize());
            for (int at = 0; at < array.size(); at += perWindow) {
                int count = Math.min(perWindow, array.size() - at);
                out.write(encode(array, at, count).array());
            }
        });
    }

    private static String code(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "f4";
            case FLOAT64 -> "f8";
            case INT64 -> "i8";
            case INT32 -> "i4";
            default -> throw new IllegalArgumentException("no .npy support for " + dtype);
        };
    }

    private static Class<?> arrayClass(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case INT64 -> long[].class;
            case INT32 -> int[].class;
            case BOOL -> boolean[].class;
            default -> throw new IllegalArgumentException("no .npy support for " + dtype);
        };
    }

    /**
     * Bytes read (mapped) or written at a time: a file mapping and a byte buffer are limited to 2 GiB, so larger
     * arrays go in windows. Tests shrink it to cross window boundaries with small arrays.
     */
    static long windowBytes = 1L << 30;

    /** Decodes n elements starting at byte {@code start} of the file, window by window. */
    private static Object decode(DType dtype, FileChannel ch, long start, int n, ByteOrder order) throws IOException {
        Object out = switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case INT32 -> new int[n];
            default -> new boolean[n];
        };
        int size = dtype.byteSize();
        long perWindow = windowBytes / size;
        for (long at = 0; at < n; at += perWindow) {
            int count = (int) Math.min(perWindow, n - at);
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, start + at * size, (long) count * size).order(order);
            int off = (int) at;
            switch (dtype) {
                case FLOAT32 -> buf.asFloatBuffer().get((float[]) out, off, count);
                case FLOAT64 -> buf.asDoubleBuffer().get((double[]) out, off, count);
                case INT64 -> buf.asLongBuffer().get((long[]) out, off, count);
                case INT32 -> buf.asIntBuffer().get((int[]) out, off, count);
                default -> {
                    boolean[] a = (boolean[]) out;
                    for (int i = 0; i < count; i++) a[off + i] = buf.get(i) != 0;
                }
            }
        }
        return out;
    }

    /** Elements [from, from + count) of the array as little-endian bytes. */
    private static ByteBuffer encode(Array array, int from, int count) {
        ByteBuffer buf = ByteBuffer.allocate(count * array.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (array.dtype()) {
            case FLOAT32 -> buf.asFloatBuffer().put((float[]) array.data(), from, count);
            case FLOAT64 -> buf.asDoubleBuffer().put((double[]) array.data(), from, count);
            case INT64 -> buf.asLongBuffer().put((long[]) array.data(), from, count);
            case INT32 -> buf.asIntBuffer().put((int[]) array.data(), from, count);
            default -> {
                boolean[] b = (boolean[]) array.data();
                for (int i = 0; i < count; i++) buf.put(i, (byte) (b[from + i] ? 1 : 0));
            }
        }
        return buf;
    }

    private static long[] parseShape(String text, Path file) {
        String[] parts = text.split(",");
        return Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty()).mapToLong(p -> {
            try {
                return Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
            } catch (NumberFormatException e) {
                throw bad(file, "bad shape (" + text + ")");
            }
        }).toArray();
    }

    private static LcmException bad(Path file, String reason) {
        return new LcmException(file + " is not a readable .npy file: " + reason);
    }
}
