package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import java.util.HashMap;

/**
 * Reads plain string columns of any parquet file row group by row group (the input side of {@code prepare}, where
 * documents come as one string per row). Missing or non-string columns are errors listing the file's columns.
 */
public final class StringColumnReader implements AutoCloseable {
    private final Path file;
    private final ParquetFileReader reader;
    private final Map<String, ColumnDecoder> decoders = new LinkedHashMap<>();
    private final List<Long> rowCounts = new ArrayList<>();

    public StringColumnReader(Path file, List<String> columns) {
        this.file = file;
        if (!Files.isRegularFile(file)) throw new LcmException("parquet file " + file + " does not exist");
        try {
            reader = ParquetFileReader.open(new LocalInputFile(file));
        } catch (IOException | RuntimeException e) {
            throw new LcmException("cannot read parquet file " + file + " (" + e.getMessage()
                    + "); is it a complete parquet file?", e);
        }
        try {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            for (String c : columns) {
                if (!schema.containsField(c)) {
                    throw new LcmException(file + " has no column '" + c + "' (columns: " + String.join(", ",
                            schema.getFields().stream().map(Type::getName).toList()) + ")");
                }
                decoders.put(c, new ColumnDecoder(file, schema, c, ColumnDecoder.Shape.SCALAR_STRING, createdBy));
            }
            reader.setRequestedSchema(decoders.values().stream().map(ColumnDecoder::leaf).distinct().toList());
            reader.getRowGroups().forEach(b -> rowCounts.add(b.getRowCount()));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public int rowGroupCount() {
        return rowCounts.size();
    }

    /** Column name -> one value per row (null for a null cell) of row group {@code index}. */
    public Map<String, List<String>> readRowGroup(int index) {
        long rows = rowCounts.get(index);
        PageReadStore pages;
        try {
            pages = reader.readRowGroup(index);
        } catch (IOException | RuntimeException e) {
            throw new LcmException("cannot read row group " + index + " of " + file + ": " + e.getMessage(), e);
        }
        if (pages == null) throw new LcmException("row group " + index + " of " + file + " is missing");
        Map<String, List<String>> out = new LinkedHashMap<>();
        Map<String, List<Object>> byLeaf = new HashMap<>();
        for (Map.Entry<String, ColumnDecoder> e : decoders.entrySet()) {
            List<Object> values;
            try {
                values = byLeaf.computeIfAbsent(e.getKey(), k -> e.getValue().decode(pages, rows));
            } catch (LcmException ex) {
                throw ex;
            } catch (RuntimeException ex) {
                throw new LcmException("cannot decode column '" + e.getKey() + "' of " + file + ": " + ex.getMessage(), ex);
            }
            List<String> strings = new ArrayList<>(values.size());
            for (Object o : values) strings.add((String) o);
            out.put(e.getKey(), strings);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // read-only
        }
    }
}
