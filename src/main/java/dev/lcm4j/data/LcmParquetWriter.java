package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The one writer of the reference LCM parquet schema, for training data and for {@code ./lcm prepare} alike: string
 * columns (an id, a document's text), {@code list<string>} sentence columns and {@code list<list<float>>} vector
 * columns, in the standard 3-level LIST layout that Arrow also writes for {@code list<fixed_size_list<float>[D]>}.
 * A writer holds rows of any type and a column list saying how to read each column from a row
 * ({@link #documents} gives the columns of {@link Document}s). Rows are grouped into row groups of a fixed number of
 * rows, because row groups are the unit the loader shuffles and shards. The file appears under its final name only
 * when complete (written as a temporary sibling, then renamed).
 *
 * @param <T> the row type
 */
public final class LcmParquetWriter<T> implements AutoCloseable {
    /** How a column is stored. */
    public enum Kind { STRING, STRINGS, VECTORS, LONG, DOUBLES }

    /** One column: its name, kind and the value of a row ({@code String}, {@code List<String>} or {@code float[][]}). */
    public record Column<T>(String name, Kind kind, Function<T, Object> value) {
        public static <T> Column<T> string(String name, Function<T, String> value) {
            return new Column<>(name, Kind.STRING, value::apply);
        }

        public static <T> Column<T> strings(String name, Function<T, List<String>> value) {
            return new Column<>(name, Kind.STRINGS, value::apply);
        }

        public static <T> Column<T> vectors(String name, Function<T, float[][]> value) {
            return new Column<>(name, Kind.VECTORS, value::apply);
        }

        /** An {@code int64} column (e.g. a document's length class, for row filters). */
        public static <T> Column<T> integer(String name, Function<T, Long> value) {
            return new Column<>(name, Kind.LONG, value::apply);
        }

        /** A {@code list<double>} column (e.g. one quality score per sentence). */
        public static <T> Column<T> doubles(String name, Function<T, double[]> value) {
            return new Column<>(name, Kind.DOUBLES, value::apply);
        }
    }

    private final Path target;
    private final Path temp;
    private final ParquetWriter<T> writer;
    private final List<Column<T>> columns;
    private final int dim;
    private long rows;
    private boolean closed;

    /**
     * @param dim          every written vector must have this dimension (a wrong one is a bug upstream); 0: not checked
     * @param rowGroupRows rows per row group
     */
    public LcmParquetWriter(Path target, List<Column<T>> columns, int dim, int rowGroupRows) {
        if (rowGroupRows < 1) throw new IllegalArgumentException("rowGroupRows must be >= 1, got " + rowGroupRows);
        if (dim < 0) throw new IllegalArgumentException("dim must be >= 0, got " + dim);
        this.target = target.toAbsolutePath();
        this.temp = this.target.resolveSibling(this.target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        this.columns = List.copyOf(columns);
        this.dim = dim;
        try {
            if (this.target.getParent() != null) Files.createDirectories(this.target.getParent());
            writer = new Builder<>(new LocalOutputFile(temp), schema(this.columns), this.columns)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .withRowGroupRowCountLimit(rowGroupRows)
                    .withRowGroupSize(512L << 20) // rows decide; bytes are a safety cap
                    .withDictionaryEncoding(false)
                    .withPageWriteChecksumEnabled(true) // readers verify them: a flipped bit is an error, not data
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + temp + ": " + e.getMessage(), e);
        }
    }

    /** The columns of {@link Document}s: id, source sentences and vectors, target sentences and vectors ({@link DataColumns#all()}). */
    public static List<Column<Document>> documentColumns(DataColumns columns) {
        List<Column<Document>> out = new ArrayList<>();
        for (String c : columns.all()) {
            if (c.equals(columns.id())) out.add(Column.string(c, Document::id));
            else if (c.equals(columns.source())) out.add(Column.vectors(c, Document::embeddings));
            else if (c.equals(columns.target())) out.add(Column.vectors(c, Document::targetEmbeddings));
            else if (c.equals(columns.sourceText())) out.add(Column.strings(c, Document::sentences));
            else out.add(Column.strings(c, Document::targetSentences));
        }
        return out;
    }

    /** A writer of {@link Document}s in {@code columns}, every vector of dimension {@code dim}. */
    public static LcmParquetWriter<Document> documents(Path target, DataColumns columns, int dim, int rowGroupRows) {
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        return new LcmParquetWriter<>(target, documentColumns(columns), dim, rowGroupRows);
    }

    /** Writes all documents to {@code target} in one go. */
    public static void write(Path target, DataColumns columns, int dim, int rowGroupRows, Iterable<Document> docs) {
        try (LcmParquetWriter<Document> w = documents(target, columns, dim, rowGroupRows)) {
            for (Document d : docs) w.write(d);
        }
    }

    public void write(T row) {
        for (Column<T> c : columns) {
            if (c.kind() == Kind.VECTORS) checkDims((float[][]) c.value().apply(row), c.name());
        }
        try {
            writer.write(row);
            rows++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + temp + ": " + e.getMessage(), e);
        }
    }

    public long rows() {
        return rows;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            writer.close();
            AtomicFiles.move(temp, target);
        } catch (IOException e) {
            try { Files.deleteIfExists(temp); } catch (IOException ignored) { }
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private void checkDims(float[][] vectors, String column) {
        if (vectors == null || dim == 0) return;
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null || vectors[i].length != dim) {
                throw new LcmException("document " + rows + " of " + target + ": " + column + " vector " + i + " has "
                        + (vectors[i] == null ? "no" : vectors[i].length) + " values, expected " + dim);
            }
        }
    }

    /** The parquet schema of the columns: what pyarrow writes for the reference's Arrow schema. */
    static <T> MessageType schema(List<Column<T>> columns) {
        StringBuilder s = new StringBuilder("message lcm {\n");
        for (Column<T> c : columns) {
            switch (c.kind()) {
                case STRING -> s.append("  optional binary ").append(c.name()).append(" (STRING);\n");
                case STRINGS -> s.append("  optional group ").append(c.name())
                        .append(" (LIST) { repeated group list { optional binary element (STRING); } }\n");
                case VECTORS -> s.append("  optional group ").append(c.name()).append(" (LIST) { repeated group list {"
                        + " optional group element (LIST) { repeated group list { optional float element; } } } }\n");
                case LONG -> s.append("  optional int64 ").append(c.name()).append(";\n");
                case DOUBLES -> s.append("  optional group ").append(c.name())
                        .append(" (LIST) { repeated group list { optional double element; } }\n");
            }
        }
        return MessageTypeParser.parseMessageType(s.append("}").toString());
    }

    private static final class Builder<T> extends ParquetWriter.Builder<T, Builder<T>> {
        private final MessageType schema;
        private final List<Column<T>> columns;

        Builder(OutputFile file, MessageType schema, List<Column<T>> columns) {
            super(file);
            this.schema = schema;
            this.columns = columns;
        }

        @Override
        protected Builder<T> self() {
            return this;
        }

        @Override
        protected WriteSupport<T> getWriteSupport(Configuration conf) {
            return new RowWriteSupport<>(schema, columns);
        }
    }

    /** Emits one row as one parquet record through the {@link RecordConsumer} event API. */
    private static final class RowWriteSupport<T> extends WriteSupport<T> {
        private final MessageType schema;
        private final List<Column<T>> columns;
        private RecordConsumer out;

        RowWriteSupport(MessageType schema, List<Column<T>> columns) {
            this.schema = schema;
            this.columns = columns;
        }

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(schema, new HashMap<>());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void write(T row) {
            out.startMessage();
            for (int index = 0; index < columns.size(); index++) {
                Column<T> c = columns.get(index);
                Object v = c.value().apply(row);
                switch (c.kind()) {
                    case STRING -> string(out, c.name(), index, (String) v);
                    case STRINGS -> strings(out, c.name(), index, (List<String>) v);
                    case VECTORS -> vectors(out, c.name(), index, (float[][]) v);
                    case LONG -> integer(out, c.name(), index, (Long) v);
                    case DOUBLES -> doubles(out, c.name(), index, (double[]) v);
                }
            }
            out.endMessage();
        }
    }

    /** Writes a string field (nothing for null). */
    private static void string(RecordConsumer out, String name, int index, String value) {
        if (value == null) return;
        out.startField(name, index);
        out.addBinary(Binary.fromString(value));
        out.endField(name, index);
    }

    /** Writes an int64 field (nothing for null). */
    private static void integer(RecordConsumer out, String name, int index, Long value) {
        if (value == null) return;
        out.startField(name, index);
        out.addLong(value);
        out.endField(name, index);
    }

    /** Writes a {@code list<double>} field (nothing for null). */
    private static void doubles(RecordConsumer out, String name, int index, double[] values) {
        if (values == null) return;
        out.startField(name, index);
        listBody(out, values.length, i -> {
            out.startField("element", 0);
            out.addDouble(values[i]);
            out.endField("element", 0);
        });
        out.endField(name, index);
    }

    /** Writes a {@code list<string>} field (nothing for null; a null element stays null). */
    private static void strings(RecordConsumer out, String name, int index, List<String> values) {
        if (values == null) return;
        out.startField(name, index);
        listBody(out, values.size(), i -> {
            String v = values.get(i);
            if (v == null) return;
            out.startField("element", 0);
            out.addBinary(Binary.fromString(v));
            out.endField("element", 0);
        });
        out.endField(name, index);
    }

    /** Writes a {@code list<list<float>>} field (nothing for null). */
    private static void vectors(RecordConsumer out, String name, int index, float[][] vectors) {
        if (vectors == null) return;
        out.startField(name, index);
        listBody(out, vectors.length, i -> {
            float[] v = vectors[i];
            out.startField("element", 0);
            listBody(out, v.length, j -> {
                out.startField("element", 0);
                out.addFloat(v[j]);
                out.endField("element", 0);
            });
            out.endField("element", 0);
        });
        out.endField(name, index);
    }

    /**
     * The group of a parquet list (three-level layout: {@code group { repeated group list { element } }}) with
     * {@code size} entries; {@code entry} writes entry i's fields inside its repeated group (none for a null entry).
     */
    private static void listBody(RecordConsumer out, int size, IntConsumer entry) {
        out.startGroup();
        if (size > 0) {
            out.startField("list", 0);
            for (int i = 0; i < size; i++) {
                out.startGroup();
                entry.accept(i);
                out.endGroup();
            }
            out.endField("list", 0);
        }
        out.endGroup();
    }
}
