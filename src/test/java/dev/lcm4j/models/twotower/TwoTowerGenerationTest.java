package dev.lcm4j.models.twotower;

import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;

import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.models.twotower.DiffusionSampler;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.models.twotower.EncoderFrontendConfig;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation with the two-tower model: determinism, KV cache, guidance arithmetic, schedules, bad options. */
class TwoTowerGenerationTest {
    static final int DIM = 16;

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    /** A small random two-tower model whose modulators are NOT zero (else the denoiser ignores t and the context). */
    static TwoTowerDiffusionLcm model(boolean guidance, long seed) {
        org.bytedeco.pytorch.global.torch.manual_seed(seed);
        TransformerConfig t = TransformerConfig.defaults();
        TransformerConfig.Builder tower = TransformerConfig.builder().num_layers(2).num_attn_heads(4).dropout_p(0.0)
                .final_dropout_p(0.0).ffn_inner_dim(64);
        TransformerConfig enc = tower.use_swiglu(true).pos_embedding_style("rope").layer_normalization_style("rms")
                .mha_output_proj_bias(true).build();
        TransformerConfig den = tower.use_swiglu(false).pos_embedding_style("none").layer_normalization_style("standard")
                .mha_output_proj_bias(false).build();
        TwoTowerDiffusionLcmConfig c = TwoTowerDiffusionLcmConfig.builder().sonar_embed_dim(DIM).sonar_normalizer_name("test_norm")
                .max_seq_len(64).model_dim(32).context_encoder(enc).noise_scheduler(DdimSchedulerConfig.defaults().withTrainSteps(100))
                .denoiser(DenoiserConfig.of(den, 32)).trained_with_cf_guidance(guidance).build();
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(DIM));
        Random r = new Random(seed);
        float[] center = new float[DIM], scale = new float[DIM];
        for (int i = 0; i < DIM; i++) { center[i] = (float) (r.nextGaussian() * 0.01); scale[i] = 0.005f + 0.01f * r.nextFloat(); }
        n.set(center, scale, null, null);
        TwoTowerDiffusionLcm m = new TwoTowerDiffusionLcm(ParamFactory.cpu(), c, n);
        try (NoGradGuard g = new NoGradGuard()) {
            m.namedParameters().forEach((k, v) -> { if (k.contains("modulator")) v.normal_(0.0, 0.2, null); });
        }
        m.train(false);
        return m;
    }

    static List<float[][]> prompts(int[] lengths, long seed) {
        Random r = new Random(seed);
        List<float[][]> out = new ArrayList<>();
        for (int len : lengths) {
            float[][] p = new float[len][DIM];
            for (float[] v : p) for (int j = 0; j < DIM; j++) v[j] = (float) (r.nextGaussian() * 0.01);
            out.add(p);
        }
        return out;
    }

    static List<float[][]> generate(TwoTowerDiffusionLcm m, DiffusionOptions d, long seed, boolean disableCache, List<float[][]> prompts) {
        GeneratorOptions o = new GeneratorOptions(200, 1, null, false, null, false, false, seed, 1.0);
        return new LcmGenerator(m, o, d, null).generate(prompts, 4, 1, 0.0, disableCache);
    }

    static double maxDiff(List<float[][]> a, List<float[][]> b) {
        assertEquals(a.size(), b.size());
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).length, b.get(i).length);
            for (int p = 0; p < a.get(i).length; p++) for (int j = 0; j < DIM; j++) m = Math.max(m, Math.abs(a.get(i)[p][j] - b.get(i)[p][j]));
        }
        return m;
    }

    @Test
    void generationIsDeterministicPerSeedAndTheCacheChangesNothing() {
        TwoTowerDiffusionLcm m = model(true, 1);
        DiffusionOptions d = DiffusionOptions.readme().withTimesteps(10, false);
        List<float[][]> ps = prompts(new int[] {3, 1, 4, 2}, 2);
        List<float[][]> a = generate(m, d, 5, false, ps), b = generate(m, d, 5, false, ps), c = generate(m, d, 6, false, ps);
        assertEquals(0.0, maxDiff(a, b), "same seed, same concepts");
        assertTrue(maxDiff(a, c) > 1e-4, "another seed samples other latents");
        // each hypothesis is its prompt followed by max_gen_len = 4 generated concepts, the prompt unchanged
        for (int i = 0; i < ps.size(); i++) {
            assertEquals(ps.get(i).length + 4, a.get(i).length);
            for (int p = 0; p < ps.get(i).length; p++) assertArrayEquals(ps.get(i)[p], a.get(i)[p]);
        }
        // the KV-cached context equals re-encoding the whole prefix at every step (ragged prompts, CFG on)
        List<float[][]> u = generate(m, d, 5, true, ps);
        assertTrue(maxDiff(a, u) < 1e-5, "cached vs uncached: " + maxDiff(a, u));
        // and without guidance
        DiffusionOptions plain = d.withGuidance(1.0, 0.0);
        assertTrue(maxDiff(generate(m, plain, 5, false, ps), generate(m, plain, 5, true, ps)) < 1e-5);
        assertTrue(maxDiff(generate(m, plain, 5, false, ps), a) > 1e-4, "guidance changes the result");
    }

    /**
     * The sampler's context cache (cross-attention keys/values appended position by position in preallocated buffers)
     * samples what projecting the whole context does, with and without guidance, past the buffers' first growth and
     * after rows leave the batch.
     */
    @Test
    void theContextCacheSamplesWhatTheWholeContextDoes() {
        TwoTowerDiffusionLcm m = model(true, 2);
        for (DiffusionOptions d : List.of(DiffusionOptions.readme().withTimesteps(4, false), DiffusionOptions.defaults().withTimesteps(4, false))) {
            try (NoGradGuard g = new NoGradGuard(); org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
                DiffusionSampler s = new DiffusionSampler(m, d);
                org.bytedeco.pytorch.global.torch.manual_seed(8);
                Tensor ctx = org.bytedeco.pytorch.global.torch.randn(3, 70, 32);    // 71 keys: past the first 64-key buffer
                try (DiffusionSampler.ContextCache cache = s.newContextCache()) {
                    cache.append(ctx.narrow(1, 0, 5));                              // a prefill, then one position at a time
                    for (int p = 5; p < 70; p++) cache.append(ctx.narrow(1, p, 1));
                    assertEquals(3, cache.rows());
                    assertEquals(71, cache.keys());
                    Tensor lat = s.initialLatents(3, 1);
                    assertClose(s.sample(ctx, null, lat), s.sample(cache, lat, null), 1e-5);
                    // rows 2 and 0 go on; both then see one more position
                    Tensor keep = Tensors.longs(new long[] {2, 0}, 2);
                    cache.keepRows(keep);
                    Tensor kept = ctx.index_select(0, keep);
                    Tensor more = org.bytedeco.pytorch.global.torch.randn(2, 1, 32);
                    cache.append(more);
                    Tensor full = org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(kept, more), 1);
                    Tensor lat2 = s.initialLatents(2, 1);
                    assertClose(s.sample(full, null, lat2), s.sample(cache, lat2, null), 1e-5);
                    assertThrows(IllegalArgumentException.class, () -> s.sample(cache, s.initialLatents(3, 1), null));
                }
            }
        }
    }

    static void assertClose(Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual));
        float[] a = Tensors.toFloats(expected.contiguous()), b = Tensors.toFloats(actual.contiguous());
        double scale = 0;
        for (float v : a) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], tol * Math.max(1, scale), "element " + i);
    }

    /** Per-row seeds: each prompt's diffusion latents (DDIM noise too) depend on its seed, not on its batch. */
    @Test
    void perRowSeedsMakeEachRowIndependentOfItsBatch() {
        TwoTowerDiffusionLcm m = model(true, 1);
        DiffusionOptions d = DiffusionOptions.readme().withTimesteps(5, false).toBuilder().ddim_eta(0.5).build();
        GeneratorOptions o = new GeneratorOptions(200, 1, null, false, null, false, false, 7L, 1.0);
        List<float[][]> ps = prompts(new int[] {3, 1, 2}, 3);
        long[] seeds = {11, 22, 33};
        List<float[][]> batch = new LcmGenerator(m, o, d, null).generate(ps, 3, 1, 0.0, false, seeds);
        for (int i = 0; i < ps.size(); i++) {
            List<float[][]> alone = new LcmGenerator(m, o, d, null).generate(List.<float[][]>of(ps.get(i)), 3, 1, 0.0, false, new long[] {seeds[i]});
            assertTrue(maxDiff(List.<float[][]>of(batch.get(i)), alone) < 1e-5, "row " + i + ": " + maxDiff(List.<float[][]>of(batch.get(i)), alone));
        }
        List<float[][]> other = new LcmGenerator(m, o, d, null).generate(ps, 3, 1, 0.0, false, new long[] {12, 23, 34});
        assertTrue(maxDiff(batch, other) > 1e-4, "other seeds sample other latents");
    }

    @Test
    void guidanceWithRescaleMatchesTheFormula() {
        TwoTowerDiffusionLcm m = model(true, 1);
        DiffusionSampler s = new DiffusionSampler(m, DiffusionOptions.defaults().withGuidance(3.0, 0.7));
        Random r = new Random(4);
        int b = 2, c = 8;
        float[] eps = new float[2 * b * c];
        for (int i = 0; i < eps.length; i++) eps[i] = (float) r.nextGaussian();
        float[] got = Tensors.toFloats(s.guide(Tensors.floats(eps, 2 * b, 1, c)));
        for (int row = 0; row < b; row++) {
            double[] cond = new double[c], g = new double[c];
            for (int j = 0; j < c; j++) {
                cond[j] = eps[row * c + j];
                double un = eps[(b + row) * c + j];
                g[j] = un + 3.0 * (cond[j] - un);
            }
            double factor = 0.7 * unbiasedStd(cond) / unbiasedStd(g) + 0.3;
            for (int j = 0; j < c; j++) assertEquals(factor * g[j], got[row * c + j], 1e-5);
        }
    }

    static double unbiasedStd(double[] x) {
        double mean = 0;
        for (double v : x) mean += v / x.length;
        double ss = 0;
        for (double v : x) ss += (v - mean) * (v - mean);
        return Math.sqrt(ss / (x.length - 1));
    }

    @Test
    void timestepCountsAndBadValues() {
        TwoTowerDiffusionLcm m = model(true, 1);
        assertEquals(40, new DiffusionSampler(m, DiffusionOptions.readme()).schedule().length, "exactly S steps");
        int[] ref = new DiffusionSampler(m, DiffusionOptions.readme().withTimesteps(40, true)).schedule();
        assertEquals(50, ref.length, "the reference's integer stride: 50 steps for 40");
        assertEquals(99, ref[0]);
        assertEquals(1, ref[49]);
        for (int bad : new int[] {0, -1, 101}) {
            LcmException e = assertThrows(LcmException.class, () -> new DiffusionSampler(m, DiffusionOptions.readme().withTimesteps(bad, false)));
            assertTrue(e.getMessage().contains("inference_timesteps must be between 1 and the model's 100"), e.getMessage());
        }
        assertThrows(LcmException.class, () -> new DiffusionSampler(m, DiffusionOptions.readme().withInitialNoiseScale(0)));
    }

    @Test
    void guidanceOnAModelTrainedWithoutItWarnsOnce() {
        TwoTowerDiffusionLcm m = model(false, 1);
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            new DiffusionSampler(m, DiffusionOptions.readme());
            new DiffusionSampler(m, DiffusionOptions.readme());
            new DiffusionSampler(m, DiffusionOptions.defaults());
        } finally {
            System.setErr(old);
        }
        String err = buf.toString();
        int count = err.split("trained without classifier-free guidance", -1).length - 1;
        assertEquals(1, count, err);
        // a model trained with guidance: no warning
        buf.reset();
        System.setErr(new PrintStream(buf, true));
        try {
            new DiffusionSampler(model(true, 1), DiffusionOptions.readme());
        } finally {
            System.setErr(old);
        }
        assertFalse(buf.toString().contains("trained without"), buf.toString());
    }

    @Test
    void teacherForcedPredictionOfEveryPositionMatchesGenerationFromEachPrefix() {
        // predict's position t (context 0..t, one latent per position) equals the generator's first concept after
        // the prefix 0..t when both draw the same initial latent: with one position per call the draws coincide
        TwoTowerDiffusionLcm m = model(true, 1);
        DiffusionOptions d = DiffusionOptions.readme().withTimesteps(10, false);
        List<float[][]> doc = prompts(new int[] {3}, 9);
        try (NoGradGuard g = new NoGradGuard()) {
            DiffusionSampler s = new DiffusionSampler(m, d);
            Tensor seqs = Tensors.floats(flat(doc.get(0)), 1, 3, DIM);
            Tensor ctx = m.encode(m.normalizer().normalize(seqs), null);
            org.bytedeco.pytorch.global.torch.manual_seed(21);
            Tensor lat = s.initialLatents(1, 3);
            Tensor all = s.sample(ctx, dev.lcm4j.nn.denoisers.CrossAttentionMask.nextPositions(3, 3, new long[] {3}, null), lat);
            for (int t = 0; t < 3; t++) {
                Tensor one = s.sample(ctx.narrow(1, 0, t + 1), null, lat.narrow(1, t, 1));
                float[] a = Tensors.toFloats(all.narrow(1, t, 1)), b = Tensors.toFloats(one);
                for (int j = 0; j < DIM; j++) assertEquals(b[j], a[j], 1e-6, "position " + t);
            }
        }
    }

    @Test
    void modulatingDistinctStepsOnceEqualsModulatingEveryPosition() {
        // training modulates each distinct diffusion step once and gathers; the result and gradients must be those of
        // modulating every position
        try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
            TwoTowerDiffusionLcm m = model(true, 3);
            m.train(true);
            org.bytedeco.pytorch.global.torch.manual_seed(5);
            Tensor x = org.bytedeco.pytorch.global.torch.randn(3, 20, 16);
            Tensor ctx = org.bytedeco.pytorch.global.torch.randn(3, 20, 32);
            Tensor ts = org.bytedeco.pytorch.global.torch.randint(0, 7, new long[] {3, 20}, Tensors.opts(org.bytedeco.pytorch.global.torch.ScalarType.Long, null));
            Tensor allowed = dev.lcm4j.nn.denoisers.CrossAttentionMask.training(20, 20, new long[] {20, 15, 9}, null, 0.0, null);
            float[][] out = new float[2][], grad = new float[2][];
            for (int k = 0; k < 2; k++) {
                var mods = m.denoiser().modulations(ts, k == 0);
                Tensor y = m.denoise(x, mods, ctx, allowed);
                y.square().sum().backward();
                out[k] = Tensors.toFloats(y);
                Tensor g = m.namedParameters().get("denoiser.layers.1.modulator.fc.weight").grad();
                grad[k] = Tensors.toFloats(g);
                for (Tensor p : m.parameterList()) if (p.grad().defined()) p.grad().zero_();
            }
            for (int i = 0; i < out[0].length; i++) assertEquals(out[1][i], out[0][i], 1e-5 * Math.max(1, Math.abs(out[1][i])));
            double scale = 0;
            for (float v : grad[1]) scale = Math.max(scale, Math.abs(v));
            assertTrue(scale > 0);
            for (int i = 0; i < grad[0].length; i++) assertEquals(grad[1][i], grad[0][i], 1e-5 * scale);
        }
    }

    static float[] flat(float[][] x) {
        float[] out = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, out, i * x[0].length, x[0].length);
        return out;
    }
}
