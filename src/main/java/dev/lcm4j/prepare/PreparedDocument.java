package dev.lcm4j.prepare;

import java.util.List;

/** One output row: the document's id and text, its sentences and one concept vector per sentence. */
record PreparedDocument(String id, String text, List<String> sentences, float[][] embeddings) {
}
