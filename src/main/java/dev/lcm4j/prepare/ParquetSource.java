package dev.lcm4j.prepare;

import dev.lcm4j.data.StringColumnReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Rows of a parquet file with a string text column (and optional string target / id / split columns), row group by row group. */
final class ParquetSource implements DocumentSource {
    private final Path file;
    private final String label;
    private final SourceSpec spec;
    private final StringColumnReader reader;
    private int group;
    private Map<String, List<String>> rows;
    private int row;
    private long rowNumber;

    ParquetSource(Path file, String label, SourceSpec spec) {
        this.file = file;
        this.label = label;
        this.spec = spec;
        List<String> cols = new ArrayList<>();
        cols.add(spec.textColumn());
        if (spec.hasTarget()) cols.add(spec.targetColumn());
        if (spec.idColumn() != null) cols.add(spec.idColumn());
        if (spec.splitColumn() != null) cols.add(spec.splitColumn());
        this.reader = new StringColumnReader(file, cols.stream().distinct().toList());
    }

    @Override
    public SourceDocument next() {
        while (rows == null || row == rows.get(spec.textColumn()).size()) {
            if (group == reader.rowGroupCount()) return null;
            rows = reader.readRowGroup(group++);
            row = 0;
        }
        rowNumber++; // 1-based, like line numbers
        String text = rows.get(spec.textColumn()).get(row);
        String target = spec.hasTarget() ? rows.get(spec.targetColumn()).get(row) : null;
        String id = spec.idColumn() == null ? label + rowNumber : rows.get(spec.idColumn()).get(row);
        String split = spec.splitColumn() == null ? null : rows.get(spec.splitColumn()).get(row);
        row++;
        return new SourceDocument(id, text, target, split, file + " row " + rowNumber);
    }

    @Override
    public void close() {
        reader.close();
    }
}
