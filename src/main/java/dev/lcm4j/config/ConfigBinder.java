package dev.lcm4j.config;

import dev.lcm4j.LcmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.Collections;

/**
 * Binds a config tree onto config records. Keys map to record components of the same (snake_case) name. Every
 * config record has a static {@code defaults()}; the tree is merged onto it, so a missing key keeps the default and
 * a nested mapping merges onto the default nested record. Lists replace. Unknown keys are rejected with their dotted
 * path, except the keys a record lists in an optional static {@code Map<String,String> ignoredKeys()}
 * (key → reason), which are logged and skipped.
 *
 * <p>Conversions: Integer/Long/Double between each other (a double only into an integer field when integral),
 * scalars into String fields, enums by lowercase name, {@code List<X>}, nested records, {@code Map<String,Object>}
 * and {@code Object} (taken as is). {@code ???} (Hydra's missing value) and null bind to null; a primitive
 * component rejects both.
 */
public final class ConfigBinder {
    private ConfigBinder() {}

    /**
     * Marks a record component whose own keys sit at the enclosing record's level in YAML, as a Python dataclass
     * that extends another: the reference's {@code DenoiserConfig} extends {@code TransformerConfig}, so its
     * {@code num_layers} is a key of the denoiser node, while lcm4j holds a {@code TransformerConfig} component.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Inline {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ConfigBinder.class);

    /**
     * Binds {@code tree} onto {@code type}'s defaults.
     *
     * @param path dotted path of {@code tree} in the whole config, used in error messages ("" for the root)
     */
    public static <R extends Record> R bind(Map<String, Object> tree, Class<R> type, String path) {
        return bindOnto(tree, defaults(type), type, path);
    }

