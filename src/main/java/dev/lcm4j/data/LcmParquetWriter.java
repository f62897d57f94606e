package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
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
 * Writes documents in the reference LCM schema: text columns {@code list<string>}, embedding columns
 * {@code list<list<float>>} in the standard 3-level LIST layout that Arrow also writes for
 * {@code list<fixed_size_list<float>[D]>}. Rows are grouped into row groups of a fixed number of rows, because
 * row groups are the unit the loader shuffles and shards. The file appears under its final name only when complete
 * (written as a temporary sibling, then renamed).
 */
public final class LcmParquetWriter implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final ParquetWriter<Document> writer;
    private final DataColumns columns;
    private final int dim;
    private long rows;
    private boolean closed;

    /**
     * @param dim          expected vector dimension; every written vector must have it (a wrong one is a bug upstream)
     * @param rowGroupRows rows per row group
     */
    public LcmParquetWriter(Path target, DataColumns columns, int dim, int rowGroupRows) {
        if (rowGroupRows < 1) throw new IllegalArgumentException("rowGroupRows must be >= 1, got " + rowGroupRows);
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        this.target = target.toAbsolutePath();
        this.temp = this.target.resolveSibling(this.target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        this.columns = columns;
        this.dim = dim;
        try {
            if (this.target.getParent() != null) Files.createDirectories(this.target.getParent());
            writer = new Builder(new LocalOutputFile(temp), schema(columns), columns)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .withRowGroupRowCountLimit(rowGroupRows)
                    .withRowGroupSize(512L << 20) // rows decide; bytes are a safety cap
                    .withDictionaryEncoding(false)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + temp + ": " + e.getMessage(), e);
        }
    }

    /** Writes all documents to {@code target} in one go. */
    public static void write(Path target, DataColumns columns, int dim, int rowGroupRows, Iterable<Document> docs) {
        try (LcmParquetWriter w = new LcmParquetWriter(target, columns, dim, rowGroupRows)) {
            for (Document d : docs) w.write(d);
        }
    }

    public void write(Document doc) {
        checkDims(doc.embeddings(), "source");
        checkDims(doc.targetEmbeddings(), "target");
        try {
            writer.write(doc);
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

    private void checkDims(float[][] vectors, String side) {
        if (vectors == null) return;
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null || vectors[i].length != dim) {
                throw new LcmException("document " + rows + " of " + target + ": " + side + " vector " + i + " has "
                        + (vectors[i] == null ? "no" : vectors[i].length) + " values, expected " + dim);
            }
        }
    }

    /** The parquet schema for {@code columns}: what pyarrow writes for the reference's Arrow schema. */
    static MessageType schema(DataColumns columns) {
        StringBuilder s = new StringBuilder("message lcm {\n");
        for (String c : columns.all()) {
            if (c.equals(columns.id())) {
                s.append("  optional binary ").append(c).append(" (STRING);\n");
            } else if (c.equals(columns.source()) || c.equals(columns.target())) {
                s.append("  optional group ").append(c).append(" (LIST) { repeated group list { optional group element"
                        + " (LIST) { repeated group list { optional float element; } } } }\n");
            } else {
                s.append("  optional group ").append(c)
                        .append(" (LIST) { repeated group list { optional binary element (STRING); } }\n");
            }
        }
        return MessageTypeParser.parseMessageType(s.append("}").toString());
    }

    private static final class Builder extends ParquetWriter.Builder<Document, Builder> {
        private final MessageType schema;
        private final DataColumns columns;

        Builder(OutputFile file, MessageType schema, DataColumns columns) {
            super(file);
            this.schema = schema;
            this.columns = columns;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Document> getWriteSupport(Configuration conf) {
            return new DocumentWriteSupport(schema, columns);
        }
    }

    /** Emits one document as one parquet record through the {@link RecordConsumer} event API. */
    private static final class DocumentWriteSupport extends WriteSupport<Document> {
        private final MessageType schema;
        private final DataColumns columns;
        private RecordConsumer out;

        DocumentWriteSupport(MessageType schema, DataColumns columns) {
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
        public void write(Document d) {
            out.startMessage();
            int index = 0;
            for (String c : columns.all()) {
                if (c.equals(columns.id())) {
                    if (d.id() != null) {
                        out.startField(c, index);
                        out.addBinary(Binary.fromString(d.id()));
                        out.endField(c, index);
                    }
                } else if (c.equals(columns.source())) {
                    writeVectors(c, index, d.embeddings());
                } else if (c.equals(columns.target())) {
                    writeVectors(c, index, d.targetEmbeddings());
                } else {
                    writeStrings(c, index, c.equals(columns.sourceText()) ? d.sentences() : d.targetSentences());
                }
                index++;
            }
            out.endMessage();
        }

        private void writeStrings(String name, int index, List<String> values) {
            strings(out, name, index, values);
        }

        private void writeVectors(String name, int index, float[][] vectors) {
            vectors(out, name, index, vectors);
        }
    }

    /** Writes a {@code list<string>} field of the LCM schema (nothing for null). Shared with prepare's shard writer. */
    public static void strings(RecordConsumer out, String name, int index, List<String> values) {
        if (values == null) return;
        out.startField(name, index);
        out.startGroup();
        if (!values.isEmpty()) {
            out.startField("list", 0);
            for (String v : values) {
                out.startGroup();
                if (v != null) {
                    out.startField("element", 0);
                    out.addBinary(Binary.fromString(v));
                    out.endField("element", 0);
                }
                out.endGroup();
            }
            out.endField("list", 0);
        }
        out.endGroup();
        out.endField(name, index);
    }

    /** Writes a {@code list<list<float>>} field of the LCM schema (nothing for null). */
    public static void vectors(RecordConsumer out, String name, int index, float[][] vectors) {
        if (vectors == null) return;
        out.startField(name, index);
        out.startGroup();
        if (vectors.length > 0) {
            out.startField("list", 0);
            for (float[] v : vectors) {
                out.startGroup();
                out.startField("element", 0);
                out.startGroup();
                if (v.length > 0) {
                    out.startField("list", 0);
                    for (float x : v) {
                        out.startGroup();
                        out.startField("element", 0);
                        out.addFloat(x);
                        out.endField("element", 0);
                        out.endGroup();
                    }
                    out.endField("list", 0);
                }
                out.endGroup();
                out.endField("element", 0);
                out.endGroup();
            }
            out.endField("list", 0);
        }
        out.endGroup();
        out.endField(name, index);
    }
}
