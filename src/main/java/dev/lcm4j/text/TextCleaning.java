package dev.lcm4j.text;

import com.ibm.icu.lang.UCharacter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The cleaning steps of the reference ({@code lcm/datasets/sentence_splitting.py}), ported with Python's semantics:
 * lengths count code points as Python's {@code len} does, not UTF-16 units.
 */
public final class TextCleaning {
    private TextCleaning() {
    }

    /**
     * The reference's emoji ranges, verbatim. Note its {@code U+24C2..U+1F251} range also covers CJK, kana, Hangul and
     * many symbols, so the reference's {@code remove_emojis} deletes all Chinese and Japanese text.
     */
    private static final Pattern REFERENCE_EMOJIS = Pattern.compile("["
            + "\\x{1F600}-\\x{1F64F}\\x{1F300}-\\x{1F5FF}\\x{1F680}-\\x{1F6FF}\\x{1F1E0}-\\x{1F1FF}"
            + "\\x{2702}-\\x{27B0}\\x{24C2}-\\x{1F251}"
            + "\\x{1F900}-\\x{1F9FF}\\x{1F700}-\\x{1F77F}\\x{1F780}-\\x{1F7FF}\\x{1F800}-\\x{1F8FF}"
            + "\\x{1FA00}-\\x{1FA6F}\\x{1FA70}-\\x{1FAFF}\\x{1F6C0}-\\x{1F6CF}\\x{1F6D0}-\\x{1F6D5}\\x{1F6F0}-\\x{1F6FA}"
            + "]+");

    /**
     * The same emoji blocks with the over-broad {@code U+24C2..U+1F251} range replaced by the emoji blocks it was meant
     * to catch (circled M, miscellaneous symbols, stars, mahjong/cards, enclosed alphanumerics and ideographs,
     * variation selector 16), so letters of every script survive. The pipeline uses this one (docs/quirks.md #32).
     */
    private static final Pattern EMOJIS = Pattern.compile("["
            + "\\x{1F600}-\\x{1F64F}\\x{1F300}-\\x{1F5FF}\\x{1F680}-\\x{1F6FF}\\x{1F1E0}-\\x{1F1FF}"
            + "\\x{2702}-\\x{27B0}\\x{24C2}\\x{2600}-\\x{26FF}\\x{2B50}\\x{2B55}\\x{1F000}-\\x{1F251}\\x{FE0F}"
            + "\\x{1F900}-\\x{1F9FF}\\x{1F700}-\\x{1F77F}\\x{1F780}-\\x{1F7FF}\\x{1F800}-\\x{1F8FF}"
            + "\\x{1FA00}-\\x{1FA6F}\\x{1FA70}-\\x{1FAFF}"
            + "]+");

    private static final Pattern NON_PRINTABLE = Pattern.compile("[^\\x20-\\x7E]");

    /** {@code remove_emojis} exactly as the reference (deletes CJK too, see {@link #REFERENCE_EMOJIS}). */
    public static String removeEmojisReference(String text) {
        return REFERENCE_EMOJIS.matcher(text).replaceAll("");
    }

    /** Emoji removal that keeps the letters of every script (the reference's blocks without its CJK-eating range). */
    public static String removeEmojis(String text) {
        return EMOJIS.matcher(text).replaceAll("");
    }

    /** {@code remove_non_printable_chars}: keeps printable ASCII only (so it is for ASCII text only). */
    public static String removeNonPrintable(String text) {
        return NON_PRINTABLE.matcher(text).replaceAll("");
    }

    /** {@code filter_empty_string}: true when the text has no letter or digit (Python's {@code str.isalnum}). */
    public static boolean hasNoAlnum(String text) {
        return text.codePoints().noneMatch(c -> Character.isLetterOrDigit(c) || UCharacter.isDigit(c)
                || Character.getType(c) == Character.LETTER_NUMBER || Character.getType(c) == Character.OTHER_NUMBER);
    }

