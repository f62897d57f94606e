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

/** Splitter behaviour on hand-written cases; the expected splits follow the languages' rules, not the code. */
class SentenceSplittersTest {
    static final SentenceSplitter ICU = SentenceSplitters.create("icu");

    @Test
    void englishAbbreviations() {
        assertEquals(List.of("Dr. Smith arrived at 3 p.m. on Jan. 3rd in the U.S. and met Mr. and Mrs. Jones.",
                        "They discussed e.g. the value 3.14 of pi...", "Really?!", "Yes."),
                ICU.split("Dr. Smith arrived at 3 p.m. on Jan. 3rd in the U.S. and met Mr. and Mrs. Jones. "
                        + "They discussed e.g. the value 3.14 of pi... Really?! Yes.", "eng_Latn"));
        assertEquals(List.of("J. K. Rowling wrote it.", "Prof. Brown agreed with approx. everything."),
                ICU.split("J. K. Rowling wrote it. Prof. Brown agreed with approx. everything.", "eng_Latn"));
    }

    @Test
    void germanOrdinalsAndAbbreviations() {
        assertEquals(List.of("Am 3. Oktober spielte die 2. Bundesliga, z. B. in Berlin.", "Dr. Meier kam am 1. Mai.",
                        "Das war 2003.", "Danach d. h. später ging es weiter."),
                ICU.split("Am 3. Oktober spielte die 2. Bundesliga, z. B. in Berlin. Dr. Meier kam am 1. Mai. "
                        + "Das war 2003. Danach d. h. später ging es weiter.", "deu_Latn"));
    }

    @Test
    void chinese() {
        assertEquals(List.of("今天天气很好。", "我们去公园吧！", "你同意吗？", "他说：“好的。”"),
                ICU.split("今天天气很好。我们去公园吧！你同意吗？他说：“好的。”", "zho_Hans"));
    }

    @Test
    void openNlpEnglishAndMissingLanguage() {
        SentenceSplitter nlp = SentenceSplitters.create("opennlp");
        assertEquals(List.of("The committee met today.", "It adopted the report."), nlp.split("The committee met today. It adopted the report.", "eng_Latn"));
        LcmException e = assertThrows(LcmException.class, () -> nlp.split("Bonjour à tous. Merci.", "fra_Latn"));
        assertTrue(e.getMessage().contains("opennlp-models-sentdetect-fr"), e.getMessage());
    }

    @Test
    void pipelineRules() {
        // Short texts are kept whole (the reference keeps texts of <= 10 characters as they are).
        assertEquals(List.of("Hi. Yes."), ICU.split("Hi. Yes.", "eng_Latn"));
        // No sentence is longer than the budget: separators first, then a cut for text without any.
        SentenceSplitter small = SentenceSplitters.create("icu", SplitterOptions.DEFAULTS.withMaxSentenceLen(40));
        String longText = "This sentence has many words and goes on and on without any stop at all until here. "
                + "x".repeat(100) + ". Emojis 😊 vanish, and a lone dot is dropped: . ";
        List<String> out = small.split(longText, "eng_Latn");
        for (String s : out) assertTrue(s.codePointCount(0, s.length()) <= 40, s);
        assertEquals(List.of("This sentence has many words and goes", "on and on without any stop at all until", "here.",
                "x".repeat(40), "x".repeat(40), "x".repeat(20) + ".",
                // 45 characters: ":" then "," are the first fallback separators that cut it; the lone "." is dropped
                "Emojis  vanish,", "and a lone dot is dropped:"), out);
        assertEquals(List.of(), ICU.split("   ", "eng_Latn"));
        LcmException e = assertThrows(LcmException.class, () -> ICU.split("Some text here.", "english"));
        assertTrue(e.getMessage().contains("unknown language code"), e.getMessage());
        assertThrows(LcmException.class, () -> SentenceSplitters.create("spacy"));
    }

    @Test
    void parallelCallsGiveTheSameResult() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) texts.add("Document " + i + ". Dr. Who came at " + i + " p.m. and left. Am " + (i % 28 + 1) + ". Mai war es.");
        List<List<String>> want = new ArrayList<>();
        for (String t : texts) want.add(ICU.split(t, i(t) % 2 == 0 ? "eng_Latn" : "deu_Latn"));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> fs = new ArrayList<>();
            for (String t : texts) fs.add(pool.submit(() -> ICU.split(t, i(t) % 2 == 0 ? "eng_Latn" : "deu_Latn")));
            for (int k = 0; k < texts.size(); k++) assertEquals(want.get(k), fs.get(k).get());
        } finally {
            pool.shutdown();
        }
    }

    private static int i(String t) {
        return t.length();
    }
}
