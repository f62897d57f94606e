package dev.lcm4j.prepare;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.LcmParquetWriter;
import dev.lcm4j.data.LcmParquetWriter.Column;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The columns {@code ./lcm prepare} writes, named after the input's text column {@code <c>}: {@code id} (string),
 * {@code <c>} (the document's text), {@code <c>_sentences} and {@code <c>_sentences_sonar_emb}. The vector column keeps
 * the reference's {@code _sonar_emb} suffix whatever the encoder, because datacards and recipes name columns that
 * way; the datacard's {@code concept_encoder} says which space the vectors are in. With a target column {@code <t>}
 * the same three columns follow for it ({@code <t>}, {@code <t>_sentences}, {@code <t>_sentences_sonar_emb}), as the
 * reference's prepared evaluation data has them ({@code prompt_sentences_sonar_emb}, {@code answer_sentences_sonar_emb}).
 */
record OutputColumns(String id, String text, String sentences, String embeddings,
                     String targetText, String targetSentences, String targetEmbeddings) {
    static boolean isPlainName(String column) {
        return column.matches("[A-Za-z_][A-Za-z0-9_]*") && !column.equals("id");
    }

    static OutputColumns of(String textColumn, String targetColumn) {
        String t = isPlainName(textColumn) ? textColumn : "text";
        if (targetColumn == null) return new OutputColumns("id", t, t + "_sentences", t + "_sentences_sonar_emb", null, null, null);
        // SourceSpec refused target columns that are not plain names, so neither name was replaced here
        return new OutputColumns("id", t, t + "_sentences", t + "_sentences_sonar_emb",
                targetColumn, targetColumn + "_sentences", targetColumn + "_sentences_sonar_emb");
    }

    boolean hasTarget() {
        return targetEmbeddings != null;
    }

    /** The columns as the dataset's datacard declares them (the loader does not read the raw text columns). */
    DataColumns dataColumns() {
        return new DataColumns(embeddings, sentences, targetEmbeddings, targetSentences, id);
    }

    /** Writes one shard's documents of one split (atomically, through the one LCM parquet writer). */
    void write(Path target, int rowGroupRows, List<PreparedDocument> docs) {
        List<Column<PreparedDocument>> columns = new ArrayList<>(List.of(
                Column.string(id, PreparedDocument::id),
                Column.string(text, PreparedDocument::text),
                Column.strings(sentences, PreparedDocument::sentences),
                Column.vectors(embeddings, PreparedDocument::embeddings)));
        if (hasTarget()) {
            columns.add(Column.string(targetText, PreparedDocument::targetText));
            columns.add(Column.strings(targetSentences, PreparedDocument::targetSentences));
            columns.add(Column.vectors(targetEmbeddings, PreparedDocument::targetEmbeddings));
        }
        try (LcmParquetWriter<PreparedDocument> w = new LcmParquetWriter<>(target, columns, 0, rowGroupRows)) {
            for (PreparedDocument d : docs) w.write(d);
        }
    }
}
