package dev.lcm4j.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-language break suppressions from class-path resources {@code /dev/lcm4j/text/abbreviations/<iso3>.txt}: one
 * abbreviation a line ({@code Dr.}, {@code z. B.}); {@code #} starts a comment; {@code ordinal-dot} turns on the
 * ordinal rule, {@code ordinal-word: Oktober} lists words (months) after which an ordinal never ends a sentence, and
 * {@code ordinal-prefix: im} words (articles, contracted prepositions) after which a number with a dot is an ordinal
 * inside the sentence ({@code im 2. Band}).
 */
final class Abbreviations {
    private static final Map<String, Abbreviations> CACHE = new ConcurrentHashMap<>();
    private static final Abbreviations NONE = new Abbreviations(List.of(), false, Set.of(), Set.of());

    private final List<String> entries;
    private final boolean ordinalDot;
    private final Set<String> ordinalWords;
    private final Set<String> ordinalPrefixes;

    private Abbreviations(List<String> entries, boolean ordinalDot, Set<String> ordinalWords, Set<String> ordinalPrefixes) {
        this.entries = entries;
        this.ordinalDot = ordinalDot;
        this.ordinalWords = ordinalWords;
        this.ordinalPrefixes = ordinalPrefixes;
    }

    static Abbreviations forLanguage(String iso3) {
        return CACHE.computeIfAbsent(iso3, Abbreviations::load);
    }

    private static Abbreviations load(String iso3) {
        InputStream in = Abbreviations.class.getResourceAsStream("/dev/lcm4j/text/abbreviations/" + iso3 + ".txt");
        if (in == null) return NONE;
        List<String> entries = new ArrayList<>();
        Set<String> words = new HashSet<>();
        Set<String> prefixes = new HashSet<>();
        boolean ordinal = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                if (line.equals("ordinal-dot")) ordinal = true;
                else if (line.startsWith("ordinal-word:")) words.add(line.substring("ordinal-word:".length()).strip());
                else if (line.startsWith("ordinal-prefix:")) prefixes.add(line.substring("ordinal-prefix:".length()).strip());
                else entries.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Abbreviations(List.copyOf(entries), ordinal, Set.copyOf(words), Set.copyOf(prefixes));
    }

    /** Whether the break at {@code b} (segment started at {@code start}) falls inside or right after an abbreviation. */
    boolean suppressBreak(String text, int start, int b) {
        int end = b;
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) end--;
        if (end == start || text.charAt(end - 1) != '.') return false;
        for (String e : entries) {
            // entry ending right before the break: "Dr." | " Smith"
            if (end - e.length() >= 0 && text.startsWith(e, end - e.length()) && wordStart(text, end - e.length())) return true;
            // multi-part entry spanning the break: "z." | " B."
            if (e.indexOf(' ') > 0) {
                for (int s = Math.max(0, end - e.length()); s < end; s++) {
                    if (s + e.length() > b && text.startsWith(e, s) && wordStart(text, s)) return true;
                }
            }
        }
        if (!ordinalDot) return false;
        int digitsStart = ordinalStart(text, start, end);
        return digitsStart >= 0 && (ordinalContext(text, b) || ordinalPrefixes.contains(wordBefore(text, start, digitsStart)));
    }

    /** The word right before position {@code i} (skipping one run of spaces), or "" if none. */
    private static String wordBefore(String text, int start, int i) {
        int e = i;
        while (e > start && Character.isWhitespace(text.charAt(e - 1))) e--;
        int s = e;
        while (s > start && Character.isLetter(text.charAt(s - 1))) s--;
        return text.substring(s, e);
    }

    private static boolean wordStart(String text, int i) {
        return i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1)) && text.charAt(i - 1) != '.';
    }

    /** "… 3." : one to four digits then the dot at {@code end - 1}, preceded by a non-word character; -1 if not. */
    private static int ordinalStart(String text, int start, int end) {
        int i = end - 1;
        int d = i;
        while (d > start && Character.isDigit(text.charAt(d - 1))) d--;
        int digits = i - d;
        return digits >= 1 && digits <= 4 && wordStart(text, d) ? d : -1;
    }

    private boolean ordinalContext(String text, int b) {
        int i = b;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
        if (i >= text.length()) return false;
        if (Character.isLowerCase(text.codePointAt(i))) return true;
        int j = i;
        while (j < text.length() && Character.isLetter(text.charAt(j))) j++;
        return ordinalWords.contains(text.substring(i, j));
    }
}
