package dev.lcm4j.concepts.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The built-in default encoder against langchain4j's own implementation of the same model (one text per call). */
class OnnxSentenceEncoderTest {
    static final List<String> SENTENCES = List.of(
            "The cat sits on the mat.",
            "Resumption of the session",
            "I declare resumed the session of the European Parliament adjourned on Friday 17 December 1999.",
            "Madam President, on a point of order.",
            "Stocks fell sharply on Monday after the central bank raised interest rates by half a percentage point.",
            "OK",
            "naïve café – 3.14 € ≈ ½ ﬁne");

    static ConceptEncoder encoder;
    static AllMiniLmL6V2QuantizedEmbeddingModel reference;

    @BeforeAll
    static void load() {
        encoder = ConceptModels.encoder(ConceptModels.DEFAULT_ENCODER);
        reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void matchesLangchain4jAndIsUnitLength() {
        assertEquals(384, encoder.dim());
        assertEquals("all_minilm_l6_v2_q", encoder.name());
        float[][] got = encoder.encode(SENTENCES, "eng_Latn"); // batched and padded
        for (int i = 0; i < SENTENCES.size(); i++) {
            float[] want = reference.embed(SENTENCES.get(i)).content().vector();
            assertEquals(384, got[i].length);
            double norm = 0;
            for (int j = 0; j < 384; j++) {
                assertEquals(want[j], got[i][j], 2e-5, "sentence " + i + " dim " + j);
                norm += got[i][j] * got[i][j];
            }
            assertEquals(1.0, norm, 1e-5);
        }
    }

    @Test
    void vectorsDoNotDependOnBatchMates() {
        float[][] all = encoder.encode(SENTENCES, "eng_Latn");
        List<String> reversed = new ArrayList<>(SENTENCES);
        java.util.Collections.reverse(reversed);
        float[][] rev = encoder.encode(reversed, "eng_Latn");
        for (int i = 0; i < SENTENCES.size(); i++) {
            float[] one = encoder.encode(List.of(SENTENCES.get(i)), "eng_Latn")[0];
            for (int j = 0; j < 384; j++) {
                assertEquals(one[j], all[i][j], 2e-5);
                assertEquals(one[j], rev[SENTENCES.size() - 1 - i][j], 2e-5);
            }
        }
        assertEquals(0, encoder.encode(List.of(), "eng_Latn").length);
    }

    @Test
    void semanticNeighboursAreCloser() {
        float[][] v = encoder.encode(List.of("A cat is sleeping on the sofa.", "A kitten naps on the couch.",
                "The stock market crashed today."), "eng_Latn");
        assertTrue(dot(v[0], v[1]) > dot(v[0], v[2]) + 0.3, "paraphrase closer than an unrelated sentence");
    }

    @Test
    void concurrentCallsGiveTheSameVectors() throws Exception {
        float[][] want = encoder.encode(SENTENCES, "eng_Latn");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[][]>> fs = new ArrayList<>();
            for (int k = 0; k < 8; k++) fs.add(pool.submit(() -> encoder.encode(SENTENCES, "eng_Latn")));
            for (Future<float[][]> f : fs) {
                float[][] got = f.get();
                for (int i = 0; i < want.length; i++) for (int j = 0; j < 384; j++) assertEquals(want[i][j], got[i][j], 2e-5);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void unknownLanguageIsAClearError() {
        LcmException e = assertThrows(LcmException.class, () -> encoder.encode(List.of("x"), "english"));
        assertTrue(e.getMessage().contains("unknown language code 'english'"), e.getMessage());
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
