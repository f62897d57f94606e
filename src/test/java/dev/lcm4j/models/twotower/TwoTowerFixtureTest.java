package dev.lcm4j.models.twotower;

import static dev.lcm4j.testing.NumericAsserts.assertCloseScaled;
import static dev.lcm4j.testing.NumericAsserts.assertGradientsMatch;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.models.twotower.DiffusionSampler;
import dev.lcm4j.io.Npy;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.twotower.DiffusionCriterion;
import dev.lcm4j.models.EmbeddingsBatch;
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
 * lcm4j's two-tower model against an independent PyTorch implementation (fixtures/python/ref_two_tower.py, Debian
 * PyTorch 1.13), loaded from the reference-layout {@code model.pt}: training forwards (unsupervised and supervised
 * masks), inference denoising, one full DDIM generation step with and without classifier-free guidance, the
 * criterion and its gradients. Tolerance 1e-5 (relative to the value's scale where noted).
 */
class TwoTowerFixtureTest {
    static final Path DIR = Fixtures.dir("two_tower");

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @SuppressWarnings("unchecked")
    static TwoTowerDiffusionLcm model(String name) throws Exception {
        Map<String, Object> tree = new Yaml().load(Files.readString(DIR.resolve(name).resolve("config.json")));
        TwoTowerDiffusionLcmConfig c = ConfigBinder.bindOnto(tree, TwoTowerDiffusionLcmConfig.defaults(), TwoTowerDiffusionLcmConfig.class, name);
        Map<String, StoredTensor> st = Checkpoints.readState(DIR.resolve(name).resolve("model.pt"));
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(c.sonar_embed_dim()));
        TwoTowerDiffusionLcm m = new TwoTowerDiffusionLcm(ParamFactory.cpu(), c, n);
        Checkpoints.load(DIR.resolve(name).resolve("model.pt"), m);
        assertArrayEquals(st.get("sonar_normalizer.center").toFloatArray(), n.center());
        m.train(false);
        return m;
    }

    static Tensor npy(String name, String file) {
        Npy.Array a = Npy.read(DIR.resolve(name).resolve(file));
        return a.dtype() == dev.lcm4j.io.DType.INT64 ? Tensors.longs(a.toLongArray(), a.shape()) : Tensors.floats(a.toFloatArray(), a.shape());
    }

    static long[] longs(String name, String file) {
        return Npy.read(DIR.resolve(name).resolve(file)).toLongArray();
    }

    /** Rows b, positions < lengths[b] only: outputs at padded positions are never used. */
    static Tensor valid(Tensor x, long[] lengths) {
        List<Tensor> rows = new ArrayList<>();
        for (int b = 0; b < lengths.length; b++) rows.add(x.select(0, b).narrow(0, 0, lengths[b]));
        return org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(rows.toArray(new Tensor[0])), 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "rope"})
    void keysAndForwardsMatchPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            TwoTowerDiffusionLcm m = model(name);
            List<List<Object>> keys = new Yaml().load(Files.readString(DIR.resolve(name).resolve("keys.json")));
            List<String> expected = keys.stream().map(k -> (String) k.get(0)).toList();
            assertEquals(expected, new ArrayList<>(m.stateDict().keySet()), "state-dict keys and order");

            long[] lengths = longs(name, "lengths.npy");
            Tensor out = m.forward(npy(name, "ctx.npy"), lengths, null, npy(name, "noisy.npy"), npy(name, "timesteps.npy"), 0.0);
            assertCloseScaled(valid(npy(name, "forward_unsup.npy"), lengths), valid(out, lengths), 1e-5, name + " unsupervised forward");

            long[] sl = longs(name, "sup_lengths.npy"), src = longs(name, "sup_source_lengths.npy");
            long[] tl = new long[sl.length];
            for (int i = 0; i < sl.length; i++) tl[i] = sl[i] - src[i];
            Tensor sup = m.forward(npy(name, "sup_ctx.npy"), sl, src, npy(name, "sup_noisy.npy"), npy(name, "sup_timesteps.npy"), 0.0);
            assertCloseScaled(valid(npy(name, "forward_sup.npy"), tl), valid(sup, tl), 1e-5, name + " supervised forward");

            Tensor inf = m.denoise(npy(name, "inf_latents.npy"), npy(name, "inf_timesteps.npy"), npy(name, "inf_ctx.npy"), null);
            assertCloseScaled(npy(name, "denoise_inference.npy"), inf, 1e-5, name + " inference denoising");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "rope"})
    void oneGeneratedConceptWithAndWithoutGuidanceMatchesPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            TwoTowerDiffusionLcm m = model(name);
            Tensor prompt = npy(name, "gen_prompt.npy"), noise = npy(name, "gen_noise.npy");
            Tensor ctx = m.encode(m.normalizer().normalize(prompt), null);
            // 10 of T = 100 steps: the reference's schedule and lcm4j's exact one coincide (S divides T)
            DiffusionOptions cfg = DiffusionOptions.defaults().withGuidance(3.0, 0.7).withTimesteps(10, false).withInitialNoiseScale(0.6);
            assertCloseScaled(npy(name, "gen_cfg_next.npy"), new DiffusionSampler(m, cfg).sample(ctx, null, noise), 1e-5, name + " CFG step");
            DiffusionOptions plain = cfg.withGuidance(1.0, 0.0);
            assertCloseScaled(npy(name, "gen_nocfg_next.npy"), new DiffusionSampler(m, plain).sample(ctx, null, noise), 1e-5, name + " plain step");
            // the same with the reference's schedule flag (identical for S | T)
            assertCloseScaled(npy(name, "gen_cfg_next.npy"), new DiffusionSampler(m, cfg.withTimesteps(10, true)).sample(ctx, null, noise), 1e-5, name);
            // through the CFG mask path used by predict: an all-true conditional mask gives the same concept
            Tensor all = CrossAttentionMask.nextPositions(1, 3, new long[] {3, 3}, null).logical_or(CrossAttentionMask.nextPositions(1, 3, new long[] {3, 3}, null).logical_not());
            assertCloseScaled(npy(name, "gen_cfg_next.npy"), new DiffusionSampler(m, cfg).sample(ctx, all, noise), 1e-5, name + " masked");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "rope"})
    void criterionAndGradientsMatchPyTorch(String name) throws Exception {
        try (PointerScope s = new PointerScope()) {
            TwoTowerDiffusionLcm m = model(name);
            m.train(true); // dropouts are 0 in the fixture configs
            Map<String, Object> expected = new Yaml().load(Files.readString(DIR.resolve(name).resolve("crit.json")));
            Tensor seqs = npy(name, "crit_seqs.npy");
            long[] lengths = longs(name, "crit_lengths.npy");
            CriterionConfig d = CriterionConfig.defaults();
            DiffusionCriterion c = new DiffusionCriterion(new CriterionConfig("two_tower_diffusion_next_sent", d.reduction(), false,
                    d.min_context_size(), 0.15, false, d.step_sampling()), m);
            // cf_guidance 0.15 drops nothing at S = 6 (floor(5 * 0.15) = 0), so the reference ran without dropping too
            Criterion.Loss loss = c.compute(m, new EmbeddingsBatch(seqs, lengths, null), npy(name, "crit_timesteps.npy"), npy(name, "crit_noise.npy"));
            assertEquals(((Number) expected.get("num_target_elements")).longValue(), loss.numTargets());
            double ls = ((Number) expected.get("loss_sum")).doubleValue();
            assertEquals(ls, loss.loss().item_double(), 1e-5 * ls);
            double un = ((Number) expected.get("unnormalized_loss_sum")).doubleValue();
            assertEquals(un, loss.summands().get("unnormalized_reconstruction_loss"), 1e-5 * un);
            loss.loss().backward();
            assertGradientsMatch(Checkpoints.readState(DIR.resolve(name).resolve("crit_grads.pt")), m.namedParameters(),
                    // lcm4j does not compute the self-attention q/k projections (softmax over one key): no gradient,
                    // where PyTorch's is exactly zero
                    k -> k.matches("denoiser\\.layers\\.\\d+\\.self_attn\\.[qk]_proj\\..*"), name);
        }
    }
}
