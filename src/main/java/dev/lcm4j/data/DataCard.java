package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
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
}
