package dev.lcm4j.models.onetower;

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
import dev.lcm4j.models.diffusion.DdimSampler;
import dev.lcm4j.models.diffusion.DiffusionOptions;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * lcm4j's one-tower model against an independent PyTorch implementation written from the paper
 * (fixtures/python/ref_one_tower.py, Debian PyTorch 1.13), loaded from its {@code model.pt}: the interleaved training
 * forward (with and without guidance-dropped sentences), one full DDIM generation step with and without guidance
 * (PyTorch runs the whole sequence, lcm4j the KV-cached clean stream), the criterion (unsupervised and supervised) and
 * its gradients. Forward, loss and generation to 1e-5, gradients to 1e-4 (relative to the values' scale).
 */
class OneTowerFixtureTest {
    static final Path DIR = Fixtures.dir("one_tower");

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @SuppressWarnings("unchecked")
    static OneTowerDiffusionLcm model(String name) throws Exception {
        Map<String, Object> tree = new Yaml().load(Files.readString(DIR.resolve(name).resolve("config.json")));
        OneTowerDiffusionLcmConfig c = ConfigBinder.bindOnto(tree, OneTowerDiffusionLcmConfig.defaults(), OneTowerDiffusionLcmConfig.class, name);
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(c.sonar_embed_dim()));
        OneTowerDiffusionLcm m = new OneTowerDiffusionLcm(ParamFactory.cpu(), c, n);
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

    static long[] longs(String name, String file) {
        return Npy.read(DIR.resolve(name).resolve(file)).toLongArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "swiglu"})
    void keysAndTrainingForwardsMatchPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            OneTowerDiffusionLcm m = model(name);
            List<List<Object>> keys = new Yaml().load(Files.readString(DIR.resolve(name).resolve("keys.json")));
            assertEquals(keys.stream().map(k -> (String) k.get(0)).toList(), new ArrayList<>(m.stateDict().keySet()), "state-dict keys and order");

            Tensor clean = npy(name, "clean.npy"), noisy = npy(name, "noisy.npy"), ts = npy(name, "timesteps.npy");
            Tensor out = m.forward(clean, noisy, ts, InterleavedMask.training(6, null, new long[] {6, 6, 6}, 0.0, null));
            assertCloseScaled(npy(name, "forward.npy"), out, 1e-5, name + " forward");

            long[] droppedFlags = longs(name, "dropped.npy");
            boolean[] dropped = new boolean[droppedFlags.length];
            for (int i = 0; i < dropped.length; i++) dropped[i] = droppedFlags[i] != 0;
            Tensor mask = Tensors.floats(InterleavedMask.mask(6, dropped), 1, 1, 12, 12).gt(Tensors.scalar(0.5));
            Tensor outDropped = m.forward(clean, noisy, ts, mask);
            assertCloseScaled(npy(name, "forward_dropped.npy"), outDropped, 1e-5, name + " forward with guidance-dropped sentences");
            // the dropped sentences changed, the others did not
            for (int i = 0; i < 6; i++) {
                double diff = out.select(1, i).sub(outDropped.select(1, i)).abs().max().item_double();
                assertEquals(dropped[i], diff > 1e-4, "sentence " + i + " differs iff dropped: " + diff);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "swiglu"})
    void oneGeneratedConceptWithAndWithoutGuidanceMatchesPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            OneTowerDiffusionLcm m = model(name);
            Tensor prompt = m.normalizer().normalize(npy(name, "gen_prompt.npy")), noise = npy(name, "gen_noise.npy");
            DiffusionOptions cfg = DiffusionOptions.defaults().withGuidance(3.0, 0.7).withTimesteps(10, false).withInitialNoiseScale(0.6);
            DiffusionOptions plain = cfg.withGuidance(1.0, 0.0);
            for (int split : new int[] {3, 2, 1}) {
                // the clean prompt enters the KV cache in one piece or in two (positions continue across appends)
                IncrementalState cache = new IncrementalState();
                m.encodeClean(prompt.narrow(1, 0, split), cache);
                if (split < 3) m.encodeClean(prompt.narrow(1, split, 3 - split), cache);
                assertEquals(3, cache.step());
                for (var c : List.of(Map.entry(cfg, "gen_cfg_next.npy"), Map.entry(plain, "gen_nocfg_next.npy"))) {
                    DdimSampler ddim = OneTowerDiffusionLcmFamily.sampler(m, c.getKey(), Noise.global());
                    Tensor x0 = ddim.run(OneTowerDiffusionLcmFamily.denoiser(m, cache, 3, null), noise);
                    assertCloseScaled(npy(name, c.getValue()), m.normalizer().denormalize(x0), 1e-5, name + " " + c.getValue() + " split " + split);
                }
                cache.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "swiglu"})
    void teacherForcedPredictionOfEveryPositionMatchesPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            OneTowerDiffusionLcm m = model(name);
            DiffusionOptions cfg = DiffusionOptions.defaults().withGuidance(3.0, 0.7).withTimesteps(10, false).withInitialNoiseScale(0.6);
            // lcm4j: one pass over the clean stream, all three latents denoised together; PyTorch: one prefix at a time
            Tensor got = OneTowerDiffusionLcmFamily.teacherForced(m, npy(name, "gen_prompt.npy"),
                    OneTowerDiffusionLcmFamily.sampler(m, cfg, Noise.global()), npy(name, "tf_noise.npy"));
            assertCloseScaled(npy(name, "tf_next.npy"), got, 1e-5, name + " teacher-forced");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "swiglu"})
    void criterionAndGradientsMatchPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope()) {
            OneTowerDiffusionLcm m = model(name);
            m.train(true); // dropouts are 0 in the fixture configs
            Map<String, Object> expected = new Yaml().load(Files.readString(DIR.resolve(name).resolve("crit.json")));
            Tensor seqs = npy(name, "crit_seqs.npy");
            long[] lengths = longs(name, "crit_lengths.npy");
            CriterionConfig d = CriterionConfig.defaults();
            // p = 0.15 drops floor(5 * 0.15) = 0 of 6 sentences, so PyTorch ran without dropping too
            OneTowerCriterion c = new OneTowerCriterion(new CriterionConfig(OneTowerCriterion.PRETRAIN, d.reduction(), false,
                    d.min_context_size(), 0.15, false, d.step_sampling()), m);
            Tensor ts = npy(name, "crit_timesteps.npy"), noise = npy(name, "crit_noise.npy");
            Criterion.Loss loss = c.compute(m, new EmbeddingsBatch(seqs, lengths, null), ts, noise);
            assertEquals(((Number) expected.get("num_target_elements")).longValue(), loss.numTargets());
            double ls = ((Number) expected.get("loss_sum")).doubleValue();
            assertEquals(ls, loss.loss().item_double(), 1e-5 * ls);
            double un = ((Number) expected.get("unnormalized_loss_sum")).doubleValue();
            assertEquals(un, loss.summands().get("unnormalized_reconstruction_loss"), 1e-5 * un);
            loss.loss().backward();
            assertGradientsMatch(Checkpoints.readState(DIR.resolve(name).resolve("crit_grads.pt")), m.namedParameters(),
                    k -> false, name);

            // supervised: answer sentences only (2, 1 and 1 prompt sentences)
            OneTowerCriterion sup = new OneTowerCriterion(new CriterionConfig(OneTowerCriterion.FINETUNE, d.reduction(), false,
                    d.min_context_size(), 0.15, false, d.step_sampling()), m);
            Criterion.Loss sl = sup.compute(m, new EmbeddingsBatch(seqs, lengths, longs(name, "crit_source_lengths.npy")), ts, noise);
            assertEquals(((Number) expected.get("sup_num_target_elements")).longValue(), sl.numTargets());
            double sls = ((Number) expected.get("sup_loss_sum")).doubleValue();
            assertEquals(sls, sl.loss().item_double(), 1e-5 * sls);
        }
    }
}
