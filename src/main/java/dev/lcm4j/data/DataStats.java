package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Counts per split (documents, sentences, vector dimension, files, row groups) of a dataset directory, reading
 * row group by row group; every vector is validated on the way, so this doubles as a data check.
 *
 * @param split           partition value, or "" for files outside any {@code split=} directory
 * @param targetSentences sentences of the target column, or -1 when the columns name none
 */
public record DataStats(String split, long documents, long sentences, long targetSentences, int dim, int files, int rowGroups) {

    public static Map<String, DataStats> of(Path root, DataColumns columns) {
        List<Path> files;
        try (Stream<Path> s = Files.isDirectory(root) ? Files.walk(root) : Stream.of(root)) {
            files = s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + root + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new LcmException("no .parquet files under " + root);
        Map<String, DataStats> out = new TreeMap<>();
        for (Path f : files) {
            String split = splitOf(root, f);
            DataStats prev = out.get(split);
            int dim = prev == null ? 0 : prev.dim();
            long docs = 0;
            long sentences = 0, targetSentences = columns.hasTarget() ? 0 : -1;
            int groups;
            try (LcmParquetReader r = LcmParquetReader.open(f, columns, dim)) {
                groups = r.rowGroupCount();
                for (int g = 0; g < groups; g++) {
                    for (Document d : r.readRowGroup(g)) {
                        docs++;
                        sentences += d.sourceLength();
                        if (columns.hasTarget()) targetSentences += d.targetLength();
                    }
                }
                dim = r.dim();
            }
            DataStats add = new DataStats(split, docs, sentences, targetSentences, dim, 1, groups);
            out.put(split, prev == null ? add : new DataStats(split, prev.documents + docs, prev.sentences + sentences,
                    columns.hasTarget() ? prev.targetSentences + targetSentences : -1, dim, prev.files + 1, prev.rowGroups + groups));
        }
        return out;
    }

    private static String splitOf(Path root, Path file) {
        Path rel = Files.isDirectory(root) ? root.relativize(file) : file.getFileName();
        for (Path part : rel) {
            String p = part.toString();
            if (p.startsWith("split=")) return p.substring("split=".length());
        }
        return "";
    }
}
