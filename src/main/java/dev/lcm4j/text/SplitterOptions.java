package dev.lcm4j.text;

import dev.lcm4j.LcmException;
import java.util.List;

/**
 * The pipeline around a raw splitter, with the reference's {@code SentenceSplitterConfig} defaults.
 *
 * @param maxSentenceLen   sentences of this many code points or more are re-split; none longer comes out
 * @param minTextLength    texts of at most this many code points are kept whole (not split)
 * @param removeEmojis     drop emoji blocks before splitting (on in the reference pipeline)
 * @param deescape         decode backslash escapes ({@code \n}, {@code \u00e9}) first (off, as in the reference)
 * @param removeNonPrintable keep printable ASCII only (off; only sensible for ASCII text)
 * @param fallbackSeparators separators tried in order to cut over-long sentences
 * @param satThreshold     SaT newline probability above which a sentence ends (LCM uses 0.01)
 * @param dropNonAlphanumeric drop "sentences" without any letter or digit, such as a lone "." (on; the reference's
 *                         data-prep pipeline keeps them, its evaluation splitter drops them; they carry no content;
 *                         docs/quirks.md #33)
 */
public record SplitterOptions(int maxSentenceLen, int minTextLength, boolean removeEmojis, boolean deescape,
                              boolean removeNonPrintable, List<String> fallbackSeparators, double satThreshold,
                              boolean dropNonAlphanumeric) {

    public static final List<String> DEFAULT_SEPARATORS =
            List.of("...", "\n", "!", "?", ";", ":", ".", ",", "\t", " ");

    public static final SplitterOptions DEFAULT =
            new SplitterOptions(256, 10, true, false, false, DEFAULT_SEPARATORS, 0.01, true);

    public SplitterOptions {
        if (maxSentenceLen < 1) throw new LcmException("sentence splitter: maxSentenceLen must be >= 1, got " + maxSentenceLen);
        if (minTextLength < 0) throw new LcmException("sentence splitter: minTextLength must be >= 0, got " + minTextLength);
        fallbackSeparators = List.copyOf(fallbackSeparators);
        if (fallbackSeparators.stream().anyMatch(String::isEmpty))
            throw new LcmException("sentence splitter: fallback separators must not be empty strings");
        if (!(satThreshold > 0 && satThreshold < 1))
            throw new LcmException("sentence splitter: SaT threshold must be in (0, 1), got " + satThreshold);
    }

    public SplitterOptions withMaxSentenceLen(int n) {
        return new SplitterOptions(n, minTextLength, removeEmojis, deescape, removeNonPrintable, fallbackSeparators, satThreshold, dropNonAlphanumeric);
    }

    public SplitterOptions withDropNonAlphanumeric(boolean b) {
        return new SplitterOptions(maxSentenceLen, minTextLength, removeEmojis, deescape, removeNonPrintable, fallbackSeparators, satThreshold, b);
    }

    public SplitterOptions withSatThreshold(double t) {
        return new SplitterOptions(maxSentenceLen, minTextLength, removeEmojis, deescape, removeNonPrintable, fallbackSeparators, t, dropNonAlphanumeric);
    }
}
