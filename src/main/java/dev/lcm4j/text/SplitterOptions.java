package dev.lcm4j.text;

import java.util.List;

/**
 * The clean-up and length rules around a sentence splitter, with the reference's {@code SentenceSplitterConfig}
 * defaults.
 *
 * @param maxSentenceLen      no output sentence is longer (code points); longer ones are re-split (default 256)
 * @param minTextLength       texts this short or shorter are kept whole as one sentence (default 10)
 * @param removeEmojis        remove emojis first (default true; see {@link TextCleaning#removeEmojisKeepingText})
 * @param deescape            turn backslash escapes into characters first (default false, as the reference pipeline)
 * @param removeNonPrintable  keep printable ASCII only (default false; it would delete every non-English letter)
 * @param dropNonAlphanumeric drop "sentences" without any letter or digit, such as a lone "." (default true; the
 *                            reference's data-prep pipeline keeps them, its evaluation splitter drops them)
 * @param fallbackSeparators  separators tried in order to re-split over-long sentences
 * @param satThreshold        newline-probability threshold of SaT splitting (the LCM default 0.01)
 */
public record SplitterOptions(int maxSentenceLen, int minTextLength, boolean removeEmojis, boolean deescape,
                              boolean removeNonPrintable, boolean dropNonAlphanumeric, List<String> fallbackSeparators,
                              double satThreshold) {
    public static final List<String> REFERENCE_SEPARATORS = List.of("...", "\n", "!", "?", ";", ":", ".", ",", "\t", " ");
    public static final SplitterOptions DEFAULTS = new SplitterOptions(256, 10, true, false, false, true, REFERENCE_SEPARATORS, 0.01);

    public SplitterOptions {
        if (maxSentenceLen < 8) throw new dev.lcm4j.LcmException("max sentence length " + maxSentenceLen + " is too small; use at least 8 characters");
        fallbackSeparators = List.copyOf(fallbackSeparators);
    }

    public SplitterOptions withMaxSentenceLen(int n) {
        return new SplitterOptions(n, minTextLength, removeEmojis, deescape, removeNonPrintable, dropNonAlphanumeric, fallbackSeparators, satThreshold);
    }
}
