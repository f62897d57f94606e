package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One dataset card (a document of a datacards YAML file), as in the reference's {@code lcm/datacards/datacards.yaml}.
 *
 * @param name          card name, referenced as {@code name[=split][:weight]}
 * @param parquetPaths  location per cluster ({@code {local: path}}, {@code {s3: ...}}); a plain string becomes
 *                      {@code {local: path}}
 * @param extra         every other field of the card, kept for callers (e.g. {@code source_prefix_text})
 * @param file          the YAML file the card came from (relative paths are resolved against its directory)
 */
public record DataCard(String name, Map<String, String> parquetPaths, String sourceColumn, String sourceTextColumn,
                       String targetColumn, String targetTextColumn, Map<String, Object> extra, Path file) {

    public DataColumns columns() {
        if (sourceColumn == null) {
            throw new LcmException("datacard '" + name + "' in " + file + " has no source_column");
        }
        return new DataColumns(sourceColumn, sourceTextColumn, targetColumn, targetTextColumn, null);
    }

    /**
     * The dataset root for {@code cluster}: that key if present, else {@code local}, else the first entry (the
     * reference likewise falls back to the first value). Remote URLs are rejected: only local files are read here.
     */
    public Path root(String cluster) {
        String p = parquetPaths.get(cluster);
        if (p == null) p = parquetPaths.get("local");
        if (p == null) p = parquetPaths.values().iterator().next();
        if (p.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new LcmException("datacard '" + name + "' in " + file + " points to " + p
                    + ": only local paths are supported; add a 'local:' entry under parquet_path");
        }
        Path path = Path.of(p);
        Path dir = file == null ? null : file.toAbsolutePath().getParent();
        return path.isAbsolute() || dir == null ? path : dir.resolve(path).normalize();
    }

    /** A string field of the card, or null; any other type is refused naming the key and the card. */
    public String string(String key) {
        Object v = extra.get(key);
        if (v == null || v instanceof String) return (String) v;
        throw wrongType(name, file, key, v, "a string");
    }

    /** A boolean field of the card, or null. */
    public Boolean bool(String key) {
        Object v = extra.get(key);
        if (v == null || v instanceof Boolean) return (Boolean) v;
        throw wrongType(name, file, key, v, "true or false");
    }

    /** A list of numbers (null items allowed: an open bound), or null. */
    public List<Double> numbers(String key) {
        Object v = extra.get(key);
        if (v == null) return null;
        if (v instanceof List<?> l) {
            List<Double> out = new ArrayList<>();
            for (Object o : l) {
                if (o != null && !(o instanceof Number)) throw wrongType(name, file, key, v, "a list of numbers");
                out.add(o == null ? null : ((Number) o).doubleValue());
            }
            return out;
        }
        throw wrongType(name, file, key, v, "a list of numbers");
    }

    /** A mapping field, or null. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> map(String key) {
        Object v = extra.get(key);
        if (v == null) return null;
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), x));
            return out;
        }
        throw wrongType(name, file, key, v, "a mapping");
    }

    /** A list field, or null. */
    @SuppressWarnings("unchecked")
    public List<Object> list(String key) {
        Object v = extra.get(key);
        if (v == null || v instanceof List<?>) return (List<Object>) v;
        throw wrongType(name, file, key, v, "a list");
    }

    /** The error for a card's {@code key} whose {@code value} is not {@code expected}: names the type and the value. */
    static LcmException wrongType(String card, Path file, String key, Object value, String expected) {
        String shown = String.valueOf(value).replaceAll("\\s+", " ");
        if (shown.length() > 60) shown = shown.substring(0, 57) + "...";
        return new LcmException("datacard '" + card + "' in " + file + ": key '" + key + "' must be " + expected + ", got "
                + typeOf(value) + " " + shown);
    }

    /** A YAML value's type in words, for errors. */
    static String typeOf(Object v) {
        if (v instanceof String) return "a string";
        if (v instanceof Map) return "a mapping";
        if (v instanceof List) return "a list";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger) return "an integer";
        if (v instanceof Number) return "a number";
        return "a " + v.getClass().getSimpleName();
    }
}
