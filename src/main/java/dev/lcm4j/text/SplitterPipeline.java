package dev.lcm4j.text;

import dev.lcm4j.concepts.Languages;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference's sentence-splitting procedure around any splitter (its {@code SentenceSplitterConfig} pipeline):
 * clean, keep very short texts whole, split, strip and drop empty pieces, re-split sentences of
 * {@code maxSentenceLen} or more (first at the splitter's own best internal boundaries when it has probabilities,
 * as SaT, then with each fallback separator in turn), and finally cut whatever is still too long at the budget (a
 * last resort for text without separators, which the reference would leave over-long).
 */
public final class SplitterPipeline implements SentenceSplitter {
    private final SentenceSplitter base;
    private final SplitterOptions options;

    public SplitterPipeline(SentenceSplitter base, SplitterOptions options) {
        this.base = base;
        this.options = options;
    }

    public SplitterOptions options() {
        return options;
    }

    @Override
    public List<String> split(String text, String lang) {
        Languages.check(lang);
        String t = text;
        if (options.removeEmojis()) t = TextCleaning.removeEmojisKeepingText(t);
        if (options.deescape()) t = TextCleaning.deescapeSpecialChars(t);
        if (options.removeNonPrintable()) t = TextCleaning.removeNonPrintableChars(t);
        List<String> sentences;
        if (TextCleaning.length(t) <= options.minTextLength()) {
            sentences = t.isBlank() ? List.of() : List.of(t.strip());
        } else {
            sentences = new ArrayList<>();
            for (String s : base.split(t, lang)) {
                String st = s.strip();
                if (!st.isEmpty()) sentences.add(st);
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : sentences) {
            if (TextCleaning.length(s) >= options.maxSentenceLen()) out.addAll(resplitLong(s, lang));
            else out.add(s);
        }
        if (options.dropNonAlphanumeric()) out.removeIf(TextCleaning::filterEmptyString);
        return out;
    }

    private List<String> resplitLong(String sentence, String lang) {
        List<String> pieces = base instanceof SatSentenceSplitter sat
                ? sat.splitAtTopBoundaries(sentence, options.maxSentenceLen())
                : List.of(sentence);
        for (String sep : options.fallbackSeparators()) {
            List<String> next = new ArrayList<>();
            for (String p : pieces) {
                for (String sub : TextCleaning.resplit(p, options.maxSentenceLen(), sep)) next.add(sub.strip());
            }
            pieces = next;
        }
        List<String> out = new ArrayList<>();
        for (String p : pieces) {
            if (p.isEmpty()) continue;
            out.addAll(hardCut(p, options.maxSentenceLen()));
        }
        return out;
    }

    /** Cuts at the budget, on code-point boundaries: only text with no separator at all gets here. */
    static List<String> hardCut(String s, int max) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int end = s.offsetByCodePoints(i, Math.min(max, s.codePointCount(i, s.length())));
            String piece = s.substring(i, end).strip();
            if (!piece.isEmpty()) out.add(piece);
            i = end;
        }
        return out;
    }
}
