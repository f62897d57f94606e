package dev.lcm4j.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import dev.lcm4j.text.Languages;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.MissingResourceException;

/**
 * ICU4J sentence breaks for the language's locale (UAX #29), plus lcm4j's own per-language lists ({@link Abbreviations}): a break is dropped when the text before it ends with a
 * listed abbreviation, when a multi-part abbreviation ({@code z. B.}) spans it, or, in ordinal-dot languages, after
 * a number when the next word is lower-case or a month ({@code am 3. Oktober}).
 *
 * <p>CLDR's {@code ss=standard} suppressions are deliberately not used: ICU matches them as bare suffixes of the word
 * before the period, so German "ber." glued "Herr Weber. Die Sitzung ..." into one sentence, and the English list
 * holds words that often end sentences ("OK.", "Job."). lcm4j's lists match whole words.
 */
final class IcuSplitter implements RawSplitter {
    /** BreakIterators are not thread-safe: one prototype per locale, cloned per call. */
    private final Map<String, BreakIterator> prototypes = new ConcurrentHashMap<>();

    @Override
    public List<String> segment(String text, String lang) {
        BreakIterator it = (BreakIterator) prototypes.computeIfAbsent(lang, IcuSplitter::newIterator).clone();
        Abbreviations abbr = Abbreviations.forLanguage(Languages.iso3(lang));
        it.setText(text);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int b = it.next(); b != BreakIterator.DONE; b = it.next()) {
            if (b < text.length() && abbr.suppressBreak(text, start, b)) continue;
            out.add(text.substring(start, b));
            start = b;
        }
        if (start < text.length()) out.add(text.substring(start));
        return out;
    }

    private static BreakIterator newIterator(String lang) {
        return BreakIterator.getSentenceInstance(locale(lang));
    }

    /** FLORES {@code deu_Latn} to ICU {@code de_Latn}; ICU falls back to root rules for others. */
    static ULocale locale(String lang) {
        String iso3 = Languages.iso3(lang);
        String script = lang.substring(4);
        String two = ISO3_TO_2.getOrDefault(iso3, iso3);
        return new ULocale(two + "_" + script);
    }

    private static final Map<String, String> ISO3_TO_2 = new ConcurrentHashMap<>();

    static {
        for (String two : Locale.getISOLanguages()) {
            try {
                ISO3_TO_2.putIfAbsent(new Locale(two).getISO3Language(), two);
            } catch (MissingResourceException ignored) {
                // a two-letter code without a three-letter form: nothing to map
            }
        }
        // FLORES uses macrolanguage members where ISO 639-1 names the macrolanguage
        ISO3_TO_2.put("zho", "zh");
        ISO3_TO_2.put("cmn", "zh");
        ISO3_TO_2.put("arb", "ar");
        ISO3_TO_2.put("pes", "fa");
        ISO3_TO_2.put("zsm", "ms");
        ISO3_TO_2.put("swh", "sw");
        ISO3_TO_2.put("ekk", "et");
        ISO3_TO_2.put("lvs", "lv");
        ISO3_TO_2.put("khk", "mn");
        ISO3_TO_2.put("npi", "ne");
        ISO3_TO_2.put("ory", "or");
        ISO3_TO_2.put("uzn", "uz");
        ISO3_TO_2.put("plt", "mg");
        ISO3_TO_2.put("gaz", "om");
        ISO3_TO_2.put("azj", "az");
        ISO3_TO_2.put("als", "sq");
        ISO3_TO_2.put("ydd", "yi");
        ISO3_TO_2.put("quy", "qu");
    }
}
