package dev.lcm4j.eval.metrics;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer in NLTK's default mode ({@code NLTK_EXTENSIONS}, nltk 3.10.3), which is what Google's
 * rouge_score uses with {@code use_stemmer=True}. It differs from the Lucene, OpenNLP and Snowball Porter stemmers on
 * about 100 of 7,000 English words (always→alway, ages→age, additionally→addit): NLTK adds an irregular-forms pool,
 * special cases for "ies"/"ied" on four-letter words, a stricter step 1c, recursive "alli", and "fulli"/"logi" rules.
 * Stateless and thread-safe.
 */
public final class PorterStemmer {
    private static final Map<String, String> POOL = new HashMap<>();

    static {
        String[][] irregular = {{"sky", "sky", "skies"}, {"die", "dying"}, {"lie", "lying"}, {"tie", "tying"},
                {"news", "news"}, {"inning", "innings", "inning"}, {"outing", "outings", "outing"},
                {"canning", "cannings", "canning"}, {"howe", "howe"}, {"proceed", "proceed"}, {"exceed", "exceed"},
                {"succeed", "succeed"}};
        for (String[] f : irregular) for (int i = 1; i < f.length; i++) POOL.put(f[i], f[0]);
    }

    /** One rule: strip {@code suffix} ("*d" = a double consonant), test the rest, append {@code replacement}. */
    private record Rule(String suffix, String replacement, Predicate<String> condition) {
    }

    private static boolean vowel(char c) {
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }

    /** A 'y' counts as a consonant after a vowel or at the start, as a vowel after a consonant. */
    private static boolean isConsonant(String w, int i) {
        if (vowel(w.charAt(i))) return false;
        if (w.charAt(i) == 'y') {
            boolean negate = false;
            while (i > 0 && w.charAt(i) == 'y') {
                negate = !negate;
                i--;
            }
            return !vowel(w.charAt(i)) != negate;
        }
        return true;
    }

