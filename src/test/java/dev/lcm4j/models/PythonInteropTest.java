package dev.lcm4j.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.io.Npy;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * lcm4j -> PyTorch: a model.pt written by lcm4j is read by Python's torch.load, loads with strict=True into the
 * independent plain-PyTorch reference model (fixtures/python/ref_base_lcm.py) built from the same config, and gives
 * the same outputs. Skipped, saying so, where Debian's python3-torch is not installed.
 */
@Tag("slow")
class PythonInteropTest {
    @TempDir Path tmp;

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    @ParameterizedTest
    @CsvSource({"sine, standard, false", "learned, fp32, false", "rope, rms, true", "none, unit, false"})
    void pythonReadsLcm4jCheckpointsAndAgrees(String pos, String norm, boolean swiglu) throws Exception {
        Fixtures.assumePythonModule("torch");
        org.bytedeco.pytorch.global.torch.manual_seed(5);
        Map<String, Object> ov = new LinkedHashMap<>();
        ov.put("sonar_embed_dim", 16);
        ov.put("model_dim", 32);
        ov.put("max_seq_len", 24);
        ov.put("lcm", Map.of("num_layers", 2, "num_attn_heads", 4, "ffn_inner_dim", 64, "use_swiglu", swiglu,
                "pos_embedding_style", pos, "layer_normalization_style", norm, "dropout_p", 0.0, "final_dropout_p", 0.0));
        BaseLcmConfig c = (BaseLcmConfig) ModelLoader.config("base_lcm", "toy_base_lcm", ov, "test");
        BaseLcm m = new BaseLcm(ParamFactory.cpu(), c, null);
        m.train(false);
        Path model = tmp.resolve("model.pt");
        Checkpoints.saveModel(model, m);
        float[] x = new float[2 * 6 * 16];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Npy.write(tmp.resolve("x.npy"), Npy.Array.ofFloats(x, 2, 6, 16));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Npy.write(tmp.resolve("y.npy"), Npy.Array.ofFloats(Tensors.toFloats(m.forward(Tensors.floats(x, 2, 6, 16), null)), 2, 6, 16));
        }
        String script = String.join("\n",
                "import sys, inspect, numpy as np, torch",
                "sys.path.insert(0, 'fixtures/python')",
                "from ref_base_lcm import BaseLcm, BaseLcmConfig",
                "d = sys.argv[1]",
                "kw = {'weights_only': True} if 'weights_only' in inspect.signature(torch.load).parameters else {}",
                "ck = torch.load(d + '/model.pt', map_location='cpu', **kw)",
                "cfg = BaseLcmConfig(sonar_embed_dim=16, model_dim=32, max_seq_len=24, num_layers=2, num_attn_heads=4, ffn_inner_dim=64,",
                "    use_swiglu=" + (swiglu ? "True" : "False") + ", pos_embedding_style='" + pos + "', layer_normalization_style='" + norm + "',",
                "    dropout_p=0.0, final_dropout_p=0.0)",
                "ref = BaseLcm(cfg).eval()",
                "assert list(ck['model'].keys()) == list(ref.state_dict().keys()), (list(ck['model'].keys()), list(ref.state_dict().keys()))",
                "ref.load_state_dict(ck['model'], strict=True)",
                "x = torch.from_numpy(np.load(d + '/x.npy'))",
                "with torch.no_grad(): y = ref(x).numpy()",
                "j = np.load(d + '/y.npy')",
                "err = float(np.max(np.abs(y - j)))",
                "assert err < 1e-5, err",
                "print('OK', err)");
        // in the working directory: the repository root under Maven, where the script finds fixtures/python
        Fixtures.Result py = Fixtures.python(script, tmp.toString());
        assertEquals(0, py.exitCode(), py.output());
        assertTrue(py.output().startsWith("OK"), py.output());
    }
}
