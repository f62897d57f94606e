package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.Map;

/**
 * A resolved dataset: card, optional split partition and sampling weight.
 *
 * @param name  {@code card} or {@code card=split}, as the reference names its configs
 * @param root  dataset directory (hive-partitioned, {@code split=train/...parquet}) or a single parquet file
 * @param columns columns to read (the card's, unless given explicitly)
 * @param options filters, limits, quality range, assembled sequences and own affixes ({@link DatasetOptions#NONE})
 */
public record Dataset(String name, DataCard card, String split, double weight, Path root, DataColumns columns,
                      DatasetOptions options) {

    public Dataset {
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new LcmException("dataset " + name + " has weight " + weight + "; it must be a positive number");
        }
        if (options == null) options = DatasetOptions.NONE;
    }

    public Dataset(String name, DataCard card, String split, double weight, Path root, DataColumns columns) {
        this(name, card, split, weight, root, columns, DatasetOptions.NONE);
    }

    public Dataset withOptions(DatasetOptions o) {
        return new Dataset(name, card, split, weight, root, columns, o);
    }

    public Dataset withRoot(Path r) {
        return new Dataset(name, card, split, weight, r, columns, options);
    }

    public Dataset withColumns(DataColumns c) {
        return new Dataset(name, card, split, weight, root, c, options);
    }

    /** A dataset straight from a directory, without a card. */
    public static Dataset of(String name, Path root, DataColumns columns, String split) {
        DataCard card = new DataCard(name, Map.of("local", root.toString()), columns.source(),
                columns.sourceText(), columns.target(), columns.targetText(), Map.of(), null);
        return new Dataset(split == null ? name : name + "=" + split, card, split, 1.0, root, columns);
    }

    public Dataset withWeight(double w) {
        return new Dataset(name, card, split, w, root, columns, options);
    }

    /**
     * Parquet files of the selected partition, sorted by path so every rank and every run sees the same order.
     * With a split, only files under a {@code split=<split>} directory count.
     */
    public List<Path> files() {
        List<Path> all = allFiles();
        if (options.partitionFilters() != null) {
            RowFilter pf = options.partitionFilters();
            all = all.stream().filter(f -> pf.test(partitionColumn(f, pf))).toList();
            if (all.isEmpty()) {
                throw new LcmException("dataset " + name + ": partition_filters '" + pf.text() + "' rejects every file under "
                        + root);
            }
        }
        return options.limit() == null ? all : options.limit().files(all);
    }

    /** The partition values of {@code file}: its {@code key=value} directories below the dataset's directory. */
    Map<String, Object> partitionValues(Path file) {
        return RowFilter.partitionValues(Files.isRegularFile(root) ? root.getParent() : root, file);
    }

    /** The partition values of {@code file} for a partition filter; a column that is no partition key is refused. */
    java.util.function.Function<String, Object> partitionColumn(Path file, RowFilter pf) {
        Map<String, Object> values = partitionValues(file);
        return col -> {
            if (!values.containsKey(col)) {
                throw new LcmException("dataset " + name + ": partition_filters '" + pf.text() + "' reads column '" + col
                        + "', which is not a partition (key=value directory) of " + file + "; partitions: "
                        + values.keySet() + " (use filters for other columns)");
            }
            return values.get(col);
        };
    }

    private List<Path> allFiles() {
        if (Files.isRegularFile(root)) return List.of(root);
        if (!Files.isDirectory(root)) {
            throw new LcmException("dataset " + name + ": " + root + " does not exist (parquet_path of the datacard"
                    + (card.file() == null ? "" : " in " + card.file()) + ")");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .filter(p -> split == null || inSplit(root.relativize(p), split))
                    .sorted().toList();
        } catch (IOException e) {
            throw new LcmException("cannot list dataset " + name + " at " + root + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new LcmException("dataset " + name + ": no .parquet files under " + root
                    + (split == null ? "" : " in a split=" + split + " directory"));
        }
        return files;
    }

    private static boolean inSplit(Path relative, String split) {
        for (Path part : relative) if (part.toString().equals("split=" + split)) return true;
        return false;
    }
}
