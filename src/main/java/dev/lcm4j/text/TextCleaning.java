package dev.lcm4j.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The reference's text clean-up helpers ({@code lcm/datasets/sentence_splitting.py}), with Python's semantics: lengths
 * are counted in code points (Python's {@code len}), not UTF-16 units.
 */
public final class TextCleaning {
    private TextCleaning() {
    }

    // The reference's emoji ranges, in its order (several overlap; the union is what matters).
    private static final Pattern EMOJI = Pattern.compile("["
            + "\\x{1F600}-\\x{1F64F}" // emoticons
            + "\\x{1F300}-\\x{1F5FF}" // symbols & pictographs
            + "\\x{1F680}-\\x{1F6FF}" // transport & map symbols
            + "\\x{1F1E0}-\\x{1F1FF}" // flags
            + "\\x{2702}-\\x{27B0}"
            + "\\x{24C2}-\\x{1F251}" // NB: this range also covers most CJK and Hangul; the reference has it too
            + "\\x{1F900}-\\x{1F9FF}"
            + "\\x{1F700}-\\x{1F77F}"
            + "\\x{1F780}-\\x{1F7FF}"
            + "\\x{1F800}-\\x{1F8FF}"
            + "\\x{1FA00}-\\x{1FA6F}"
            + "\\x{1FA70}-\\x{1FAFF}"
            + "\\x{1F6C0}-\\x{1F6CF}"
            + "\\x{1F6D0}-\\x{1F6D5}"
            + "\\x{1F6F0}-\\x{1F6FA}"
            + "]+");
    private static final Pattern NON_PRINTABLE = Pattern.compile("[^\\x20-\\x7E]");

    /**
     * Removes the reference's emoji ranges. Faithful to the reference, including its quirk: the range U+24C2..U+1F251
     * also spans CJK ideographs, Hangul and many symbols, so the reference pipeline deletes Chinese, Japanese and
     * Korean text. lcm4j keeps letters and digits of any script out of that range (see {@link #removeEmojisKeepingText}),
     * which the splitter pipeline uses; this exact port is kept for parity tests.
     */
    public static String removeEmojis(String text) {
        return EMOJI.matcher(text).replaceAll("");
    }

    /** {@link #removeEmojis} without deleting letters, digits and CJK punctuation (the reference's range bug fixed). */
    public static String removeEmojisKeepingText(String text) {
        boolean any = false;
        for (int i = 0; i < text.length() && !any; i++) any = text.charAt(i) >= 0x2702; // surrogates are above too
        if (!any) return text; // the common case for Latin, Cyrillic, Greek... text: nothing in the emoji ranges
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (!inEmojiRanges(cp) || Character.isLetterOrDigit(cp) || isCjkPunctuation(cp)) out.appendCodePoint(cp);
        });
        return out.toString();
    }

    private static final int[][] RANGES = {{0x1F600, 0x1F64F}, {0x1F300, 0x1F5FF}, {0x1F680, 0x1F6FF}, {0x1F1E0, 0x1F1FF},
            {0x2702, 0x27B0}, {0x24C2, 0x1F251}, {0x1F900, 0x1F9FF}, {0x1F700, 0x1F77F}, {0x1F780, 0x1F7FF},
            {0x1F800, 0x1F8FF}, {0x1FA00, 0x1FA6F}, {0x1FA70, 0x1FAFF}, {0x1F6C0, 0x1F6CF}, {0x1F6D0, 0x1F6D5},
            {0x1F6F0, 0x1F6FA}};

    static boolean inEmojiRanges(int cp) {
        for (int[] r : RANGES) if (cp >= r[0] && cp <= r[1]) return true;
        return false;
    }

    private static boolean isCjkPunctuation(int cp) {
        return (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFFEF);
    }

    /** True when the text has no letter or digit (Python's {@code isalnum} on any character). */
    public static boolean filterEmptyString(String text) {
        return text.codePoints().noneMatch(Character::isLetterOrDigit);
    }

    /** Deletes everything outside printable ASCII (newlines included), as the reference. */
    public static String removeNonPrintableChars(String text) {
        return NON_PRINTABLE.matcher(text).replaceAll("");
    }

    /**
     * Python's {@code codecs.decode(s, "unicode_escape")}: backslash escapes (backslash n, t, r, a, b, f, v, backslash, quotes, x + 2 hex digits, u + 4, U + 8,
     * 1 to 3 octal digits, escaped newline) become characters. Python decodes the string's UTF-8 bytes as Latin-1 first,
     * which garbles non-ASCII text; lcm4j leaves non-ASCII characters as they are (the reference comments that these
     * steps are "not various language friendly").
     */
    public static String deescapeSpecialChars(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                out.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'v' -> out.append('\u000B');
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case '\n' -> { } // line continuation
                case 'x', 'u', 'U' -> {
                    int len = n == 'x' ? 2 : n == 'u' ? 4 : 8;
                    if (i + len < s.length() + 0 && s.substring(i + 1, Math.min(s.length(), i + 1 + len)).matches("[0-9a-fA-F]{" + len + "}")) {
                        out.appendCodePoint(Integer.parseInt(s.substring(i + 1, i + 1 + len), 16));
                        i += len;
                    } else {
                        out.append('\\').append(n); // Python raises; keep the text rather than fail a whole document
                    }
                }
                default -> {
                    if (n >= '0' && n <= '7') {
                        int end = i;
                        while (end < s.length() && end < i + 3 && s.charAt(end) >= '0' && s.charAt(end) <= '7') end++;
                        out.append((char) Integer.parseInt(s.substring(i, end), 8));
                        i = end - 1;
                    } else {
                        out.append('\\').append(n); // unknown escapes stay, as in Python
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * The reference's {@code resplit}: splits on {@code sep}, gives the separator back to every piece but the last,
     * and greedily concatenates pieces while the result stays within {@code maxLength} code points. A single piece
     * longer than the budget is kept whole (later separators or the final cut handle it).
     */
    public static List<String> resplit(String text, int maxLength, String sep) {
        List<String> words = splitKeepingEmpty(text, sep);
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int currentLen = 0;
        for (int i = 0; i < words.size(); i++) {
            String word = i < words.size() - 1 ? words.get(i) + sep : words.get(i);
            int len = word.codePointCount(0, word.length());
            if (currentLen + len <= maxLength) {
                current.append(word);
                currentLen += len;
            } else {
                if (currentLen > 0) result.add(current.toString());
                current = new StringBuilder(word);
                currentLen = len;
            }
        }
        if (currentLen > 0) result.add(current.toString());
        return result;
    }

    /** Python's {@code str.split(sep)}: every occurrence splits, empty pieces kept. */
    static List<String> splitKeepingEmpty(String text, String sep) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int at = text.indexOf(sep); at >= 0; at = text.indexOf(sep, from)) {
            out.add(text.substring(from, at));
            from = at + sep.length();
        }
        out.add(text.substring(from));
        return out;
    }

    /** Length in code points, as Python's {@code len}. */
    public static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
