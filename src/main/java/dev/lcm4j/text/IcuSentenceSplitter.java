package dev.lcm4j.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import dev.lcm4j.concepts.Languages;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * ICU4J's Unicode sentence boundaries (UAX #29 with CLDR's {@code ss=standard} suppressions for the language), then
 * lcm4j's per-language repairs of breaks ICU gets wrong in running text: after titles and common abbreviations
 * ("Dr.", "Mrs.", "z. B.", "Prof."), after initials, and after German-style ordinals ("am 3. Oktober", "die 2.
 * Bundesliga"). Chinese and Japanese work out of the box (。！？). Text without punctuation is never split here; the
 * pipeline's length budget splits it.
 */
public final class IcuSentenceSplitter implements SentenceSplitter {
    private static final Map<String, String> ISO3_TO_2 = new ConcurrentHashMap<>();

    static {
        for (String l : Locale.getISOLanguages()) {
            try {
                ISO3_TO_2.put(new Locale(l).getISO3Language(), l);
            } catch (java.util.MissingResourceException ignored) {
                // a language without a 3-letter code: not a FLORES language
            }
        }
    }

    // Abbreviations after which a period does not end a sentence, without the period, case-sensitive.
    private static final Map<String, Set<String>> ABBREVIATIONS = Map.of(
            "en", Set.of("Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Gen", "Col", "Lt", "Sgt", "Capt", "Cmdr",
                    "Rev", "Hon", "Gov", "Sen", "Rep", "Pres", "approx", "vs", "Fig", "fig", "Nos", "e.g", "i.e", "cf", "ca"),
            "de", Set.of("Dr", "Prof", "Hr", "Fr", "Hrn", "bzw", "ca", "vgl", "Nr", "Abs", "Art", "Bd", "Str", "evtl", "ggf",
                    "inkl", "sog", "zzgl", "d.h", "z.B", "u.a", "o.ä", "Dipl", "Ing", "Mio", "Mrd", "Jh", "St"),
            "fr", Set.of("M", "MM", "Mme", "Mmes", "Mlle", "Dr", "Pr", "Me", "St", "Ste", "cf", "env", "art", "p.ex", "ex"),
            "es", Set.of("Sr", "Sra", "Srta", "Dr", "Dra", "Ud", "Uds", "D", "Dña", "art", "pág", "aprox", "p.ej", "etc"),
            "it", Set.of("Sig", "Sigg", "Dott", "Dr", "Prof", "Avv", "Ing", "art", "pag", "ecc", "es"),
            "nl", Set.of("dhr", "mevr", "Dr", "Prof", "bijv", "blz", "ca", "dr", "ir", "mr", "nr", "o.a", "resp", "t.a.v", "m.b.t"),
            "pt", Set.of("Sr", "Sra", "Dr", "Dra", "Prof", "art", "pág", "p.ex", "Exmo", "Exma"));

    // Languages that write ordinals as a number and a period ("3. Oktober").
    private static final Set<String> ORDINAL_DOT = Set.of("de", "da", "no", "nb", "nn", "fi", "et", "cs", "sk", "sl", "hr",
            "sr", "bs", "hu", "pl", "lv", "lt", "is", "fo", "tr");
    private static final Pattern ORDINAL = Pattern.compile("\\d{1,2}\\.");

    private final Map<String, BreakIterator> prototypes = new ConcurrentHashMap<>();

    @Override
    public List<String> split(String text, String lang) {
        String iso2 = iso2(lang);
        // Break iterators are not thread-safe: each call works on its own clone of the language's prototype.
        BreakIterator it = (BreakIterator) prototypes.computeIfAbsent(iso2,
                l -> BreakIterator.getSentenceInstance(new ULocale(l + "@ss=standard"))).clone();
        it.setText(text);
        List<String> pieces = new ArrayList<>();
        for (int s = it.first(), e = it.next(); e != BreakIterator.DONE; s = e, e = it.next()) pieces.add(text.substring(s, e));
        // Merge pieces across breaks that follow an abbreviation, an initial or an ordinal.
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String p : pieces) {
            if (cur.length() > 0 && !keepsBreak(cur, p, iso2)) {
                cur.append(p);
                continue;
            }
            if (cur.length() > 0) out.add(cur.toString());
            cur = new StringBuilder(p);
        }
        if (cur.length() > 0) out.add(cur.toString());
        List<String> stripped = new ArrayList<>(out.size());
        for (String s : out) {
            String t = s.strip();
            if (!t.isEmpty()) stripped.add(t);
        }
        return stripped;
    }

    /** False when the break between {@code before} and {@code after} is one of the known false breaks. */
    private static boolean keepsBreak(CharSequence before, String after, String iso2) {
        String prev = before.toString().stripTrailing();
        if (!prev.endsWith(".") || prev.endsWith("..")) return true;
        int sp = Math.max(prev.lastIndexOf(' '), Math.max(prev.lastIndexOf('\n'), prev.lastIndexOf('(')));
        String token = prev.substring(sp + 1);
        String next = after.stripLeading();
        if (next.isEmpty()) return true;
        int first = next.codePointAt(0);
        if (Character.isLowerCase(first)) return false; // sentences do not start in lower case
        Set<String> abbr = ABBREVIATIONS.get(iso2);
        String bare = token.substring(0, token.length() - 1);
        if (abbr != null && abbr.contains(bare)) return false;
        // A single letter and a period: an initial ("J. K. Rowling") or part of "z. B.", "d. h.", "p. ex.".
        if (bare.length() == 1 && Character.isLetter(bare.charAt(0)) && !isSentenceStartWord(next)) return false;
        if (ORDINAL_DOT.contains(iso2) && ORDINAL.matcher(token).matches() && Character.isLetter(first)) return false;
        return true;
    }

    /** Words that typically open a sentence after an initial-like token ("... plan B. The next ..."). */
    private static boolean isSentenceStartWord(String next) {
        String w = next.split("[\\s,;:]", 2)[0];
        return Set.of("The", "This", "That", "These", "It", "We", "I", "He", "She", "They", "Der", "Die", "Das", "Es", "Wir", "Ich")
                .contains(w);
    }

    /** ISO 639-1 code of a FLORES-200 code (zho_Hans gives zh), or the 3-letter code when there is none. */
    static String iso2(String floresCode) {
        String iso3 = Languages.iso3(floresCode);
        if (iso3.equals("zho") || iso3.equals("yue")) return "zh";
        if (iso3.equals("arb")) return "ar";
        if (iso3.equals("pes")) return "fa";
        return ISO3_TO_2.getOrDefault(iso3, iso3);
    }
}
