package dev.lcm4j.text;

import dev.lcm4j.text.Languages;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference pipeline around a raw splitter ({@code lcm/datasets/sentence_splitter_pipeline.py}): clean, keep
 * short texts whole, split, strip, drop empties, re-split sentences of {@code maxSentenceLen} or more, then cut
 * them with each fallback separator in turn. The output is final: stripped, non-empty, none longer than the maximum.
 */
final class SplitPipeline implements SentenceSplitter {
    private final RawSplitter raw;
    private final SplitterOptions options;

    SplitPipeline(RawSplitter raw, SplitterOptions options) {
        this.raw = raw;
        this.options = options;
    }

    @Override
    public List<String> split(String text, String lang) {
        Languages.check(lang);
        if (text == null) throw new IllegalArgumentException("text is null");
        if (options.deescape()) text = TextCleaning.deescape(text);
        if (options.removeNonPrintable()) text = TextCleaning.removeNonPrintable(text);
        if (options.removeEmojis()) text = TextCleaning.removeEmojis(text);

        List<String> sentences = new ArrayList<>();
        if (TextCleaning.pyLen(text) <= options.minTextLength()) {
            addStripped(sentences, text);
        } else {
            for (String s : raw.segment(text, lang)) addStripped(sentences, s);
        }

        int max = options.maxSentenceLen();
        List<String> out = new ArrayList<>(sentences.size());
        for (String s : sentences) {
            if (TextCleaning.pyLen(s) < max) {
                out.add(s);
                continue;
            }
            List<String> pieces = new ArrayList<>();
            for (String p : raw.resplitLong(s, lang, max)) addStripped(pieces, p);
            for (String sep : options.fallbackSeparators()) {
                List<String> next = new ArrayList<>();
                for (String p : pieces) for (String q : TextCleaning.resplit(p, max, sep)) addStripped(next, q);
                pieces = next;
            }
            // Last resort when not even a space separates words (a long URL, unspaced script): a plain cut every
            // max code points, so that no sentence ever exceeds the limit downstream encoders rely on (the reference
            // leaves such pieces over-long; docs/quirks.md #34).
            for (String p : pieces) {
                if (TextCleaning.pyLen(p) <= max) out.add(p);
                else for (String q : cut(p, max)) addStripped(out, q);
            }
        }
        if (options.dropNonAlphanumeric()) out.removeIf(TextCleaning::hasNoAlnum);
        return out;
    }

    private static void addStripped(List<String> out, String s) {
        String t = TextCleaning.pyStrip(s);
        if (!t.isEmpty()) out.add(t);
    }

    private static List<String> cut(String s, int max) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int end = s.offsetByCodePoints(i, Math.min(max, s.codePointCount(i, s.length())));
            out.add(s.substring(i, end));
            i = end;
        }
        return out;
    }
}
