package dev.lcm4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SaT through ONNX Runtime against fixtures/python/make_sat_fixture.py: a stand-in model with SaT's ONNX signature and
 * probabilities/splits from an independent NumPy port of wtpsplit's blocking, averaging and splitting.
 */
class SatSplitterTest {
    static Path dir;
    static JsonNode cases;

    @BeforeAll
    static void load() throws Exception {
        dir = Fixtures.dir("sat");
        cases = new ObjectMapper().readTree(dir.resolve("expected.json").toFile()).get("cases");
    }

    @Test
    void probabilitiesAndSplitsMatchPythonReference() {
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            SatSplitter sat = SatSplitter.open(dir, c.get("block_size").asInt(), c.get("stride").asInt(), c.get("threshold").asDouble());
            float[] probs = sat.charProbs(text);
            JsonNode want = c.get("probs"); // per code point, as Python indexes strings
            assertEquals(want.size(), text.codePointCount(0, text.length()));
            float[] perCodePoint = new float[want.size()];
            for (int cp = 0, i = 0; i < text.length(); cp++) {
                int next = i + Character.charCount(text.codePointAt(i));
                for (int u = i; u < next - 1; u++) assertEquals(0f, probs[u], "leading surrogate carries no probability");
                perCodePoint[cp] = probs[next - 1];
                i = next;
            }
            for (int i = 0; i < perCodePoint.length; i++)
                assertEquals(want.get(i).asDouble(), perCodePoint[i], 1e-3, "char " + i + " block " + c.get("block_size") + ": " + text);
            List<String> expected = new ArrayList<>();
            c.get("sentences").forEach(s -> expected.add(s.asText()));
            assertEquals(expected, sat.segment(text, "eng_Latn"), "block " + c.get("block_size") + "/" + c.get("stride"));
        }
    }

    @Test
    void float16AttentionMaskModel() {
        // the same weights exported with a float16 attention_mask: the splitter reads the input type and converts
        Path half = dir.resolve("fp16_mask");
        for (int n : new int[] {3, 4}) {
            JsonNode c = cases.get(n);
            String text = c.get("text").asText();
            SatSplitter sat = SatSplitter.open(half, c.get("block_size").asInt(), c.get("stride").asInt(), 0.5);
            float[] probs = sat.charProbs(text);
            for (int i = 0; i < probs.length; i++) assertEquals(c.get("probs").get(i).asDouble(), probs[i], 1e-3);
            List<String> expected = new ArrayList<>();
            c.get("sentences").forEach(x -> expected.add(x.asText()));
            assertEquals(expected, sat.segment(text, "eng_Latn"));
        }
    }

    @Test
    void blockingChangesTheResultSoAveragingIsExercised() {
        // the long text's probabilities differ between 256/256 (one block) and 8/4 (overlapping blocks)
        JsonNode one = cases.get(2), overlapped = cases.get(5);
        assertEquals(one.get("text"), overlapped.get("text"));
        double maxDiff = 0;
        for (int i = 0; i < one.get("probs").size(); i++)
            maxDiff = Math.max(maxDiff, Math.abs(one.get("probs").get(i).asDouble() - overlapped.get("probs").get(i).asDouble()));
        assertTrue(maxDiff > 0.05, "fixture too weak: " + maxDiff);
    }

    @Test
    void pipelineOverSat() {
        // Reference parity: its data-prep pipeline keeps punctuation-only pieces such as ".".
        SentenceSplitter s = SentenceSplitters.create("sat:" + dir, SplitterOptions.DEFAULT.withSatThreshold(0.5).withDropNonAlphanumeric(false));
        // pipeline = SaT pieces of case 0, stripped, empties dropped
        List<String> expected = new ArrayList<>();
        cases.get(0).get("sentences").forEach(x -> { if (!x.asText().isBlank()) expected.add(x.asText().strip()); });
        assertEquals(expected, s.split(cases.get(0).get("text").asText(), "eng_Latn"));
    }

    @Test
    void longSentenceResplitAtTopKProbabilities() {
        // reference: nb_split = round(len / max) + 1; cut after every character whose probability is >= the
        // nb_split-th largest, taking the following whitespace along (indices_to_sentences, no stripping)
        SatSplitter sat = SatSplitter.open(dir, 256, 256, 0.5);
        JsonNode c = cases.get(2);
        String text = c.get("text").asText();
        int max = 100;
        int k = (int) Math.rint((double) text.length() / max) + 1;
        List<Double> sorted = new ArrayList<>();
        c.get("probs").forEach(p -> sorted.add(p.asDouble()));
        sorted.sort(null);
        double cut = sorted.get(sorted.size() - k);
        List<Integer> cutAfter = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) if (c.get("probs").get(i).asDouble() >= cut) cutAfter.add(i);
        assertTrue(cutAfter.size() >= k, "ties included");

        List<String> pieces = sat.resplitLong(text, "eng_Latn", max);
        assertEquals(text, String.join("", pieces));
        int lastCharCut = cutAfter.get(cutAfter.size() - 1) == text.length() - 1 ? 1 : 0;
        assertEquals(cutAfter.size() + 1 - lastCharCut, pieces.size());
        int pos = 0;
        for (int j = 0; j < pieces.size() - 1 + lastCharCut; j++) {
            pos += pieces.get(j).length();
            assertEquals(cutAfter.get(j), pieces.get(j).stripTrailing().length() + pos - pieces.get(j).length() - 1);
        }
    }

    @Test
    void missingFilesNamed(@TempDir Path tmp) throws Exception {
        LcmException e = assertThrows(LcmException.class, () -> SentenceSplitters.create("sat:" + tmp));
        assertTrue(e.getMessage().contains("model_optimized.onnx"), e.getMessage());
        Files.copy(dir.resolve("model_optimized.onnx"), tmp.resolve("model_optimized.onnx"));
        e = assertThrows(LcmException.class, () -> SentenceSplitters.create("sat:" + tmp));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
}
