package dev.lcm4j.models;

import static dev.lcm4j.testing.NumericAsserts.assertAllClose;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.io.Npy;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.models.baselcm.LcmFrontendConfig;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.AdamW;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.train.Gradients;
import dev.lcm4j.models.baselcm.MseCriterion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * Numerics against an independent plain-PyTorch implementation of the reference base_lcm
 * (fixtures/python/ref_base_lcm.py, Debian PyTorch 1.13): forward, predict_next_sentence with a normalizer, the MSE
 * criterion, its gradients, one clipped AdamW step, and KV-cache decoding.
 */
class BaseLcmFixtureTest {
    static final Path DIR = Fixtures.dir("base_lcm");

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @SuppressWarnings("unchecked")
    static BaseLcmConfig config(String name) throws Exception {
        Map<String, Object> j = new Yaml().load(Files.readString(DIR.resolve(name).resolve("config.json")));
        TransformerConfig d = TransformerConfig.defaults();
        TransformerConfig lcm = new TransformerConfig((int) j.get("num_layers"), (int) j.get("num_attn_heads"),
                ((Number) j.get("dropout_p")).doubleValue(), ((Number) j.get("final_dropout_p")).doubleValue(),
                ((Number) j.get("attention_dropout_p")).doubleValue(), (int) j.get("ffn_inner_dim"), (boolean) j.get("use_swiglu"),
                (String) j.get("ffn_inner_activation_name"), (String) j.get("pos_embedding_style"), ((Number) j.get("rope_theta")).doubleValue(),
                (String) j.get("layer_normalization_style"), "pre", null, false, false, false, (boolean) j.get("mha_output_proj_bias"),
                null, d.attention_output_init_fn());
        LcmFrontendConfig fe = new LcmFrontendConfig(0.0, true, "kaiming_uniform", false, false, 0.006);
        BaseLcmConfig base = BaseLcmConfig.defaults();
        return new BaseLcmConfig("base_lcm", (int) j.get("sonar_embed_dim"), null, (int) j.get("max_seq_len"),
                (int) j.get("model_dim"), null, fe, lcm, base.postnet());
    }

