package dev.lcm4j.prepare;

import java.util.List;

/**
 * One output row: the document's id and text, its sentences and one concept vector per sentence; with a target
 * column also the target's text, sentences and vectors (else those three are {@code null}).
 */
record PreparedDocument(String id, String text, List<String> sentences, float[][] embeddings,
                        String targetText, List<String> targetSentences, float[][] targetEmbeddings) {
}
