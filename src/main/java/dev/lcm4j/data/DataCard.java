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
        throw wrongType(key, "a string", v);
    }

    /** A boolean field of the card, or null. */
    public Boolean bool(String key) {
        Object v = extra.get(key);
        if (v == null || v instanceof Boolean) return (Boolean) v;
        throw wrongType(key, "true or false", v);
    }

    /** A list of numbers (null items allowed: an open bound), or null. */
    public List<Double> numbers(String key) {
        Object v = extra.get(key);
        if (v == null) return null;
        if (v instanceof List<?> l) {
            List<Double> out = new ArrayList<>();
            for (Object o : l) {
                if (o != null && !(o instanceof Number)) throw wrongType(key, "a list of numbers", v);
                out.add(o == null ? null : ((Number) o).doubleValue());
            }
            return out;
        }
        throw wrongType(key, "a list of numbers", v);
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
        throw wrongType(key, "a mapping", v);
    }

    /** A list field, or null. */
    @SuppressWarnings("unchecked")
    public List<Object> list(String key) {
        Object v = extra.get(key);
        if (v == null || v instanceof List<?>) return (List<Object>) v;
        throw wrongType(key, "a list", v);
    }

    private LcmException wrongType(String key, String expected, Object v) {
        return new LcmException("datacard '" + name + "' in " + file + ": key '" + key + "' must be " + expected + ", got "
                + (v instanceof String ? "'" + v + "'" : String.valueOf(v)));
    }
}