    private static boolean[] consonantFlags(String w) {
        boolean[] f = new boolean[w.length()];
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            f[i] = !vowel(c) && (c != 'y' || i == 0 || !f[i - 1]);
        }
        return f;
    }

    /** m in [C](VC)^m[V]: the number of vowel-run/consonant-run transitions. */
    private static int measure(String stem) {
        boolean[] f = consonantFlags(stem);
        int m = 0;
        for (int i = 1; i < f.length; i++) if (!f[i - 1] && f[i]) m++;
        return m;
    }

    private static boolean positiveMeasure(String stem) {
        return measure(stem) > 0;
    }

    private static boolean containsVowel(String stem) {
        for (boolean c : consonantFlags(stem)) if (!c) return true;
        return false;
    }

    private static boolean endsDoubleConsonant(String w) {
        int n = w.length();
        return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
    }

    private static boolean endsCvc(String w) {
        int n = w.length();
        if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)) {
            char c = w.charAt(n - 1);
            if (c != 'w' && c != 'x' && c != 'y') return true;
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);   // NLTK extension
    }

    /** The first rule whose suffix matches decides: applied if its condition holds, else the word is kept. */
    private static String applyRules(String w, Rule... rules) {
        for (Rule r : rules) {
            if (r.suffix.equals("*d") && endsDoubleConsonant(w)) {
                String stem = w.substring(0, w.length() - 2);
                return r.condition == null || r.condition.test(stem) ? stem + r.replacement : w;
            }
            if (w.endsWith(r.suffix)) {
                String stem = w.substring(0, w.length() - r.suffix.length());
                return r.condition == null || r.condition.test(stem) ? stem + r.replacement : w;
            }
        }
        return w;
    }

    private static String step1a(String w) {
        if (w.endsWith("ies") && w.length() == 4) return w.substring(0, 1) + "ie";
        return applyRules(w, new Rule("sses", "ss", null), new Rule("ies", "i", null), new Rule("ss", "ss", null), new Rule("s", "", null));
    }

    private static String step1b(String w) {
        if (w.endsWith("ied")) return w.substring(0, w.length() - 3) + (w.length() == 4 ? "ie" : "i");
        if (w.endsWith("eed")) {
            String stem = w.substring(0, w.length() - 3);
            return measure(stem) > 0 ? stem + "ee" : w;
        }
        String inter = null;
        for (String suffix : new String[] {"ed", "ing"}) {
            if (w.endsWith(suffix)) {
                String s = w.substring(0, w.length() - suffix.length());
                if (containsVowel(s)) {
                    inter = s;
                    break;
                }
            }
        }
        if (inter == null) return w;
        final String stem = inter;
        String last = stem.isEmpty() ? "" : stem.substring(stem.length() - 1);
        return applyRules(stem, new Rule("at", "ate", null), new Rule("bl", "ble", null), new Rule("iz", "ize", null),
                new Rule("*d", last, s -> !last.equals("l") && !last.equals("s") && !last.equals("z")),
                new Rule("", "e", s -> measure(s) == 1 && endsCvc(s)));
    }

    private static String step1c(String w) {
        return applyRules(w, new Rule("y", "i", s -> s.length() > 1 && isConsonant(s, s.length() - 1)));
    }

    private static String step2(String w) {
        if (w.endsWith("alli") && positiveMeasure(w.substring(0, w.length() - 4))) {
            return step2(w.substring(0, w.length() - 4) + "al");
        }
        Predicate<String> pm = PorterStemmer::positiveMeasure;
        return applyRules(w, new Rule("ational", "ate", pm), new Rule("tional", "tion", pm), new Rule("enci", "ence", pm),
                new Rule("anci", "ance", pm), new Rule("izer", "ize", pm), new Rule("bli", "ble", pm), new Rule("alli", "al", pm),
                new Rule("entli", "ent", pm), new Rule("eli", "e", pm), new Rule("ousli", "ous", pm), new Rule("ization", "ize", pm),
                new Rule("ation", "ate", pm), new Rule("ator", "ate", pm), new Rule("alism", "al", pm), new Rule("iveness", "ive", pm),
                new Rule("fulness", "ful", pm), new Rule("ousness", "ous", pm), new Rule("aliti", "al", pm), new Rule("iviti", "ive", pm),
                new Rule("biliti", "ble", pm), new Rule("fulli", "ful", pm),
                // NLTK tests the word minus "ogi" (not minus "logi") for "logi"
                new Rule("logi", "log", s -> positiveMeasure(w.substring(0, w.length() - 3))));
    }

    private static String step3(String w) {
        Predicate<String> pm = PorterStemmer::positiveMeasure;
        return applyRules(w, new Rule("icate", "ic", pm), new Rule("ative", "", pm), new Rule("alize", "al", pm),
                new Rule("iciti", "ic", pm), new Rule("ical", "ic", pm), new Rule("ful", "", pm), new Rule("ness", "", pm));
    }

    private static String step4(String w) {
        Predicate<String> m1 = s -> measure(s) > 1;
        return applyRules(w, new Rule("al", "", m1), new Rule("ance", "", m1), new Rule("ence", "", m1), new Rule("er", "", m1),
                new Rule("ic", "", m1), new Rule("able", "", m1), new Rule("ible", "", m1), new Rule("ant", "", m1),
                new Rule("ement", "", m1), new Rule("ment", "", m1), new Rule("ent", "", m1),
                new Rule("ion", "", s -> measure(s) > 1 && !s.isEmpty() && (s.endsWith("s") || s.endsWith("t"))),
                new Rule("ou", "", m1), new Rule("ism", "", m1), new Rule("ate", "", m1), new Rule("iti", "", m1),
                new Rule("ous", "", m1), new Rule("ive", "", m1), new Rule("ize", "", m1));
    }

    private static String step5a(String w) {
        if (w.endsWith("e")) {
            String stem = w.substring(0, w.length() - 1);
            int m = measure(stem);
            if (m > 1 || (m == 1 && !endsCvc(stem))) return stem;
        }
        return w;
    }

    private static String step5b(String w) {
        return applyRules(w, new Rule("ll", "l", s -> measure(w.substring(0, w.length() - 1)) > 1));
    }

    /** NLTK's {@code PorterStemmer().stem(word)}: lower-cases, then stems. */
    public String stem(String word) {
        String s = word.toLowerCase(Locale.ROOT);
        String irregular = POOL.get(s);
        if (irregular != null) return irregular;
        if (word.length() <= 2) return s;
        s = step1a(s);
        s = step1b(s);
        s = step1c(s);
        s = step2(s);
        s = step3(s);
        s = step4(s);
        s = step5a(s);
        s = step5b(s);
        return s;
    }
}
