package dev.lcm4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Expected sentences are written by hand from the language facts. */
class SentenceSplittersTest {
    private final SentenceSplitter icu = SentenceSplitters.create("icu");

    @Test
    void englishTitlesAndTimes() {
        assertEquals(List.of("Dr. Smith arrived at 5 p.m. on Monday.", "Mr. and Mrs. Jones came too."),
                icu.split("Dr. Smith arrived at 5 p.m. on Monday. Mr. and Mrs. Jones came too.", "eng_Latn"));
    }

    @Test
    void englishAbbreviationsNumbersEllipsis() {
        assertEquals(List.of("The U.S. Army grew, e.g. Ohio units did.", "Pi is about 3.14 today.", "Wait...",
                        "What happened?", "Prof. Lee knows approx. Five answers."),
                icu.split("The U.S. Army grew, e.g. Ohio units did. Pi is about 3.14 today. Wait... What happened? "
                        + "Prof. Lee knows approx. Five answers.", "eng_Latn"));
    }

    @Test
    void germanOrdinalsAndAbbreviations() {
        assertEquals(List.of("Am 3. Oktober 1990 wurde Deutschland wiedervereinigt.",
                        "Das steht z. B. im Buch von Dr. Müller, d. h. im 2. Band.",
                        "Im 19. Jahrhundert wuchs die Stadt.", "Prof. Weber kam am 1. Mai."),
                icu.split("Am 3. Oktober 1990 wurde Deutschland wiedervereinigt. Das steht z. B. im Buch von Dr. Müller, "
                        + "d. h. im 2. Band. Im 19. Jahrhundert wuchs die Stadt. Prof. Weber kam am 1. Mai.", "deu_Latn"));
    }

    @Test
    void germanNumberAtSentenceEndStillBreaks() {
        // "am 2." (on the 2nd) ends a sentence when a capitalised non-month word follows
        assertEquals(List.of("Er kam am 2.", "Dann ging er."), icu.split("Er kam am 2. Dann ging er.", "deu_Latn"));
    }

    @Test
    void germanRulesDoNotLeakIntoEnglish() {
        // in English "5. October" after a full stop is a new sentence starting with the month
        assertEquals(List.of("We counted to 5.", "October came."), icu.split("We counted to 5. October came.", "eng_Latn"));
    }

    @Test
    void chineseAndJapanese() {
        assertEquals(List.of("今天天气很好。", "我们去公园吧！", "你想去吗？", "好的。"),
                icu.split("今天天气很好。我们去公园吧！你想去吗？好的。", "zho_Hans"));
        assertEquals(List.of("今日は晴れです。", "散歩に行きましょう！"), icu.split("今日は晴れです。散歩に行きましょう！", "jpn_Jpan"));
    }

    @Test
    void referenceSplitterCases() {
        assertEquals(List.of("This is a long sentence.", "It should be split into two parts."),
                icu.split("This is a long sentence. It should be split into two parts.", "eng_Latn"));
        SentenceSplitter max50 = SentenceSplitters.create("icu", SplitterOptions.DEFAULT.withMaxSentenceLen(50));
        assertEquals(List.of("This is a long sentence?", "It should be split into two parts."),
                max50.split("This is a long sentence?It should be split into two parts.", "eng_Latn"));
    }

    @Test
    void emojisRemovedShortTextsKeptWholeEmptiesDropped() {
        assertEquals(List.of("Hello , how are you?", "I am fine ."),
                icu.split("Hello 😊, how are you? I am fine 🤔.", "eng_Latn"));
        // 7 code points <= minTextLength 10: not split
        assertEquals(List.of("Hi. Yo."), icu.split("Hi. Yo.", "eng_Latn"));
        assertEquals(List.of(), icu.split("  \n 😊 ", "eng_Latn"));
    }

    @Test
    void namesAndCommonWordsBeforeAPeriodStillEndSentences() {
        // CLDR's suffix-matched suppressions would glue these ("ber." in German, "OK." in English).
        assertEquals(List.of("Das sagte Herr Weber.", "Die Sitzung ist geschlossen."),
                SentenceSplitters.create("icu").split("Das sagte Herr Weber. Die Sitzung ist geschlossen.", "deu_Latn"));
        assertEquals(List.of("That is OK.", "Then we left."), icu.split("That is OK. Then we left.", "eng_Latn"));
    }

    @Test
    void sentencesWithoutLettersOrDigitsAreDropped() {
        // A Europarl line starting mid-sentence: ICU yields a leading ". " piece, which carries no content.
        String text = ".   The sitting was closed. It resumed at 3 p.m.";
        assertEquals(List.of("The sitting was closed.", "It resumed at 3 p.m."), icu.split(text, "eng_Latn"));
        SentenceSplitter keep = SentenceSplitters.create("icu", SplitterOptions.DEFAULT.withDropNonAlphanumeric(false));
        assertTrue(keep.split(text, "eng_Latn").contains("."), keep.split(text, "eng_Latn").toString());
    }

