package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Locale;

/**
 * A small language identifier for the 21 languages of the Europarl corpus, enough to pick one language's documents
 * out of the multilingual Lucene sample. Greek and Bulgarian are told apart by script (Greek / Cyrillic letters);
 * the 19 Latin-script languages by hand-written lists of 30 very frequent function words each: every word of the
 * first {@value #MAX_CHARS} characters that is on a list scores one point for that language, and the highest score
 * wins. Words shared by close languages (Czech/Slovak, Danish/Swedish, Spanish/Portuguese) score for both, so the
 * words only one of them uses decide. Accuracy on documents labelled by their (hand-labelled) session title is
 * measured in {@code LanguageIdTest}. Not a general-purpose identifier: other languages get the closest EU one.
 */
public final class LanguageId {
    static final int MAX_CHARS = 3000;

    /** FLORES-200 code -> function words (lower case). */
    static final Map<String, Set<String>> STOP_WORDS = new LinkedHashMap<>();

    static {
        words("eng_Latn", "the of and to in is that for it this with on are be which we have not by as was has will would from an our their there been");
        words("deu_Latn", "der die und das ist nicht ein eine zu den von mit sich des auf für dem auch es werden wir wird sind daß dass einen hat im haben ich sie");
        words("fra_Latn", "le la les de des et est une que qui dans pour pas nous du au sur ce il sont avec cette par plus aux été ont je mais vous");
        words("ita_Latn", "il di che la e è per del della non un una sono gli le dei alla nel anche come questo delle ha ai questa stato molto ci si più");
        words("spa_Latn", "el de la que y los las en del es por una con no se para al un lo como más pero sus este esta ha muy han sobre también");
        words("por_Latn", "de o a que e do da os as em para um uma não com no na dos das se é mais ao pelo pela mas também são muito foi");
        words("nld_Latn", "de het een van en in is dat op te zijn niet voor met die wordt ook worden er aan dit om door wij deze heeft ik maar naar bij");
        words("dan_Latn", "og i at det er en til af for den de som med på ikke har vi et der om skal kan fra jeg også være meget disse eller blev");
        words("swe_Latn", "och att i det är som en för av på med till den inte har vi om de ett jag kan ska också detta från eller mycket måste vara här");
        words("fin_Latn", "ja on että ei se ovat tämä mutta myös kuin niin tai joka oli olla jotka sen ole tästä meidän minä mukaan kanssa vain hyvin kaikki siitä tätä nyt jo");
        words("est_Latn", "ja on et ei see ka kui mis ning oma selle seda aga oleks ole nii siis ta kes või mida peab meie kõik samuti väga olema tuleb veel sest");
        words("hun_Latn", "a az és hogy nem is egy van meg ez de azt csak kell már mint ezt vagy el még volt sem pedig ha minden amely nagyon lesz kellett között");
        words("pol_Latn", "i w na z się że nie do jest to o jak przez od dla oraz jego ale są tym także może jako które który tego być bardzo już czy");
        words("ces_Latn", "a se na je v že to o s z do i jsou které který také jako by pro ale bylo být tak jeho této tento podle byl již nebo ve jsme není");
        words("slk_Latn", "a sa na je v že to o s z do aj sú ktoré ktorý tiež ako by pre ale bolo byť tak jeho tejto tento podľa bol už alebo vo sme nie");
        words("slv_Latn", "in je da se na v za so ki pa z bi ne tudi to s o kot ter smo bo ali zelo po lahko ima mora iz vendar še");
        words("ron_Latn", "și şi de în a la că pe să nu cu este o din care pentru un mai ce se sunt fi al lui acest această au ca sau prin foarte");
        words("lit_Latn", "ir kad yra į tai bet su iš kaip už tik jau dėl ar bus buvo mes taip labai turi apie šiuo būtų nes jų ne savo per pat šis");
        words("lvs_Latn", "un ir ka par no uz ar lai kas arī nav to tas bet šo jo kā mēs tikai vai būtu ļoti šajā tā pie savu kura tiek šīs");
    }

    /** Every language this identifier can return. */
    public static final List<String> LANGUAGES;

    static {
        List<String> all = new ArrayList<>(STOP_WORDS.keySet());
        all.add("ell_Grek");
        all.add("bul_Cyrl");
        LANGUAGES = List.copyOf(all);
    }

    private LanguageId() {
    }

    private static void words(String lang, String list) {
        STOP_WORDS.put(lang, Set.of(new LinkedHashSet<>(List.of(list.split(" "))).toArray(String[]::new)));
    }

    /** Throws unless {@code lang} is one this identifier can recognise. */
    public static String checkSupported(String lang) {
        if (!LANGUAGES.contains(lang)) {
            throw new LcmException("the language filter knows only the 21 Europarl languages (" + String.join(", ", LANGUAGES)
                    + "), not '" + lang + "'");
        }
        return lang;
    }

    /** The most likely language of {@code text}, or {@code null} when it has no letters or no known word. */
    public static String identify(String text) {
        String t = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
        int greek = 0, cyrillic = 0, letters = 0;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!Character.isLetter(c)) continue;
            letters++;
            Character.UnicodeScript s = Character.UnicodeScript.of(c);
            if (s == Character.UnicodeScript.GREEK) greek++;
            else if (s == Character.UnicodeScript.CYRILLIC) cyrillic++;
        }
        if (letters == 0) return null;
        if (2 * greek > letters) return "ell_Grek";
        if (2 * cyrillic > letters) return "bul_Cyrl";
        Map<String, Integer> score = new HashMap<>();
        int start = -1;
        for (int i = 0; i <= t.length(); i++) {
            boolean letter = i < t.length() && Character.isLetter(t.charAt(i));
            if (letter && start < 0) start = i;
            if (!letter && start >= 0) {
                String w = t.substring(start, i).toLowerCase(Locale.ROOT);
                for (Map.Entry<String, Set<String>> e : STOP_WORDS.entrySet()) {
                    if (e.getValue().contains(w)) score.merge(e.getKey(), 1, Integer::sum);
                }
                start = -1;
            }
        }
        String best = null;
        int bestScore = 0;
        for (String lang : STOP_WORDS.keySet()) { // fixed order: ties go to the earlier language, deterministically
            int s = score.getOrDefault(lang, 0);
            if (s > bestScore) {
                best = lang;
                bestScore = s;
            }
        }
        return best;
    }
}
