package dev.lcm4j.text;

import java.util.List;

/**
 * A segmenter without the cleaning pipeline: returns the pieces of {@code text} as found (whitespace and empties
 * allowed). Thread-safe. {@link SplitPipeline} turns it into a {@link SentenceSplitter}.
 */
interface RawSplitter {
    List<String> segment(String text, String lang);

    /**
     * Re-splits one over-long sentence before the separator fallback. The default returns it unchanged (ICU and
     * OpenNLP go straight to the separators); SaT cuts at its most likely boundaries as the reference does.
     */
    default List<String> resplitLong(String sentence, String lang, int maxLen) {
        return List.of(sentence);
    }
}
