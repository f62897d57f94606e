package dev.lcm4j.prepare;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.LcmParquetWriter;
import dev.lcm4j.data.LcmParquetWriter.Column;
import java.nio.file.Path;
import java.util.List;

/**
 * The columns {@code ./lcm prepare} writes, named after the input's text column {@code <c>}: {@code id} (string),
 * {@code <c>} (the document's text), {@code <c>_sentences} and {@code <c>_sentences_sonar_emb}. The vector column keeps
 * the reference's {@code _sonar_emb} suffix whatever the encoder, because datacards and recipes name columns that
 * way; the datacard's {@code concept_encoder} says which space the vectors are in.
 */
record OutputColumns(String id, String text, String sentences, String embeddings) {
    static OutputColumns of(String textColumn) {
        String t = textColumn.matches("[A-Za-z_][A-Za-z0-9_]*") && !textColumn.equals("id") ? textColumn : "text";
        return new OutputColumns("id", t, t + "_sentences", t + "_sentences_sonar_emb");
    }

    /** The columns as the dataset's datacard declares them (the loader does not read the text column). */
    DataColumns dataColumns() {
        return new DataColumns(embeddings, sentences, null, null, id);
    }

    /** Writes one shard's documents of one split (atomically, through the one LCM parquet writer). */
    void write(Path target, int rowGroupRows, List<PreparedDocument> docs) {
        List<Column<PreparedDocument>> columns = List.of(
                Column.string(id, PreparedDocument::id),
                Column.string(text, PreparedDocument::text),
                Column.strings(sentences, PreparedDocument::sentences),
                Column.vectors(embeddings, PreparedDocument::embeddings));
        try (LcmParquetWriter<PreparedDocument> w = new LcmParquetWriter<>(target, columns, 0, rowGroupRows)) {
            for (PreparedDocument d : docs) w.write(d);
        }
    }
}
