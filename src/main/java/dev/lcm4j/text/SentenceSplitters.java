package dev.lcm4j.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.List;

/** Builds sentence splitters by name, as {@code prepare --splitter} and the cards name them. */
public final class SentenceSplitters {
    public static final String DEFAULT = "icu";

    private SentenceSplitters() {
    }

    public static SentenceSplitter create(String spec) {
        if (spec.equals("icu")) {
            return (text, lang) -> {
                BreakIterator it = BreakIterator.getSentenceInstance(ULocale.ROOT);
                it.setText(text);
                List<String> out = new ArrayList<>();
                for (int s = it.first(), e = it.next(); e != BreakIterator.DONE; s = e, e = it.next()) {
                    String piece = text.substring(s, e).strip();
                    if (!piece.isEmpty()) out.add(piece);
                }
                return out;
            };
        }
        throw new LcmException("unknown sentence splitter '" + spec + "'; use icu");
    }
}
