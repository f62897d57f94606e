package dev.lcm4j.io;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Writes a value tree as a protocol-2 pickle in the shape {@code torch.save} gives it, using only the globals that
 * PyTorch's {@code weights_only=True} loader allows ({@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2}, {@code torch.<X>Storage}, {@code torch.<dtype>}).
 *
 * <p>Tensors are written as persistent ids {@code ('storage', torch.FloatStorage, key, 'cpu', numel)}; storages
 * are identified by their ByteBuffer instance, so tensors that share one buffer share one storage record.
 */
final class Pickler {
    private static final int BATCH = 1000; // as CPython: APPENDS/SETITEMS in batches of 1000

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<ByteBuffer, String> storageKeys = new IdentityHashMap<>();
    private final Map<String, StoredTensor> storages = new LinkedHashMap<>();

    /** The pickle bytes of {@code root}. */
    byte[] pickle(Object root) {
        out.write(0x80);
        out.write(2);
        write(root, "");
        out.write('.');
        return out.toByteArray();
    }

    /** Storages met while pickling, by key, each as a tensor whose {@code storage()} is the record's data. */
    Map<String, StoredTensor> storages() {
        return storages;
    }

    private void write(Object v, String path) {
        if (v == null) out.write('N');
        else if (v instanceof Boolean b) out.write(b ? 0x88 : 0x89);
        else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)
            writeInt(((Number) v).longValue());
        else if (v instanceof BigInteger b) writeBigInt(b);
        else if (v instanceof Double || v instanceof Float) {
            out.write('G');
            long bits = Double.doubleToLongBits(((Number) v).doubleValue());
            for (int s = 56; s >= 0; s -= 8) out.write((int) (bits >>> s)); // big-endian
        } else if (v instanceof String s) writeString(s);
        else if (v instanceof DType d) writeGlobal("torch", d.torchName());
        else if (v instanceof StoredTensor t) writeTensor(t);
        else if (v instanceof Tuple t) writeTuple(t, path);
        else if (v instanceof List<?> list) {
            out.write(']');
            writeBatches(list.iterator(), 'e', item -> write(item, path + "[]"));
        } else if (v instanceof Map<?, ?> map) {
            if (v instanceof OrderedDict) {
                writeGlobal("collections", "OrderedDict");
                out.write(')');
                out.write('R');
            } else {
                out.write('}');
            }
            writeBatches(map.entrySet().iterator(), 'u', e -> {
                write(e.getKey(), path);
                write(e.getValue(), path + "/" + e.getKey());
            });
        } else {
            throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " at '" + path
                    + "' to a PyTorch file (supported: Map, OrderedDict, List, Tuple, String, Long/Integer, "
                    + "Double/Float, Boolean, BigInteger, null, DType, StoredTensor)");
        }
    }

    private <T> void writeBatches(Iterator<T> items, int op, Consumer<T> each) {
        while (items.hasNext()) {
            out.write('(');
            for (int n = 0; n < BATCH && items.hasNext(); n++) each.accept(items.next());
            out.write(op);
        }
    }

    private void writeTuple(List<?> items, String path) {
        if (items.isEmpty()) {
            out.write(')');
            return;
        }
        if (items.size() > 3) out.write('(');
        for (Object item : items) write(item, path + "()");
        out.write(switch (items.size()) {
            case 1 -> 0x85;
            case 2 -> 0x86;
            case 3 -> 0x87;
            default -> 't';
        });
    }

    private void writeTensor(StoredTensor t) {
        String key = storageKeys.computeIfAbsent(t.storage(), b -> {
            String k = Integer.toString(storageKeys.size());
            StoredTensor whole = new StoredTensor(t.dtype(), new long[] {b.limit() / t.dtype().byteSize()},
                    new long[] {1}, 0, b);
            storages.put(k, whole);
            return k;
        });
        if (storages.get(key).dtype() != t.dtype())
            throw new IllegalArgumentException("tensors of different dtypes (" + storages.get(key).dtype() + ", "
                    + t.dtype() + ") share one storage buffer; torch.save stores one dtype per storage");
        writeGlobal("torch._utils", "_rebuild_tensor_v2");
        out.write('(');
        // persistent id: ('storage', torch.FloatStorage, key, 'cpu', numel)
        out.write('(');
        writeString("storage");
        writeGlobal("torch", t.dtype().storageClass());
        writeString(key);
        writeString("cpu");
        writeInt(storages.get(key).numel());
        out.write('t');
        out.write('Q');
        writeInt(t.storageOffset());
        writeTuple(boxed(t.shape()), "");
        writeTuple(boxed(t.stride()), "");
        out.write(0x89); // requires_grad False
        writeGlobal("collections", "OrderedDict"); // backward_hooks: an empty OrderedDict
        out.write(')');
        out.write('R');
        out.write('t');
        out.write('R');
    }

    private static List<Object> boxed(long[] values) {
        Object[] o = new Object[values.length];
        for (int i = 0; i < o.length; i++) o[i] = values[i];
        return Arrays.asList(o);
    }

    private void writeGlobal(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private void writeInt(long v) {
        if (v >= 0 && v < 0x100) {
            out.write('K');
            out.write((int) v);
        } else if (v >= 0 && v < 0x10000) {
            out.write('M');
            out.write((int) v);
            out.write((int) (v >>> 8));
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J');
            for (int s = 0; s < 32; s += 8) out.write((int) (v >>> s));
        } else {
            writeBigInt(BigInteger.valueOf(v));
        }
    }

    /** LONG1: little-endian two's complement, minimal length. */
    private void writeBigInt(BigInteger v) {
        byte[] be = v.toByteArray();
        if (be.length > 255) throw new IllegalArgumentException("integer too large to write: " + v);
        out.write(0x8a);
        out.write(be.length);
        for (int i = be.length - 1; i >= 0; i--) out.write(be[i]);
    }

    private void writeString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        for (int sh = 0; sh < 32; sh += 8) out.write(b.length >>> sh);
        out.writeBytes(b);
    }
}