    @Test
    void longUnpunctuatedTextRespectsMaximum() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 700; i++) sb.append(i == 0 ? "" : " ").append("word").append(i);
        String text = sb.toString();
        List<String> out = icu.split(text, "eng_Latn");
        for (String s : out) assertTrue(s.codePointCount(0, s.length()) <= 256, s.length() + " > 256");
        assertEquals(text, String.join(" ", out));
        // greedy packing on spaces: every piece but the last is followed by a word that did not fit
        for (int i = 0; i + 1 < out.size(); i++)
            assertTrue(out.get(i).length() + 1 + out.get(i + 1).split(" ")[0].length() > 256);

        String noSpaces = "x".repeat(1000);
        List<String> cut = icu.split(noSpaces, "eng_Latn");
        assertEquals(List.of("x".repeat(256), "x".repeat(256), "x".repeat(256), "x".repeat(232)), cut);
    }

    @Test
    void fallbackSeparatorsInOrder() {
        // "..." comes before ",": a 300-char sentence with one "..." in the middle is cut there first
        String a = "a".repeat(140) + ", b";
        String b = "c".repeat(150);
        List<String> out = icu.split(a + "... " + b + " end", "eng_Latn");
        assertEquals(List.of(a + "...", b + " end"), out);
    }

    @Test
    void unknownLanguageAndSplitter() {
        LcmException e = assertThrows(LcmException.class, () -> icu.split("Some text here.", "xxx_Latn"));
        assertTrue(e.getMessage().contains("unknown language code 'xxx_Latn'"), e.getMessage());
        e = assertThrows(LcmException.class, () -> SentenceSplitters.create("spacy"));
        assertTrue(e.getMessage().contains("unknown sentence splitter 'spacy'"), e.getMessage());
        e = assertThrows(LcmException.class, () -> SentenceSplitters.create("icu", SplitterOptions.DEFAULT.withMaxSentenceLen(0)));
        assertTrue(e.getMessage().contains("maxSentenceLen"), e.getMessage());
    }

    @Test
    void openNlpEnglishGermanAndMissingModel() {
        SentenceSplitter nlp = SentenceSplitters.create("opennlp");
        assertEquals(List.of("The cat sat on the mat.", "It was happy.", "Then we went home."),
                nlp.split("The cat sat on the mat. It was happy. Then we went home.", "eng_Latn"));
        assertEquals(List.of("Die Katze schläft.", "Der Hund bellt laut."),
                nlp.split("Die Katze schläft. Der Hund bellt laut.", "deu_Latn"));
        LcmException e = assertThrows(LcmException.class, () -> nlp.split("Le chat dort. Le chien aboie.", "fra_Latn"));
        assertTrue(e.getMessage().contains("no OpenNLP sentence model for language fra_Latn"), e.getMessage());
        e = assertThrows(LcmException.class, () -> SentenceSplitters.create("opennlp:/nonexistent/model.bin"));
        assertTrue(e.getMessage().contains("/nonexistent/model.bin"), e.getMessage());
    }

    @Test
    void parallelCallsMatchSequential() throws Exception {
        List<String[]> inputs = List.of(
                new String[] {"Dr. Smith arrived at 5 p.m. on Monday. Mr. and Mrs. Jones came too.", "eng_Latn"},
                new String[] {"Am 3. Oktober 1990 wurde Deutschland wiedervereinigt. Das ist gut.", "deu_Latn"},
                new String[] {"今天天气很好。我们去公园吧！你想去吗？好的。", "zho_Hans"},
                new String[] {"The cat sat on the mat. It was happy. Then we went home.", "eng_Latn"});
        for (String spec : List.of("icu", "opennlp")) {
            SentenceSplitter s = SentenceSplitters.create(spec);
            List<String[]> usable = spec.equals("opennlp") ? List.of(inputs.get(0), inputs.get(1), inputs.get(3)) : inputs;
            List<List<String>> expected = new ArrayList<>();
            for (String[] in : usable) expected.add(s.split(in[0], in[1]));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<List<String>>> fs = new ArrayList<>();
                for (int r = 0; r < 200; r++) {
                    String[] in = usable.get(r % usable.size());
                    fs.add(pool.submit(() -> s.split(in[0], in[1])));
                }
                for (int r = 0; r < fs.size(); r++) assertEquals(expected.get(r % usable.size()), fs.get(r).get(), spec);
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
