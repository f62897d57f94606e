package dev.lcm4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SaT over ONNX Runtime against fixtures/python/make_sat_fixture.py: a stand-in model with the wtpsplit export's exact
 * signature and an independent numpy port of wtpsplit's blocking, averaging and sentence cutting.
 */
class SatSentenceSplitterTest {
    static final Path DIR = Path.of("src/test/resources/fixtures/sat");

    @Test
    void probabilitiesAndSplitsMatchWtpsplit() throws Exception {
        JsonNode exp = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        SatSentenceSplitter low = SatSentenceSplitter.load(DIR, 0.01);
        SatSentenceSplitter high = SatSentenceSplitter.load(DIR, 0.5);
        for (JsonNode c : exp.get("cases")) {
            String text = c.get("text").asText();
            float[] probs = low.charProbabilities(text);
            assertEquals(c.get("probs").size(), probs.length, "one probability per character");
            for (int i = 0; i < probs.length; i++) assertEquals(c.get("probs").get(i).asDouble(), probs[i], 1e-3, "char " + i + " of " + text);
            assertEquals(strings(c.get("split_0.01")), low.split(text, "eng_Latn"));
            assertEquals(strings(c.get("split_0.5")), high.split(text, "eng_Latn"));
        }
        JsonNode topk = exp.get("topk");
        assertEquals(strings(topk.get("pieces")), low.splitAtTopBoundaries(topk.get("text").asText(), topk.get("max_len").asInt()));
    }

    @Test
    void pipelineAndMissingFiles() {
        SentenceSplitter sat = SentenceSplitters.create("sat:" + DIR, SplitterOptions.DEFAULTS.withMaxSentenceLen(60));
        List<String> out = sat.split("The committee met today. It adopted the report! Did the Commission vote? Yes. "
                + "the the the the the the the the the the the the the the the the the the the the the the", "eng_Latn");
        assertTrue(out.size() >= 5, out.toString());
        for (String s : out) assertTrue(s.length() <= 60, s);
        LcmException e = assertThrows(LcmException.class, () -> SentenceSplitters.create("sat:" + DIR.resolve("nowhere")));
        assertTrue(e.getMessage().contains("model_optimized.onnx does not exist"), e.getMessage());
    }

    @Test
    void halfPrecisionConversion() {
        for (float f : new float[] {0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 0.1f, 3.14159f}) {
            float r = SatSentenceSplitter.Half.round(f);
            assertTrue(Math.abs(r - f) <= Math.abs(f) * 1e-3 + 6e-8, f + " -> " + r);
        }
        assertEquals(0x3C00, SatSentenceSplitter.Half.toBits(1f));
        assertEquals((short) 0xC100, SatSentenceSplitter.Half.toBits(-2.5f));
        assertEquals(0x7BFF, SatSentenceSplitter.Half.toBits(65504f));
        assertEquals(0x3555, SatSentenceSplitter.Half.toBits(1f / 3f)); // round to nearest: 0.333251953125
        assertEquals(2049f, SatSentenceSplitter.Half.round(2049f) + 1f); // 2049 is not representable: ties to even 2048
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.asText()));
        return out;
    }
}
