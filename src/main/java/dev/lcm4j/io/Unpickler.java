package dev.lcm4j.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.nio.BufferUnderflowException;
import java.util.Collection;

/**
 * A pickle virtual machine for the subset of Python's pickle protocols 0..5 that {@code torch.save} produces.
 *
 * <p>It never runs Python code: the few callables a checkpoint needs (OrderedDict, tensor rebuilding, torch.Size,
 * set) are interpreted here and any other class becomes an inert {@link PyObject}. Values map to Java as
 * dict → {@link LinkedHashMap}, OrderedDict → {@link OrderedDict}, list → {@link ArrayList}, tuple → {@link Tuple},
 * str → String, int → Long (BigInteger beyond 64 bits), float → Double, bool → Boolean, bytes → byte[],
 * None → null, a {@code torch.<dtype>} global → {@link DType}.
 */
final class Unpickler {
    /** Thrown for malformed or unsupported pickle content; the caller names the file. */
    static final class PickleException extends RuntimeException {
        PickleException(String message) {
            super(message);
        }
    }

    /** A class or function named by GLOBAL / STACK_GLOBAL, resolved only when called. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    private final ByteBuffer in;
    private final Function<Tuple, Object> persistentLoad;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    /**
     * @param pickle         the pickle bytes
     * @param persistentLoad resolves a persistent id (BINPERSID), for torch a storage tuple
     */
    Unpickler(byte[] pickle, Function<Tuple, Object> persistentLoad) {
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
        this.persistentLoad = persistentLoad;
    }

    Object load() {
        try {
            while (true) {
                int op = in.get() & 0xff;
                if (op == '.') return pop();
                step(op);
            }
        } catch (BufferUnderflowException e) {
            throw new PickleException("pickle data ends before its STOP opcode");
        } catch (ClassCastException | IndexOutOfBoundsException e) {
            throw new PickleException("malformed pickle near byte " + in.position() + ": " + e.getMessage());
        }
    }

