package dev.lcm4j.data;

import java.util.List;

/**
 * One row of an LCM dataset: a document as a list of sentences and one concept vector per sentence, plus an optional
 * target side (supervised data such as prompt → answer). Lists may be {@code null} when the parquet cell was null; the
 * loader drops such rows like the reference's {@code drop_null}.
 *
 * @param id               value of the id column, or {@code null} when none is configured
 * @param sentences        source sentences (texts), or {@code null} when no text column is configured
 * @param embeddings       source concept vectors, one per sentence
 * @param targetSentences  target sentences, or {@code null}
 * @param targetEmbeddings target concept vectors, or {@code null} for unsupervised data
 * @param dataset          name of the dataset (datacard) the row came from, or {@code null}
 */
public record Document(String id, List<String> sentences, float[][] embeddings, List<String> targetSentences,
                       float[][] targetEmbeddings, String dataset) {

    public Document(String id, List<String> sentences, float[][] embeddings) {
        this(id, sentences, embeddings, null, null, null);
    }

    /** "Tokens" in the LCM pipeline are sentences: source plus target vector counts. */
    public int length() {
        return count(embeddings) + count(targetEmbeddings);
    }

    public int sourceLength() {
        return count(embeddings);
    }

    public int targetLength() {
        return count(targetEmbeddings);
    }

    public boolean hasTarget() {
        return targetEmbeddings != null;
    }

    public Document withDataset(String name) {
        return new Document(id, sentences, embeddings, targetSentences, targetEmbeddings, name);
    }

    private static int count(float[][] v) {
        return v == null ? 0 : v.length;
    }
}
