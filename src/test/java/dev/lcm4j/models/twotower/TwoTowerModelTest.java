package dev.lcm4j.models.twotower;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TimestepEncoder;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.twotower.DiffusionCriterion;
import dev.lcm4j.models.EmbeddingsBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The two-tower model's structure against the reference: archs, parameter names, masks, timestep features. */
class TwoTowerModelTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @Test
    void archParameterCountsAreExact() {
        // counts derived from the reference's builder code; the 7B one equals its docstring exactly (docs/quirks.md #1)
        assertEquals(84_235_264L, ModelFamilies.parameterCount(ModelFamilies.arch("toy_two_tower_diffusion_lcm").config().get()));
        assertEquals(1_645_538_304L, ModelFamilies.parameterCount(ModelFamilies.arch("two_tower_diffusion_lcm_1_6B").config().get()));
        assertEquals(6_930_781_696L, ModelFamilies.parameterCount(ModelFamilies.arch("two_tower_diffusion_lcm_7B").config().get()));
        TwoTowerDiffusionLcmConfig big = (TwoTowerDiffusionLcmConfig) ModelFamilies.arch("two_tower_diffusion_lcm_1_6B").config().get();
        assertEquals(100, big.noise_scheduler().num_diffusion_train_steps());
        assertTrue(big.trained_with_cf_guidance());
        assertEquals("dummy_sonar_normalizer", big.sonar_normalizer_name());
    }

    @Tag("slow")
    @Test
    void parameterNamesShapesAndInitFollowTheReference() {
        try (PointerScope s = new PointerScope()) {
            TwoTowerDiffusionLcmConfig c = (TwoTowerDiffusionLcmConfig) ModelFamilies.arch("toy_two_tower_diffusion_lcm").config().get();
            TwoTowerDiffusionLcm m = (TwoTowerDiffusionLcm) ModelLoader.build(c, ParamFactory.cpu());
            Map<String, Tensor> p = m.namedParameters();
            Object[][] expected = {
                    {"encoder_frontend.pre_linear.weight", new long[] {1024, 1024}},
                    {"encoder_frontend.pos_encoder.weight", new long[] {2048, 1024}},
                    {"context_encoder.layers.1.self_attn.q_proj.bias", new long[] {1024}},
                    {"context_encoder.layer_norm.weight", new long[] {1024}},
                    {"denoiser.embed_time.fc1.weight", new long[] {1024, 256}},
                    {"denoiser.embed_time.fc2.bias", new long[] {1024}},
                    {"denoiser.initial_proj.fc.weight", new long[] {1024, 1024}},
                    {"denoiser.final_proj.fc.bias", new long[] {1024}},
                    {"denoiser.layers.0.self_attn_layer_norm.bias", new long[] {1024}},
                    {"denoiser.layers.0.cross_attention_layer_norm.weight", new long[] {1024}},
                    {"denoiser.layers.1.cross_attention.k_proj.weight", new long[] {1024, 1024}},
                    {"denoiser.layers.1.ffn.inner_proj.weight", new long[] {4096, 1024}},
                    {"denoiser.layers.1.modulator.fc.weight", new long[] {9 * 1024, 1024}},
                    {"denoiser.layers.1.modulator.fc.bias", new long[] {9 * 1024}},
                    {"denoiser.layer_norm.bias", new long[] {1024}},
            };
            for (Object[] e : expected) {
                assertTrue(p.containsKey((String) e[0]), e[0] + " missing; have e.g. " + p.keySet().stream().limit(8).toList());
                assertArrayEquals((long[]) e[1], Tensors.shape(p.get((String) e[0])), (String) e[0]);
            }
            assertFalse(p.keySet().stream().anyMatch(k -> k.startsWith("denoiser.pos_encoder")), "no positions in the denoiser");
            assertFalse(p.containsKey("context_encoder.layers.0.self_attn.output_proj.bias"), "toy arch: no output-projection bias");
            assertTrue(m.stateDict().containsKey("sonar_normalizer.center"), "the normalizer is a sub-module, as in the reference");
            // modulators start at zero, so every denoiser layer starts as the identity (DiT's adaLN-Zero)
            assertEquals(0.0, p.get("denoiser.layers.0.modulator.fc.weight").abs().max().item_double());
            assertEquals(0.0, p.get("denoiser.layers.1.modulator.fc.bias").abs().max().item_double());
            // learned context positions ~ N(0, 1.0) (EncoderFrontendConfig.embedding_std), timestep MLP ~ N(0, 0.02)
            assertEquals(1.0, p.get("encoder_frontend.pos_encoder.weight").std().item_double(), 0.01);
            assertEquals(0.02, p.get("denoiser.embed_time.fc1.weight").std().item_double(), 0.001);
            assertEquals(0.0, p.get("denoiser.embed_time.fc1.bias").abs().max().item_double());
        }
    }

    @Test
    void timestepFeaturesAreCosineThenSine() {
        long[] ts = {0, 1, 7, 50, 99};
        float[] f = Tensors.toFloats(TimestepEncoder.sinusoids(Tensors.longs(ts, ts.length)));
        assertEquals(ts.length * 256, f.length);
        for (int r = 0; r < ts.length; r++) {
            for (int i = 0; i < 128; i++) {
                double arg = ts[r] * Math.exp(-Math.log(10000.0) * i / 128.0);
                // float32 arguments: the error grows with t (|t f| up to 99)
                double tol = 2e-6 + 1e-7 * ts[r];
                assertEquals(Math.cos(arg), f[r * 256 + i], tol, "cos t=" + ts[r] + " i=" + i);
                assertEquals(Math.sin(arg), f[r * 256 + 128 + i], tol, "sin t=" + ts[r] + " i=" + i);
            }
        }
    }

    static int[][][] bools(Tensor mask) {
        long[] sh = Tensors.shape(mask);
        float[] v = Tensors.toFloats(mask.to(org.bytedeco.pytorch.global.torch.ScalarType.Float));
        int[][][] out = new int[(int) sh[0]][(int) sh[2]][(int) sh[3]];
        for (int b = 0; b < sh[0]; b++) for (int i = 0; i < sh[2]; i++) for (int j = 0; j < sh[3]; j++) {
            out[b][i][j] = (int) v[(int) ((b * sh[2] + i) * sh[3] + j)];
        }
        return out;
    }

    @Test
    void crossAttentionMasksOnSmallShapes() {
        // unsupervised, 3 targets over 3 context positions: key 0 is the zero vector, target i sees context 0..i-1
        int[][][] u = bools(CrossAttentionMask.training(3, 3, new long[] {3, 2}, null, 0.0, null));
        assertArrayEquals(new int[][] {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}}, u[0]);
        // second row has 2 real context positions: key 3 is padding
        assertArrayEquals(new int[][] {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}}, u[1]);
        int[][][] pad = bools(CrossAttentionMask.training(4, 4, new long[] {2}, null, 0.0, null));
        assertArrayEquals(new int[] {1, 1, 1, 0, 0}, pad[0][3]);
        // supervised, source length 2: target j sees the zero vector, both sources and targets before j
        int[][][] sup = bools(CrossAttentionMask.training(3, 5, new long[] {5}, new long[] {2}, 0.0, null));
        assertArrayEquals(new int[][] {{1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 0}}, sup[0]);
        // teacher-forced prediction: position i predicts concept i+1 from context 0..i
        int[][][] nxt = bools(CrossAttentionMask.nextPositions(3, 3, new long[] {3}, null));
        assertArrayEquals(new int[][] {{1, 1, 0, 0}, {1, 1, 1, 0}, {1, 1, 1, 1}}, nxt[0]);
        int[][][] un = bools(CrossAttentionMask.unconditional(2, 1, 3, null));
        assertArrayEquals(new int[][] {{1, 0, 0, 0}}, un[1]);
    }

    /** Rows i >= 1 that see nothing but the zero vector. */
    static List<Integer> droppedRows(int[][] m) {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i < m.length; i++) {
            boolean onlyZero = m[i][0] == 1;
            for (int j = 1; j < m[i].length; j++) onlyZero &= m[i][j] == 0;
            if (onlyZero) out.add(i);
        }
        return out;
    }

    @Test
    void classifierFreeGuidanceDropsAnExactCountOfRows() {
        org.bytedeco.pytorch.global.torch.manual_seed(3);
        // floor((S - 1) * 0.15): nothing below S = 8, then 1, 3 and 19 rows; row 0 is never chosen
        int[][] cases = {{2, 0}, {7, 0}, {8, 1}, {21, 3}, {128, 19}};
        for (int[] c : cases) {
            int s = c[0];
            long[] lengths = {s, s, s};
            int[][][] u = bools(CrossAttentionMask.training(s, s, lengths, null, 0.15, null));
            for (int b = 0; b < 3; b++) assertEquals(c[1], droppedRows(u[b]).size(), "S=" + s);
            // unsupervised: one draw for the whole batch
            assertEquals(droppedRows(u[0]), droppedRows(u[2]));
            int[][][] sup = bools(CrossAttentionMask.training(s, 2L * s, new long[] {2L * s, 2L * s, 2L * s}, new long[] {s, s, s}, 0.15, null));
            for (int b = 0; b < 3; b++) {
                // a supervised row sees its whole source unless dropped; count rows that see only key 0
                List<Integer> d = droppedRows(sup[b]);
                assertEquals(c[1], d.size(), "supervised S=" + s);
                assertFalse(d.contains(0));
            }
            if (s == 128) assertNotEquals(droppedRows(sup[0]), droppedRows(sup[1]), "supervised: one draw per row");
        }
        // seeded: the same seed drops the same rows
        org.bytedeco.pytorch.global.torch.manual_seed(11);
        List<Integer> a = droppedRows(bools(CrossAttentionMask.training(40, 40, new long[] {40}, null, 0.15, null))[0]);
        org.bytedeco.pytorch.global.torch.manual_seed(11);
        List<Integer> b = droppedRows(bools(CrossAttentionMask.training(40, 40, new long[] {40}, null, 0.15, null))[0]);
        assertEquals(a, b);
        assertEquals(5, a.size());
    }

    @Tag("slow")
    @Test
    void supervisedDiffusionForwardOnRaggedBatch() {
        // the reference's test_supervised_diffusion_forward: default config (1024 dims, dummy normalizer), the
        // finetuning criterion, sources and targets of lengths 1..5: a finite loss over 5*6/2 = 15 target sentences
        TwoTowerDiffusionLcmConfig d = TwoTowerDiffusionLcmConfig.defaults();
        TwoTowerDiffusionLcmConfig c = d.toBuilder().sonar_embed_dim(1024).sonar_normalizer_name("dummy_sonar_normalizer")
                .model_dim(1024).trained_with_cf_guidance(false).build();
        try (PointerScope s = new PointerScope()) {
            org.bytedeco.pytorch.global.torch.manual_seed(0);
            TwoTowerDiffusionLcm m = (TwoTowerDiffusionLcm) ModelLoader.build(c, ParamFactory.cpu());
            Random r = new Random(1);
            List<float[][]> src = new ArrayList<>(), tgt = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                float[][] a = new float[i + 1][1024], b = new float[i + 1][1024];
                for (float[] v : a) for (int j = 0; j < 1024; j++) v[j] = (float) (r.nextGaussian() * 0.006);
                for (float[] v : b) for (int j = 0; j < 1024; j++) v[j] = (float) (r.nextGaussian() * 0.006);
                src.add(a);
                tgt.add(b);
            }
            CriterionConfig cc = CriterionConfig.defaults();
            cc = new CriterionConfig("two_tower_diffusion_next_sent_finetuning", cc.reduction(), cc.compute_rmse(), cc.min_context_size(),
                    0.0, false, cc.step_sampling());
            Criterion.Loss loss = ModelFamilies.of(m).criterionOf(cc, m).loss(m, EmbeddingsBatch.of(src, tgt));
            assertEquals(15, loss.numTargets());
            assertTrue(Double.isFinite(loss.loss().item_double()));
            assertTrue(loss.loss().item_double() > 0);

            // guidance training on a model that was not configured for it is refused, as the reference asserts
            CriterionConfig guided = new CriterionConfig(cc.name(), cc.reduction(), cc.compute_rmse(), cc.min_context_size(), 0.15, false, cc.step_sampling());
            LcmException e = assertThrows(LcmException.class, () -> new DiffusionCriterion(guided, m));
            assertTrue(e.getMessage().contains("trained_with_cf_guidance"), e.getMessage());
        }
    }

    @Test
    void aTwoTowerModelWithoutNormalizerIsRefusedWithTheFix() {
        TwoTowerDiffusionLcmConfig d = TwoTowerDiffusionLcmConfig.defaults();
        LcmException e = assertThrows(LcmException.class, () -> ModelLoader.build(d, ParamFactory.meta()));
        assertTrue(e.getMessage().contains("needs a normalizer") && e.getMessage().contains("./lcm fit-normalizer"), e.getMessage());
        // a named normalizer card that does not exist: the error says how to fit it under that name
        TwoTowerDiffusionLcmConfig named = d.toBuilder().sonar_embed_dim(384).sonar_normalizer_name("my_missing_norm")
                .trained_with_cf_guidance(false).build();
        LcmException m = assertThrows(LcmException.class, () -> ModelLoader.build(named, ParamFactory.meta()));
        assertTrue(m.getMessage().contains("'my_missing_norm'") && m.getMessage().contains("--card_name my_missing_norm"), m.getMessage());
    }
}