    /**
     * {@code deescape_special_chars}: Python's {@code unicode_escape} decoding ({@code \n \t \r \\ \' \" \a \b \f \v},
     * {@code \ooo}, {@code \xhh}, {@code \\uXXXX}, {@code \UXXXXXXXX}, {@code \N{NAME}}, backslash-newline removed,
     * unknown escapes kept). Two deliberate differences: non-ASCII characters are kept as they are (Python re-reads
     * them as Latin-1 bytes and produces mojibake), and a malformed escape is kept verbatim instead of raising.
     */
    public static String deescape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c != '\\' || i + 1 >= n) {
                out.append(c);
                continue;
            }
            char e = text.charAt(i + 1);
            int consumed = 2;
            switch (e) {
                case '\n' -> { }
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000B');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int cp = hex(text, i + 2, digits);
                    if (cp < 0 || cp > Character.MAX_CODE_POINT) {
                        out.append(c).append(e);
                    } else {
                        out.appendCodePoint(cp);
                        consumed = 2 + digits;
                    }
                }
                case 'N' -> {
                    int close = i + 2 < n && text.charAt(i + 2) == '{' ? text.indexOf('}', i + 3) : -1;
                    int cp = close < 0 ? -1 : UCharacter.getCharFromName(text.substring(i + 3, close));
                    if (cp < 0) {
                        out.append(c).append(e);
                    } else {
                        out.appendCodePoint(cp);
                        consumed = close + 1 - i;
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = 0, k = i + 1;
                        while (k < n && k < i + 4 && text.charAt(k) >= '0' && text.charAt(k) <= '7') {
                            v = v * 8 + (text.charAt(k) - '0');
                            k++;
                        }
                        out.append((char) (v & 0x1FF));
                        consumed = k - i;
                    } else {
                        out.append(c).append(e);
                    }
                }
            }
            i += consumed - 1;
        }
        return out.toString();
    }

    private static int hex(String s, int from, int digits) {
        if (from + digits > s.length()) return -1;
        int v = 0;
        for (int k = from; k < from + digits; k++) {
            int d = Character.digit(s.charAt(k), 16);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    }

    /** Python's {@code str.isspace} for one character: Java whitespace plus the no-break spaces (Zs, Zl, Zp). */
    public static boolean isPySpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    /** Python's {@code str.strip()}: unlike {@link String#strip()} it also removes U+00A0 and U+202F. */
    public static String pyStrip(String s) {
        int a = 0, b = s.length();
        while (a < b && isPySpace(s.charAt(a))) a++;
        while (b > a && isPySpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    /** Python's {@code len}: code points. */
    public static int pyLen(String s) {
        return s.codePointCount(0, s.length());
    }

    /**
     * {@code resplit(text, max_length, sep)}: split on {@code sep} (kept at the end of each piece), then greedily
     * pack pieces while the packed length stays within {@code maxLength}. A single piece longer than the budget is
     * kept whole, as in the reference.
     */
    public static List<String> resplit(String text, int maxLength, String sep) {
        List<String> words = pySplit(text, sep);
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int currentLen = 0;
        for (int i = 0; i < words.size() - 1; i++) {
            String word = words.get(i) + sep;
            int wl = pyLen(word);
            if (currentLen + wl <= maxLength) {
                current.append(word);
                currentLen += wl;
            } else {
                if (currentLen > 0) result.add(current.toString());
                current.setLength(0);
                current.append(word);
                currentLen = wl;
            }
        }
        String last = words.get(words.size() - 1);
        int ll = pyLen(last);
        if (currentLen + ll <= maxLength) {
            current.append(last);
            currentLen += ll;
        } else {
            if (currentLen > 0) result.add(current.toString());
            current.setLength(0);
            current.append(last);
            currentLen = ll;
        }
        if (currentLen > 0) result.add(current.toString());
        return result;
    }

    /** Python's {@code str.split(sep)} for a non-empty separator: every occurrence, empty pieces kept. */
    static List<String> pySplit(String text, String sep) {
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int at = text.indexOf(sep); at >= 0; at = text.indexOf(sep, from)) {
            out.add(text.substring(from, at));
            from = at + sep.length();
        }
        out.add(text.substring(from));
        return out;
    }
}