    private void step(int op) {
        switch (op) {
            case 0x80 -> { // PROTO
                int proto = in.get() & 0xff;
                if (proto > 5) throw new PickleException("unsupported pickle protocol " + proto);
            }
            case 0x95 -> in.getLong(); // FRAME: a length hint only; the data is all in memory
            case '(' -> { marks.add(stack.size()); }
            case '0' -> pop();
            case '1' -> popMark();
            case '2' -> push(peek());
            case 'N' -> push(null);
            case 0x88 -> push(Boolean.TRUE);
            case 0x89 -> push(Boolean.FALSE);
            case 'J' -> push((long) in.getInt());
            case 'K' -> push((long) (in.get() & 0xff));
            case 'M' -> push((long) (in.getShort() & 0xffff));
            case 0x8a -> push(readLong(in.get() & 0xff));
            case 0x8b -> push(readLong(length(in.getInt())));
            case 'I' -> {
                String s = readLine();
                push(s.equals("01") ? Boolean.TRUE : s.equals("00") ? Boolean.FALSE : narrow(new BigInteger(s)));
            }
            case 'L' -> {
                String s = readLine();
                push(narrow(new BigInteger(s.endsWith("L") ? s.substring(0, s.length() - 1) : s)));
            }
            case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // big-endian
            case 'F' -> push(Double.parseDouble(readLine()));
            case 'X' -> push(readString(length(in.getInt() & 0xffffffffL)));
            case 0x8c -> push(readString(in.get() & 0xff));
            case 0x8d -> push(readString(length(in.getLong())));
            case 'T' -> push(readString(length(in.getInt())));
            case 'U' -> push(readString(in.get() & 0xff));
            case 'V' -> push(readLine()); // raw-unicode-escape; torch never emits it, ASCII content reads right
            case 'B' -> push(readBytes(length(in.getInt() & 0xffffffffL)));
            case 'C' -> push(readBytes(in.get() & 0xff));
            case 0x8e, 0x96 -> push(readBytes(length(in.getLong())));
            case '}' -> push(new LinkedHashMap<>());
            case ']' -> push(new ArrayList<>());
            case ')' -> push(Tuple.of());
            case 0x8f -> push(new LinkedHashSet<>());
            case 'd' -> push(toDict(popMark()));
            case 'l' -> push(new ArrayList<>(popMark()));
            case 't' -> push(Tuple.copyOf(popMark()));
            case 0x85 -> push(Tuple.of(pop()));
            case 0x86 -> {
                Object b = pop(), a = pop();
                push(Tuple.of(a, b));
            }
            case 0x87 -> {
                Object c = pop(), b = pop(), a = pop();
                push(Tuple.of(a, b, c));
            }
            case 0x91 -> push(new LinkedHashSet<>(popMark()));
            case 'a' -> append(Collections.singletonList(pop()));
            case 'e' -> append(popMark());
            case 0x90 -> addItems(popMark());
            case 's' -> {
                Object value = pop(), key = pop();
                setItems(Arrays.asList(key, value));
            }
            case 'u' -> setItems(popMark());
            case 'q' -> memo.put((long) (in.get() & 0xff), peek());
            case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek());
            case 0x94 -> memo.put((long) memo.size(), peek());
            case 'p' -> memo.put(Long.parseLong(readLine()), peek());
            case 'h' -> push(memoGet(in.get() & 0xff));
            case 'j' -> push(memoGet(in.getInt() & 0xffffffffL));
            case 'g' -> push(memoGet(Long.parseLong(readLine())));
            case 'c' -> {
                String module = readLine();
                push(global(module, readLine()));
            }
            case 0x93 -> {
                String name = (String) pop();
                push(global((String) pop(), name));
            }
            case 'R' -> {
                Object args = pop();
                push(call(pop(), (List<?>) args));
            }
            case 0x81 -> {
                Object args = pop();
                push(call(pop(), (List<?>) args));
            }
            case 0x92 -> { // NEWOBJ_EX: cls, args, kwargs
                pop();
                Object args = pop();
                push(call(pop(), (List<?>) args));
            }
            case 'b' -> build(pop(), peek());
            case 'Q' -> push(persistentLoad.apply(asTuple(pop())));
            case 'P' -> push(persistentLoad.apply(Tuple.of(readLine())));
            default -> throw new PickleException(String.format(
                    "unsupported pickle opcode 0x%02x at byte %d", op, in.position() - 1));
        }
    }

    private Object global(String module, String name) {
        if (module.equals("torch")) {
            var dtype = DType.ofTorchName(name);
            if (dtype.isPresent()) return dtype.get();
        }
        return new Global(module, name);
    }

    /** REDUCE / NEWOBJ: the callables checkpoints use, everything else as an inert object. */
    private Object call(Object callable, List<?> args) {
        if (!(callable instanceof Global g))
            throw new PickleException("REDUCE on a non-callable " + describe(callable));
        switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                OrderedDict<Object, Object> dict = new OrderedDict<>();
                if (!args.isEmpty() && args.get(0) instanceof List<?> pairs)
                    for (Object pair : pairs) dict.put(((List<?>) pair).get(0), ((List<?>) pair).get(1));
                return dict;
            }
            case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2" -> {
                return rebuildTensor(args);
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                return args.get(0);
            }
            case "torch._tensor._rebuild_from_type_v2" -> {
                return call(args.get(0), (List<?>) args.get(2));
            }
            case "torch.Size", "builtins.tuple", "__builtin__.tuple" -> {
                return args.isEmpty() ? Tuple.of() : Tuple.copyOf((List<?>) args.get(0));
            }
            case "builtins.set", "builtins.frozenset", "__builtin__.set" -> {
                Set<Object> set = new LinkedHashSet<>();
                if (!args.isEmpty()) set.addAll((Collection<?>) args.get(0));
                return set;
            }
            default -> {
                return new PyObject(g.qualified(), Tuple.copyOf(args));
            }
        }
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private static StoredTensor rebuildTensor(List<?> args) {
        if (args.size() < 4 || !(args.get(0) instanceof StoredTensor storage))
            throw new PickleException("tensor rebuild without a storage: " + args);
        try {
            return new StoredTensor(storage.dtype(), longs(args.get(2)), longs(args.get(3)),
                    ((Number) args.get(1)).longValue(), storage.storage());
        } catch (IllegalArgumentException e) {
            throw new PickleException("bad tensor: " + e.getMessage());
        }
    }

    private static long[] longs(Object o) {
        List<?> list = (List<?>) o;
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) list.get(i)).longValue();
        return out;
    }

    private void build(Object state, Object target) {
        if (target instanceof OrderedDict<?, ?> dict) {
            Object attrs = state instanceof Tuple t && t.size() == 2 ? t.get(0) : state;
            if (attrs instanceof Map<?, ?> m)
                m.forEach((k, v) -> dict.attributes().put(String.valueOf(k), v));
        } else if (target instanceof PyObject obj) {
            obj.setState(state);
        }
        // Other targets (tensors given state by _rebuild_from_type_v2, plain dicts) carry nothing we keep.
    }

    @SuppressWarnings("unchecked")
    private void append(List<?> items) {
        Object target = peek();
        if (target instanceof List<?> list && !(target instanceof Tuple)) ((List<Object>) list).addAll(items);
        else if (target instanceof PyObject obj) obj.listItems().addAll(items);
        else throw new PickleException("APPEND to a non-list " + describe(target));
    }

    @SuppressWarnings("unchecked")
    private void addItems(List<?> items) {
        if (!(peek() instanceof Set<?> set)) throw new PickleException("ADDITEMS to a non-set " + describe(peek()));
        ((Set<Object>) set).addAll(items);
    }

    @SuppressWarnings("unchecked")
    private void setItems(List<?> keysAndValues) {
        Object target = peek();
        Map<Object, Object> map;
        if (target instanceof Map<?, ?> m) map = (Map<Object, Object>) m;
        else if (target instanceof PyObject obj) map = obj.dictItems();
        else throw new PickleException("SETITEM on a non-dict " + describe(target));
        for (int i = 0; i + 1 < keysAndValues.size(); i += 2) map.put(keysAndValues.get(i), keysAndValues.get(i + 1));
    }

    private static Map<Object, Object> toDict(List<?> keysAndValues) {
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.size(); i += 2) map.put(keysAndValues.get(i), keysAndValues.get(i + 1));
        return map;
    }

    private static Tuple asTuple(Object o) {
        if (o instanceof Tuple t) return t;
        throw new PickleException("persistent id is not a tuple: " + describe(o));
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) throw new PickleException("pickle refers to memo slot " + index + " never set");
        return memo.get(index);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty() || stackTopIsMark()) throw new PickleException("pickle stack underflow");
        return stack.remove(stack.size() - 1);
    }

    private boolean stackTopIsMark() {
        return !marks.isEmpty() && marks.get(marks.size() - 1) == stack.size();
    }

    private Object peek() {
        if (stack.isEmpty()) throw new PickleException("pickle stack underflow");
        return stack.get(stack.size() - 1);
    }

    /** Removes and returns everything above the latest MARK. */
    private List<Object> popMark() {
        if (marks.isEmpty()) throw new PickleException("pickle has no MARK to pop to");
        int from = marks.remove(marks.size() - 1);
        List<Object> top = new ArrayList<>(stack.subList(from, stack.size()));
        stack.subList(from, stack.size()).clear();
        return top;
    }

    private int length(long n) {
        if (n < 0 || n > in.remaining()) throw new PickleException("pickle item of " + n + " bytes overruns the data");
        return (int) n;
    }

    private Object readLong(int n) {
        byte[] le = readBytes(length(n));
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        return narrow(new BigInteger(be));
    }

    private static Object narrow(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String readString(int n) {
        return new String(readBytes(length(n)), StandardCharsets.UTF_8);
    }

    private byte[] readBytes(int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String readLine() {
        int start = in.position();
        while (in.get() != '\n') { }
        return new String(in.array(), start, in.position() - start - 1, StandardCharsets.UTF_8);
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName() + " " + o;
    }
}