    /** The record's {@code defaults()} instance. */
    public static <R extends Record> R defaults(Class<R> type) {
        try {
            Method m = type.getDeclaredMethod("defaults");
            return type.cast(m.invoke(null));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no static defaults() method", e);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot call " + type.getName() + ".defaults()", e);
        }
    }

    /** The record as a tree (enums as lowercase names, records as maps), the inverse of {@link #bind}. */
    public static Map<String, Object> toTree(Record record) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            Object v = read(c, record);
            if (isInline(c) && v instanceof Record r) out.putAll(toTree(r));
            else out.put(c.getName(), toTreeValue(v));
        }
        return out;
    }

    private static boolean isInline(RecordComponent c) {
        return c.isAnnotationPresent(Inline.class);
    }

    /** The YAML keys of a record: its components' names, those of inlined components replaced by their own keys. */
    private static List<String> keysOf(Class<?> type) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) {
            if (isInline(c)) keys.addAll(keysOf(c.getType()));
            else keys.add(c.getName());
        }
        return keys;
    }

    private static Object toTreeValue(Object v) {
        if (v instanceof Record r) return toTree(r);
        if (v instanceof Enum<?> e) return e.name().toLowerCase(Locale.ROOT);
        if (v instanceof List<?> l) return l.stream().map(ConfigBinder::toTreeValue).collect(Collectors.toList());
        if (v instanceof Map<?, ?> m) return ConfigTree.normalize(m, "config");
        return v;
    }

    /** Binds {@code tree} onto {@code base} (e.g. a named arch), keeping base values for missing keys. */
    public static <R extends Record> R bindOnto(Map<String, Object> tree, R base, Class<R> type, String path) {
        RecordComponent[] components = type.getRecordComponents();
        Map<String, String> ignored = ignoredKeys(type);
        List<String> names = keysOf(type);
        for (String key : tree.keySet()) {
            if (names.contains(key)) continue;
            String where = join(path, key);
            if (ignored.containsKey(key)) {
                LOG.warn("ignoring {} = {}: {}", where, tree.get(key), ignored.get(key));
                continue;
            }
            String near = ConfigTree.closest(key, names);
            throw new LcmException("unknown key " + where + (near == null ? "" : " (did you mean " + near + "?)")
                    + "; known keys: " + String.join(", ", names));
        }
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            Object baseValue = read(c, base);
            if (isInline(c)) {
                List<String> own = keysOf(c.getType());
                Map<String, Object> sub = new LinkedHashMap<>();
                tree.forEach((k, v) -> { if (own.contains(k)) sub.put(k, v); });
                @SuppressWarnings({"unchecked", "rawtypes"})
                Object bound = bindOnto(sub, (Record) baseValue, (Class) c.getType(), path);
                args[i] = bound;
                continue;
            }
            args[i] = tree.containsKey(c.getName())
                    ? convert(tree.get(c.getName()), c.getGenericType(), join(path, c.getName()), baseValue)
                    : baseValue;
        }
        try {
            return type.getDeclaredConstructor(types).newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof LcmException le) throw le;
            throw new IllegalStateException("cannot construct " + type.getName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> ignoredKeys(Class<?> type) {
        try {
            return (Map<String, String>) type.getDeclaredMethod("ignoredKeys").invoke(null);
        } catch (NoSuchMethodException e) {
            return Map.of();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call " + type.getName() + ".ignoredKeys()", e);
        }
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            Method accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + c.getName(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object convert(Object value, Type type, String path, Object base) {
        Class<?> raw = rawClass(type);
        if (value == null || ConfigTree.MISSING.equals(value)) {
            if (raw.isPrimitive()) throw typeError(path, describe(raw), value);
            return null;
        }
        if (raw == Object.class) return value;
        if (raw == String.class) {
            if (value instanceof String || value instanceof Number || value instanceof Boolean) return value.toString();
            throw typeError(path, "a string", value);
        }
        if (raw == Integer.class || raw == int.class) return (int) integral(value, path, Integer.MIN_VALUE, Integer.MAX_VALUE, "an integer");
        if (raw == Long.class || raw == long.class) return integral(value, path, Long.MIN_VALUE, Long.MAX_VALUE, "an integer");
        if (raw == Double.class || raw == double.class) {
            if (value instanceof Number n) return n.doubleValue();
            throw typeError(path, "a number", value);
        }
        if (raw == Boolean.class || raw == boolean.class) {
            if (value instanceof Boolean) return value;
            throw typeError(path, "a boolean (true or false)", value);
        }
        if (raw.isEnum()) {
            if (value instanceof String s) {
                for (Object constant : raw.getEnumConstants()) {
                    if (((Enum<?>) constant).name().equalsIgnoreCase(s.replace('-', '_'))) return constant;
                }
            }
            String allowed = Arrays.stream(raw.getEnumConstants())
                    .map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
            throw typeError(path, "one of [" + allowed + "]", value);
        }
        if (raw.isRecord()) {
            if (!(value instanceof Map<?, ?> m)) throw typeError(path, "a mapping", value);
            Class<? extends Record> rt = (Class<? extends Record>) raw;
            Record start = base != null ? (Record) base : defaults(rt);
            return bindOnto((Map<String, Object>) m, (Record) rt.cast(start), (Class) rt, path);
        }
        if (raw == List.class) {
            if (!(value instanceof List<?> l)) throw typeError(path, "a list", value);
            Type element = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) out.add(convert(l.get(i), element, path + "[" + i + "]", null));
            return Collections.unmodifiableList(out);
        }
        if (raw == Map.class) {
            if (!(value instanceof Map<?, ?> m)) throw typeError(path, "a mapping", value);
            return ConfigTree.normalize(m, path);
        }
        throw new IllegalStateException("unsupported config field type " + type + " at " + path);
    }

    private static long integral(Object value, String path, long min, long max, String expected) {
        long v;
        if (value instanceof Integer || value instanceof Long) {
            v = ((Number) value).longValue();
        } else if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 0x1p53) {
            v = d.longValue();
        } else {
            throw typeError(path, expected, value);
        }
        if (v < min || v > max) throw typeError(path, expected + " in [" + min + ", " + max + "]", value);
        return v;
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) return c;
        if (type instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        throw new IllegalStateException("unsupported config field type " + type);
    }

    private static String describe(Class<?> primitive) {
        if (primitive == boolean.class) return "a boolean (true or false)";
        if (primitive == double.class) return "a number";
        return "an integer";
    }

    private static LcmException typeError(String path, String expected, Object value) {
        String shown = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
        String kind = value == null ? "null" : value.getClass().getSimpleName();
        return new LcmException(path + ": expected " + expected + ", got " + shown + " (" + kind + ")");
    }

    private static String join(String path, String key) {
        return path == null || path.isEmpty() ? key : path + "." + key;
    }
}
