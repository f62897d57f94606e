package dev.lcm4j.concepts.sonar;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.torch.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SONAR's published reference values (its integration tests and the HF conversion script), checked against the
 * real released weights. They run only when the weights are in
 * {@code $LCM_SONAR_DIR} (default ~/.cache/lcm4j/sonar); otherwise they are skipped with the reason.
 */
class SonarGoldenTest {
    static final List<String> FILES = List.of("sonar_text_encoder.pt", "sonar_text_decoder.pt", "sentencepiece.source.256000.model");

    @BeforeEach
    void requireWeights() {
        Path dir = SonarFiles.sonarDir();
        boolean present = FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)));
        assumeTrue(present, "skipped: the real SONAR weights " + FILES + " are not in " + dir
                + " (download them from https://dl.fbaipublicfiles.com/SONAR/ or set LCM_SONAR_DIR); the toy-fixture tests cover the code");
    }

    static float[] normalize(float[] v) {
        double n = 0;
        for (float x : v) n += x * x;
        float[] o = v.clone();
        for (int i = 0; i < o.length; i++) o[i] /= (float) Math.sqrt(n);
        return o;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void crossLingualSimilaritiesAndFirstValues() {
        try (SonarConceptEncoder enc = (SonarConceptEncoder) ConceptModels.encoder("text_sonar_basic_encoder")) {
            float[][] en = enc.encode(List.of("Hello, my name is Paul", "I'm working as a teacher"), "eng_Latn");
            float[][] fr = enc.encode(List.of("Bonjour, mon nom est Paul", "Je travaille comme professeur."), "fra_Latn");
            double[][] want = {{0.9367, 0.3658}, {0.3787, 0.8596}};
            for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) assertEquals(want[i][j], dot(normalize(en[i]), normalize(fr[j])), 1e-4);
            float[][] e = enc.encode(List.of("My name is SONAR.", "I can embed the sentences into vectorial space."), "eng_Latn");
            double[][] first = {{-0.005286, 0.002008, -0.000562, 0.006344, 0.006329}, {-0.000330, -0.007055, 0.007644, 0.001841, 0.003727}};
            for (int i = 0; i < 2; i++) for (int j = 0; j < 5; j++) assertEquals(first[i][j], e[i][j], 1e-3 * Math.abs(first[i][j]) + 1e-6);
        }
    }

    @Test
    void decoderLogitsAndTranslationToFrench() {
        try (SonarConceptEncoder enc = (SonarConceptEncoder) ConceptModels.encoder("text_sonar_basic_encoder");
             SonarConceptDecoder dec = (SonarConceptDecoder) ConceptModels.decoder("text_sonar_basic_decoder")) {
            float[][] en = enc.encode(List.of("Hello, my name is Paul", "I'm working as a teacher"), "eng_Latn");
            assertEquals(List.of("Bonjour, mon nom est Paul", "Je travaille comme professeur."), dec.decode(en, "fra_Latn"));
            float[] sonar = enc.encode(List.of("My name is SONAR."), "eng_Latn")[0];
            assertEquals(List.of("My name is SONAR."), dec.decode(new float[][] {sonar}, "eng_Latn"));
        }
        SonarTextDecoder model = new SonarTextDecoder(dev.lcm4j.nn.ParamFactory.cpu(), SonarDecoderConfig.basic());
        SonarWeights.load(SonarFiles.sonarDir().resolve("sonar_text_decoder.pt"), model, Map.of("final_proj.weight", "decoder_frontend.embed.weight"), "golden");
        try (SonarConceptEncoder enc = (SonarConceptEncoder) ConceptModels.encoder("text_sonar_basic_encoder");
             NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
            float[] emb = enc.encode(List.of("Hello, my name is Paul"), "eng_Latn")[0];
            Tensor logits = model.logits(Tensors.longs(new long[] {3, 333}, 1, 2), Tensors.floats(emb, 1, emb.length));   // [1, 2, V]
            float[] l0 = Tensors.toFloats(logits.select(1, 0)), l1 = Tensors.toFloats(logits.select(1, 1));
            Map<float[], double[][]> want = Map.of(
                    l0, new double[][] {{-1.4572, -2.7325, -1.0546, 0.7818}, {0.8982, 0.4996, -0.1487}},
                    l1, new double[][] {{2.4092, 6.9624, 3.6308, 9.4825}, {3.8826, 3.8777, 3.2820, 3.3275}});
            want.forEach((l, w) -> {
                for (int i = 0; i < w[0].length; i++) assertEquals(w[0][i], l[i], 2e-4);
                for (int i = 0; i < w[1].length; i++) assertEquals(w[1][i], l[l.length - w[1].length + i], 2e-4);
            });
        }
    }
}
