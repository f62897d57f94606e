package dev.lcm4j.models.quantlcm;

import static dev.lcm4j.testing.NumericAsserts.assertCloseScaled;
import static dev.lcm4j.testing.NumericAsserts.assertGradientsMatch;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.io.Npy;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * lcm4j's Quant-LCM-d and -c against an independent PyTorch implementation written from the paper
 * (fixtures/python/ref_quant_lcm.py, Debian PyTorch 1.13), loaded from its {@code model.pt} (codebooks included): the
 * interleaved training forward, the criterion and its gradients, and one greedy codebook-by-codebook generation step
 * with and without guidance (PyTorch runs the whole sequence, lcm4j the KV-cached clean stream). Forward, loss and
 * generation to 1e-5, gradients to 1e-4 (relative to the values' scale).
 */
class QuantLcmFixtureTest {
    static final Path DIR = Fixtures.dir("quant_lcm");

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @SuppressWarnings("unchecked")
    static QuantLcm model(String name) throws Exception {
        Map<String, Object> tree = new Yaml().load(Files.readString(DIR.resolve(name).resolve("config.json")));
        String family = (String) tree.get("model_type");
        QuantLcmConfig c = ConfigBinder.bindOnto(tree, QuantLcmConfig.defaults(family), QuantLcmConfig.class, name);
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(c.sonar_embed_dim()));
        QuantLcm m = new QuantLcm(ParamFactory.cpu(), c, n, null);
        Checkpoints.load(DIR.resolve(name).resolve("model.pt"), m);
        m.train(false);
        return m;
    }

    static Tensor npy(String name, String file) {
        Npy.Array a = Npy.read(DIR.resolve(name).resolve(file));
        return switch (a.dtype()) {
            case INT64 -> Tensors.longs(a.toLongArray(), a.shape());
            default -> Tensors.floats(a.toFloatArray(), a.shape());
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"discrete", "continuous"})
    void trainingForwardMatchesPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            QuantLcm m = model(name);
            assertEquals("discrete".equals(name), m.discrete());
            Tensor allowed = InterleavedMask.training(6, null, null, 0.0, null);
            Tensor out = m.forward(npy(name, "clean.npy"), npy(name, "partial.npy"), npy(name, "indices.npy"), allowed);
            assertCloseScaled(npy(name, "forward.npy"), out, 1e-5, name + " forward");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"discrete", "continuous"})
    void oneGreedyCodebookByCodebookStepMatchesPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            QuantLcm m = model(name);
            Tensor prompt = npy(name, "gen_prompt.npy");
            for (double guidance : new double[] {2.0, 1.0}) {
                IncrementalState cache = new IncrementalState();
                m.encodeClean(m.normalizer().normalize(prompt), cache);
                QuantSamplingOptions o = new QuantSamplingOptions(guidance, 1.0, 1, 1);
                Tensor z = QuantLcmSampling.generate(m, 2, 1, cache.step(), cache, null, o, Noise.global());
                assertCloseScaled(npy(name, guidance == 1.0 ? "gen_nocfg_next.npy" : "gen_cfg_next.npy"), z, 1e-5, name + " g=" + guidance);
                cache.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"discrete", "continuous"})
    void criterionAndGradientsMatchPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope()) {
            QuantLcm m = model(name);
            m.train(true); // dropouts are 0 in the fixture configs
            Map<String, Object> expected = new Yaml().load(Files.readString(DIR.resolve(name).resolve("crit.json")));
            long[] lengths = Npy.read(DIR.resolve(name).resolve("crit_lengths.npy")).toLongArray();
            String crit = m.discrete() ? QuantLcmCriterion.DISCRETE : QuantLcmCriterion.CONTINUOUS;
            // p = 0.15 drops floor(5 * 0.15) = 0 of 6 sentences, so PyTorch ran without dropping too
            CriterionConfig cc = CriterionConfig.builder().name(crit).cf_guidance_probability(0.15).compute_rmse(false).min_context_size(0).build();
            QuantLcmCriterion c = new QuantLcmCriterion(cc, m);
            Criterion.Loss loss = c.compute(m, new EmbeddingsBatch(npy(name, "crit_seqs.npy"), lengths, null), npy(name, "crit_indices.npy"));
            assertEquals(((Number) expected.get("num_target_elements")).longValue(), loss.numTargets());
            double ls = ((Number) expected.get("loss_sum")).doubleValue();
            assertEquals(ls, loss.loss().item_double(), 1e-5 * ls);
            loss.loss().backward();
            assertGradientsMatch(Checkpoints.readState(DIR.resolve(name).resolve("crit_grads.pt")), m.namedParameters(),
                    k -> false, name);
        }
    }
}