    static SonarNormalizer normalizer() {
        Map<String, StoredTensor> st = Checkpoints.readState(DIR.resolve("normalizer.pt"));
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(16));
        n.set(st.get("center").toFloatArray(), st.get("scale").toFloatArray(), null, null);
        return n;
    }

    static BaseLcm model(String name, SonarNormalizer n) throws Exception {
        BaseLcm m = new BaseLcm(ParamFactory.cpu(), config(name), n);
        Checkpoints.load(DIR.resolve(name).resolve("model.pt"), m);
        m.train(false);
        return m;
    }

    /** Only valid (non-padded) positions are compared: padded outputs are unused by every consumer. */
    static float[] validRows(float[] data, long[] lengths, int t, int d) {
        List<Float> out = new ArrayList<>();
        for (int b = 0; b < lengths.length; b++) for (int p = 0; p < lengths[b]; p++) for (int c = 0; c < d; c++) out.add(data[(b * t + p) * d + c]);
        float[] r = new float[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "rope"})
    void keysForwardAndPredictMatchReference(String name) throws Exception {
        SonarNormalizer n = normalizer();
        BaseLcm m = model(name, n);
        Map<String, Object> keys = new Yaml().load(Files.readString(DIR.resolve(name).resolve("keys.json")));
        @SuppressWarnings("unchecked")
        Map<String, Object> expectedKeys = (Map<String, Object>) keys.get("state_dict");
        assertEquals(new ArrayList<>(expectedKeys.keySet()), new ArrayList<>(m.stateDict().keySet().stream().filter(k -> !k.contains("sonar_normalizer")).toList()));

        Npy.Array in = Npy.read(DIR.resolve(name).resolve("input.npy"));
        long[] lengths = Npy.read(DIR.resolve(name).resolve("lengths.npy")).toLongArray();
        long[] shape = in.shape();
        int t = (int) shape[1], d = (int) shape[2];
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = Tensors.floats(in.toFloatArray(), shape);
            float[] fwd = Tensors.toFloats(m.forward(x, null));
            float[] expected = Npy.read(DIR.resolve(name).resolve("forward.npy")).toFloatArray();
            assertAllClose(validRows(expected, lengths, t, d), validRows(fwd, lengths, t, d), 1e-5, 1e-5, name + " forward");

            float[] pred = Tensors.toFloats(m.predictNextSentence(x, false, 0, null));
            float[] expPred = Npy.read(DIR.resolve(name).resolve("predict_next.npy")).toFloatArray();
            assertAllClose(validRows(expPred, lengths, t, d), validRows(pred, lengths, t, d), 1e-5, 1e-5, name + " predict_next");

            // KV cache: one position at a time gives the teacher-forced result
            IncrementalState st = new IncrementalState();
            float[] inc = new float[fwd.length];
            for (int p = 0; p < t; p++) {
                float[] step = Tensors.toFloats(m.forward(x.narrow(1, p, 1), st));
                for (int b = 0; b < shape[0]; b++) System.arraycopy(step, b * d, inc, (b * t + p) * d, d);
            }
            st.close();
            assertAllClose(validRows(expected, lengths, t, d), validRows(inc, lengths, t, d), 1e-5, 1e-5, name + " cached forward");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "rope"})
    void lossGradientsAndAdamWStepMatchReference(String name) throws Exception {
        SonarNormalizer n = normalizer();
        BaseLcm m = model(name, n);
        Map<String, Object> loss = new Yaml().load(Files.readString(DIR.resolve(name).resolve("loss.json")));
        Npy.Array in = Npy.read(DIR.resolve(name).resolve("input.npy"));
        long[] lengths = Npy.read(DIR.resolve(name).resolve("lengths.npy")).toLongArray();
        int t = (int) in.shape()[1], d = (int) in.shape()[2];
        float[] data = in.toFloatArray();
        List<float[][]> docs = new ArrayList<>();
        for (int b = 0; b < lengths.length; b++) {
            float[][] doc = new float[(int) lengths[b]][d];
            for (int p = 0; p < lengths[b]; p++) System.arraycopy(data, (b * t + p) * d, doc[p], 0, d);
            docs.add(doc);
        }
        List<Tensor> params = m.parameterList();
        try (PointerScope s = new PointerScope()) {
            MseCriterion.Output out = new MseCriterion("next_sentence_mse", "sum", false).compute(m, EmbeddingsBatch.of(docs, null));
            assertEquals(((Number) loss.get("num_targets")).longValue(), out.numTargets());
            double expectedSum = ((Number) loss.get("loss_sum")).doubleValue();
            assertEquals(expectedSum, out.loss().item_double(), 1e-5 * expectedSum);
            out.loss().backward();
        }
        Map<String, StoredTensor> grads = Checkpoints.readState(DIR.resolve(name).resolve("grads.pt"));
        Map<String, Tensor> named = m.namedParameters();
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            assertAllClose(grads.get(e.getKey()).toFloatArray(), Tensors.toFloats(e.getValue().grad()), 1e-4, 1e-4, name + " grad " + e.getKey());
        }
        assertEquals(((Number) loss.get("grad_norm_raw")).doubleValue(), Gradients.norm(params), 1e-4 * Gradients.norm(params));

        Gradients.scale(params, 1.0 / out(loss));
        double before = Gradients.clip(params, 0.5);
        assertEquals(((Number) loss.get("grad_norm_after_div_num_targets")).doubleValue(), before, 1e-4 * before);
        AdamW opt = new AdamW(named, 0.9, 0.95, 1e-5, 0.1);
        opt.step(1e-3);
        Map<String, StoredTensor> after = Checkpoints.readState(DIR.resolve(name).resolve("after_adamw.pt"));
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            assertAllClose(after.get(e.getKey()).toFloatArray(), Tensors.toFloats(e.getValue()), 0, 2e-6, name + " adamw " + e.getKey());
        }
    }

    private static long out(Map<String, Object> loss) {
        return ((Number) loss.get("num_targets")).longValue();
    }
}
