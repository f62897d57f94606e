package dev.lcm4j.models.quantlcm;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quant-LCM's registration, parameter counts, option checks and how a checkpoint brings its codebooks. The 1.6B counts are the spec's derivation
 * (paper-variants §5.7: One-Tower's 1.6B with a 65 x 2048 codebook-index table in place of the timestep MLP);
 * the toys' follow from the One-Tower toy's closed form with the same substitution.
 */
class QuantLcmModelTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @Test
    void bothFamiliesAreRegisteredWithTheirArchsAndPredictorNames() {
        assertSame(QuantLcmFamily.DISCRETE, ModelFamilies.get("quant_lcm_d"));
        assertSame(QuantLcmFamily.CONTINUOUS, ModelFamilies.get("quant_lcm_c"));
        assertSame(QuantLcmFamily.DISCRETE, ModelFamilies.byPredictor("quant_lcm_d"));
        assertSame(QuantLcmFamily.CONTINUOUS, ModelFamilies.byCriterion("quant_lcm_c_next_sent"));
        // one config record, told apart by model_type
        assertSame(QuantLcmFamily.CONTINUOUS, ModelFamilies.of(ModelFamilies.arch("toy_quant_lcm_c").config().get()));
        assertSame(QuantLcmFamily.DISCRETE, ModelFamilies.of(ModelFamilies.arch("quant_lcm_d_1_6B").config().get()));
    }

    @Test
    void paperConfigurationsHaveTheSpecsParameterCounts() {
        assertEquals(1_661_901_824L, ModelFamilies.parameterCount(ModelFamilies.arch("quant_lcm_c_1_6B").config().get()));
        assertEquals(1_676_589_056L, ModelFamilies.parameterCount(ModelFamilies.arch("quant_lcm_d_1_6B").config().get()));
    }

    @Test
    void toyCountsFollowFromTheOneTowerToy() {
        // One-Tower toy 2,367,744 (docs/one-tower.md) holds the timestep MLP over 256 sinusoids: 256 -> 256 -> 256
        long oneTower = 2_367_744L, timestepMlp = 2L * (256 * 256 + 256);
        long rest = oneTower - timestepMlp;                                 // PreNet, positions, layers, PostNet 256 -> 1024
        long table = 9L * 256;                                              // M + 1 = 9 indices x d_k
        long postnet = 256L * 1024 + 1024, head = 256L * 256 + 256;        // -c PostNet; -d head over K = 256 units
        assertEquals(rest + table, ModelFamilies.parameterCount(ModelFamilies.arch("toy_quant_lcm_c").config().get()));
        assertEquals(rest + table - postnet + head, ModelFamilies.parameterCount(ModelFamilies.arch("toy_quant_lcm_d").config().get()));
        // the demo archs: the same stack over 384-d concepts: PreNet 1024+256 -> 256 becomes 384+256 -> 256, PostNet 256 -> 384
        long prenetDelta = (640L * 256 + 256) - (1280L * 256 + 256), demoPostnet = 256L * 384 + 384;
        assertEquals(1_910_144L, rest + table + prenetDelta - postnet + demoPostnet);
        assertEquals(1_910_144L, ModelFamilies.parameterCount(ModelFamilies.arch("demo_quant_lcm_c").config().get()));
        assertEquals(1_877_248L, rest + table + prenetDelta - postnet + head);
        assertEquals(1_877_248L, ModelFamilies.parameterCount(ModelFamilies.arch("demo_quant_lcm_d").config().get()));
    }

    @Test
    void samplingOptionsAreCheckedByName() {
        QuantSamplingOptions.PAPER_C.validate(false);
        QuantSamplingOptions.PAPER_D.validate(true);
        LcmException e = assertThrows(LcmException.class, () -> new QuantSamplingOptions(1, 1, 1, 2).validate(true));
        assertTrue(e.getMessage().contains("distance_power applies to quant_lcm_c only"), e.getMessage());
        e = assertThrows(LcmException.class, () -> new QuantSamplingOptions(1, 0, 3, 1).validate(false));
        assertTrue(e.getMessage().contains("temperature must be > 0"), e.getMessage());
    }

    @Test
    void aCheckpointBringsItsCodebooksAndOnesOfAnotherShapeAreOneError(@TempDir Path tmp) throws Exception {
        QuantLcmConfig c = (QuantLcmConfig) ModelFamilies.arch("toy_quant_lcm_c").config().get();   // 8 x 256 x 1024
        float[] books = new float[8 * 256 * 1024];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < books.length; i++) books[i] = (float) rnd.nextGaussian();
        Path ckpt = tmp.resolve("model.pt");
        Checkpoints.saveModel(ckpt, new QuantLcm(ParamFactory.cpu(), c, null, Tensors.floats(books, 8, 256, 1024)));

        // no quantizer_path: the checkpoint's codebooks are the model's
        String card = "name: %s\nmodel_family: quant_lcm_c\nmodel_arch: toy_quant_lcm_c\n%scheckpoint: " + ckpt.toUri() + "\n";
        Files.writeString(tmp.resolve("good.yaml"), card.formatted("good", ""));
        Lcm m = ModelLoader.load(ModelCards.resolve(tmp.resolve("good.yaml").toString()), ParamFactory.cpu(), true);
        assertArrayEquals(books, Tensors.toFloats(m.stateDict().get("quantizer_codebooks")), 0f);

        // a config of 128 units per codebook against the checkpoint's 256 (the -c model has no other tensor sized by K)
        Files.writeString(tmp.resolve("wrong.yaml"), card.formatted("wrong", "model_config:\n  num_units: 128\n"));
        LcmException e = assertThrows(LcmException.class,
                () -> ModelLoader.load(ModelCards.resolve(tmp.resolve("wrong.yaml").toString()), ParamFactory.cpu(), true));
        assertTrue(e.getMessage().contains("quantizer_codebooks has shape [8, 256, 1024] but the model expects [8, 128, 1024]"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void codebookDistancesFollowACheckpointLoadedAfterTheirFirstUse(@TempDir Path tmp) {
        QuantLcmConfig c = (QuantLcmConfig) ModelFamilies.arch("toy_quant_lcm_d").config().get();   // 8 x 256 x 1024
        int k = 256, d = 1024;
        float[] books = new float[8 * k * d];
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = 0; i < books.length; i++) books[i] = (float) rnd.nextGaussian();
        Path ckpt = tmp.resolve("model.pt");
        Checkpoints.saveModel(ckpt, new QuantLcm(ParamFactory.cpu(), c, null, Tensors.floats(books, 8, k, d)));
        float[] r = new float[2 * d];
        for (int i = 0; i < r.length; i++) r[i] = (float) (2 * rnd.nextGaussian());
        Tensor residual = Tensors.floats(r, 2, d);

        QuantLcm m = new QuantLcm(ParamFactory.cpu(), c, null, null);                               // zero codebooks
        float[] before = Tensors.toFloats(QuantLcmSampling.squaredDistances(m, 3, residual));       // caches their norms
        Checkpoints.load(Checkpoints.readState(ckpt), m, "checkpoint " + ckpt);                     // written in place
        float[] after = Tensors.toFloats(QuantLcmSampling.squaredDistances(m, 3, residual));
        for (int row = 0; row < 2; row++) {
            for (int u = 0; u < k; u++) {
                double want = 0, zero = 0, scale = 0;
                for (int j = 0; j < d; j++) {
                    double rj = r[row * d + j], cj = books[(3 * k + u) * d + j];
                    want += (rj - cj) * (rj - cj);
                    zero += rj * rj;
                    scale += rj * rj + cj * cj;
                }
                assertEquals(zero, before[row * k + u], 1e-5 * scale, "zero codebooks, unit " + u);
                assertEquals(want, after[row * k + u], 1e-5 * scale, "loaded codebooks, row " + row + " unit " + u);
            }
        }
    }
}
