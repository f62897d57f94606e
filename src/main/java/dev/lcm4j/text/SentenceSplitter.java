package dev.lcm4j.text;

import java.util.List;

/**
 * Splits a document into sentences. Implementations are safe to call from several threads. {@code lang} is a
 * FLORES-200 code ({@code eng_Latn}); splitters use it to pick abbreviation rules or models.
 */
public interface SentenceSplitter {
    List<String> split(String text, String lang);
}
