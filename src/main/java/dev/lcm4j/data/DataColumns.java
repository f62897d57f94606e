package dev.lcm4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which parquet columns hold what. Embedding columns are {@code list<list<float>>} (or Arrow's
 * {@code list<fixed_size_list<float>[D]>}, stored the same way in parquet); text columns are {@code list<string>}.
 * Only {@code source} is mandatory, matching the reference datacards where text and target columns are optional.
 */
public record DataColumns(String source, String sourceText, String target, String targetText, String id) {

    public DataColumns {
        Objects.requireNonNull(source, "source column");
    }

    /** The reference's default layout: {@code <text>_sentences} and {@code <text>_sentences_sonar_emb}. */
    public static DataColumns sonar(String textSentencesColumn) {
        return new DataColumns(textSentencesColumn + "_sonar_emb", textSentencesColumn, null, null, null);
    }

    public DataColumns withId(String idColumn) {
        return new DataColumns(source, sourceText, target, targetText, idColumn);
    }

    public DataColumns withTarget(String targetColumn, String targetTextColumn) {
        return new DataColumns(source, sourceText, targetColumn, targetTextColumn, id);
    }

    public boolean hasTarget() {
        return target != null;
    }

    /** Column names in file order: id, source text, source vectors, target text, target vectors (nulls skipped). */
    public List<String> all() {
        List<String> out = new ArrayList<>();
        for (String c : new String[] {id, sourceText, source, targetText, target}) if (c != null) out.add(c);
        return out;
    }
}
