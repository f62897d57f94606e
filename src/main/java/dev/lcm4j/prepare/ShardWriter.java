package dev.lcm4j.prepare;

import dev.lcm4j.data.LcmParquetWriter;
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
 * Writes one shard's documents of one split as a parquet file in the reference's prepare layout: {@code id} (string),
 * the text column {@code <c>} (string), {@code <c>_sentences} ({@code list<string>}) and
 * {@code <c>_sentences_sonar_emb} ({@code list<list<float>>}, the 3-level LIST layout pyarrow writes for
 * {@code list<fixed_size_list<float>[D]>}, which {@link dev.lcm4j.data.LcmParquetReader} reads). The vector column
 * keeps the reference's {@code _sonar_emb} suffix whatever the encoder, because datacards and recipes name columns
 * that way; the datacard's {@code concept_encoder} says which space the vectors are in. The file is written under a
 * temporary name and renamed when complete.
 */
final class ShardWriter {
    private ShardWriter() {
    }

    static void write(Path target, OutputColumns cols, int rowGroupRows, List<PreparedDocument> docs) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(target.getParent());
            try (ParquetWriter<PreparedDocument> w = new Builder(new LocalOutputFile(tmp), cols)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .withRowGroupRowCountLimit(rowGroupRows)
                    .withRowGroupSize(512L << 20)
                    .withDictionaryEncoding(false)
                    .build()) {
                for (PreparedDocument d : docs) w.write(d);
            }
            AtomicFiles.move(tmp, target);
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Output column names derived from the input's text column name. */
    record OutputColumns(String id, String text, String sentences, String embeddings) {
        static OutputColumns of(String textColumn) {
            String t = textColumn.matches("[A-Za-z_][A-Za-z0-9_]*") && !textColumn.equals("id") ? textColumn : "text";
            return new OutputColumns("id", t, t + "_sentences", t + "_sentences_sonar_emb");
        }

        MessageType schema() {
            return MessageTypeParser.parseMessageType("message lcm {\n"
                    + "  optional binary " + id + " (STRING);\n"
                    + "  optional binary " + text + " (STRING);\n"
                    + "  optional group " + sentences + " (LIST) { repeated group list { optional binary element (STRING); } }\n"
                    + "  optional group " + embeddings + " (LIST) { repeated group list { optional group element (LIST) {"
                    + " repeated group list { optional float element; } } } }\n}");
        }
    }

    private static final class Builder extends ParquetWriter.Builder<PreparedDocument, Builder> {
        private final OutputColumns cols;

        Builder(OutputFile file, OutputColumns cols) {
            super(file);
            this.cols = cols;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<PreparedDocument> getWriteSupport(Configuration conf) {
            return new Support(cols);
        }
    }

    /** One document as one record through parquet's event API. */
    private static final class Support extends WriteSupport<PreparedDocument> {
        private final OutputColumns cols;
        private RecordConsumer out;

        Support(OutputColumns cols) {
            this.cols = cols;
        }

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(cols.schema(), new HashMap<>());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            out = recordConsumer;
        }

        @Override
        public void write(PreparedDocument d) {
            out.startMessage();
            scalar(cols.id(), 0, d.id());
            scalar(cols.text(), 1, d.text());
            LcmParquetWriter.strings(out, cols.sentences(), 2, d.sentences());
            LcmParquetWriter.vectors(out, cols.embeddings(), 3, d.embeddings());
            out.endMessage();
        }

        private void scalar(String name, int index, String value) {
            if (value == null) return;
            out.startField(name, index);
            out.addBinary(Binary.fromString(value));
            out.endField(name, index);
        }
    }
}
