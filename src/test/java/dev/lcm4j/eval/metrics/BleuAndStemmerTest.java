package dev.lcm4j.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.eval.TextScores;
import dev.lcm4j.testing.Fixtures;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * sacreBLEU, NLTK BLEU and NLTK's Porter stemmer against values the real libraries computed
 * ({@code fixtures/python/make_metric_fixtures.py}: sacrebleu 2.6.0, nltk 3.10.3) and the reference's test values.
 */
class BleuAndStemmerTest {
    private static JsonNode cases() throws Exception {
        return new ObjectMapper().readTree(Fixtures.file("metrics", "bleu_cases.json").toFile());
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test
    void referenceTestBleuValues() {
        String x = "The quick brown fox jumps over the lazy dog.";
        List<String> y = List.of("A quick brown fox jumps over a lazy dog.", "The fast brown fox jumps over a sleeping dog.");
        // the reference's bleu(x, y) calls corpus_bleu([x], [y]): ONE reference stream holding both targets, which
        // sacreBLEU zips with the single hypothesis, so only the first target counts -> 52.53
        assertEquals(52.53, SacreBleu.corpusBleu(List.of(x), List.of(List.of(y.get(0)))), 0.02);
        assertEquals(52.53, TextScores.extraMetric("bleu", x, y), 0.02);
        assertEquals(54.1, SacreBleu.sentenceBleu(x, y), 0.02);
    }

    @Test
    void sacreBleuMatchesTheLibrary() throws Exception {
        JsonNode all = cases();
        int n = 0;
        for (JsonNode c : all.get("cases")) {
            String hyp = c.get("hyp").asText();
            List<String> refs = strings(c.get("refs"));
            assertEquals(c.get("tok13a").asText(), SacreBleu.tokenize13a(hyp.stripTrailing()), "13a of " + hyp);
            assertEquals(c.get("sentence_bleu").asDouble(), SacreBleu.sentenceBleu(hyp, refs), 1e-9, "sentence " + hyp);
            List<List<String>> streams = new ArrayList<>();
            for (String r : refs) streams.add(List.of(r));
            assertEquals(c.get("corpus_bleu_single").asDouble(), SacreBleu.corpusBleu(List.of(hyp), streams), 1e-9, "corpus " + hyp);
            n++;
        }
        assertEquals(59, n);
        JsonNode corpus = all.get("corpus_two_refs");
        List<String> hyps = new ArrayList<>(), r0 = new ArrayList<>(), r1 = new ArrayList<>();
        for (JsonNode i : corpus.get("indices")) {
            JsonNode c = all.get("cases").get(i.asInt());
            hyps.add(c.get("hyp").asText());
            r0.add(c.get("refs").get(0).asText());
            r1.add(c.get("refs").get(1).asText());
        }
        assertEquals(corpus.get("score").asDouble(), SacreBleu.corpusBleu(hyps, List.of(r0, r1)), 1e-9);
        assertThrows(LcmException.class, () -> SacreBleu.corpusBleu(List.of("a"), List.of(List.of("a")), "ja-mecab"));
    }

    @Test
    void nltkMethod1MatchesTheLibraryAndTheReferenceTest() throws Exception {
        for (JsonNode c : cases().get("cases")) {
            if (c.get("nltk_method1").isNull()) continue;
            List<String> h = List.of(c.get("hyp").asText().strip().split("\\s+"));
            List<String> r = List.of(c.get("refs").get(0).asText().strip().split("\\s+"));
            assertEquals(c.get("nltk_method1").asDouble(), NltkBleu.sentenceBleuMethod1(r, h), 1e-12, c.get("hyp").asText());
        }
        String[][] pairs = {
                {"John Doe and he lives in the United Kingdom .", "Jane Doe and she lives in the United States ."},
                {"the ratio of the radius of a circle to its", "a famous decimal that never enters a repeating pattern ."},
                {"Billy Bob . They are on trial for tax fraud", "Billy Bob . Are they really on trial for tax"},
                {"Billy Bob . They are on trial for tax fraud", "Billy Bob . They are on trial for tax fraud"}};
        double[] expected = {0.3247, 0.0211, 0.3799, 1.0};
        for (int i = 0; i < pairs.length; i++) {
            assertEquals(expected[i], NltkBleu.sentenceBleuMethod1(List.of(pairs[i][1].split(" ")), List.of(pairs[i][0].split(" "))), 1e-4);
        }
    }

    @Test
    void porterStemmerMatchesNltk() throws Exception {
        PorterStemmer st = new PorterStemmer();
        List<String> mismatches = new ArrayList<>();
        int n = 0;
        try (BufferedReader r = Files.newBufferedReader(Fixtures.file("metrics", "porter_nltk_3_10_3.tsv"), StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] p = line.split("\t");
                String got = st.stem(p[0]);
                if (!got.equals(p[1])) mismatches.add(p[0] + ": nltk " + p[1] + ", lcm4j " + got);
                n++;
            }
        }
        assertEquals(List.of(), mismatches.subList(0, Math.min(20, mismatches.size())), mismatches.size() + " of " + n + " differ");
        // NLTK_EXTENSIONS where other Porter implementations differ
        assertEquals("alway", st.stem("always"));
        assertEquals("age", st.stem("ages"));
        assertEquals("addit", st.stem("additionally"));
        assertEquals("sky", st.stem("skies"));
    }
}
