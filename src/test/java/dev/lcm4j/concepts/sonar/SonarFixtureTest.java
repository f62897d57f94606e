package dev.lcm4j.concepts.sonar;

import static dev.lcm4j.testing.NumericAsserts.assertCloseAbs;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.io.Npy;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Java port against fixtures/python/make_sonar_fixtures.py: a tiny NLLB-layout SentencePiece model, toy random
 * checkpoints in the official fairseq2 format, and the outputs of an independent plain-PyTorch implementation
 * (full recomputation per step, one sentence at a time, Python sentencepiece).
 */
class SonarFixtureTest {
    static final double TOL = 1e-4;
    static Map<String, Object> expected;
    static SonarConceptEncoder encoder;
    static SonarConceptDecoder decoder;

    static final Path DIR = Fixtures.dir("sonar");

    /** A card as a user would write it: absolute paths, arch toy, the fixture's vocabulary size. */
    static ModelCard card(String name, String family, String ckpt, Path dir) throws Exception {
        Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("name", name);
        doc.put("model_family", family);
        doc.put("model_arch", "toy");
        doc.put("model_config", Map.of("vocab_info", Map.of("size", 506)));
        doc.put("checkpoint", dir.resolve(ckpt).toString());
        doc.put("tokenizer", dir.resolve("sentencepiece.toy.model").toString());
        return ModelCard.of(doc, dir.resolve("card.yaml"));
    }

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws Exception {
        TorchRuntime.init();
        expected = new Yaml().load(Files.readString(DIR.resolve("expected.json")));
        encoder = SonarConceptEncoder.fromCard(card("toy_enc", "sonar_text_encoder", "sonar_text_encoder.pt", DIR));
        decoder = SonarConceptDecoder.fromCard(card("toy_dec", "sonar_text_decoder", "sonar_text_decoder.pt", DIR));
    }

    @AfterAll
    static void close() {
        encoder.close();
        decoder.close();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(String key) {
        return (List<Map<String, Object>>) expected.get(key);
    }

    static long[] longs(Object o) {
        return ((List<?>) o).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    static float[][] rows(String npy) throws Exception {
        Npy.Array a = Npy.read(DIR.resolve(npy));
        float[] flat = a.toFloatArray();
        int d = (int) a.shape()[a.shape().length - 1];
        float[][] out = new float[flat.length / d][];
        for (int i = 0; i < out.length; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    @Test
    void tokenIdsMatchPythonSentencepieceWithTheNllbLayout() {
        NllbTokenizer tok = encoder.tokenizer();
        assertEquals(((Number) expected.get("spm_size")).intValue(), tok.spmSize());
        assertEquals(((Number) expected.get("vocab_size")).intValue(), tok.vocabSize());
        ((Map<String, Object>) expected.get("lang_ids")).forEach((lang, id) -> assertEquals(((Number) id).longValue(), tok.langId(lang), lang));
        for (Map<String, Object> t : list("tokens")) {
            String text = (String) t.get("text"), lang = (String) t.get("lang");
            assertArrayEquals(longs(t.get("ids")), tok.encodeSource(text, lang), text);
        }
        assertArrayEquals(new long[] {3, tok.langId("fra_Latn")}, tok.targetPrompt("fra_Latn"));
    }

    @Test
    void embeddingsMatchPyTorchBatchedAndOneByOne() throws Exception {
        List<String> texts = new ArrayList<>();
        List<Map<String, Object>> toks = list("tokens");
        float[][] want = rows("embeddings.npy");
        // One call per language group is what users do; here a batch of mixed lengths per language, then singles.
        for (int i = 0; i < toks.size(); i++) {
            String lang = (String) toks.get(i).get("lang");
            float[][] one = encoder.encode(List.of((String) toks.get(i).get("text")), lang);
            assertCloseAbs(want[i], one[0], TOL, "sentence " + i + " alone");
            texts.add((String) toks.get(i).get("text"));
        }
        // Batched with padding: all English-tagged sentences together (mixed lengths).
        List<Integer> eng = new ArrayList<>();
        for (int i = 0; i < toks.size(); i++) if (toks.get(i).get("lang").equals("eng_Latn")) eng.add(i);
        float[][] batch = encoder.encode(eng.stream().map(texts::get).toList(), "eng_Latn");
        for (int j = 0; j < eng.size(); j++) assertCloseAbs(want[eng.get(j)], batch[j], TOL, "batched sentence " + eng.get(j));
    }

    @Test
    void longInputIsTruncatedTo514TokensAsSonarDoes() throws Exception {
        String text = (String) expected.get("long_text");
        assertTrue(((Number) expected.get("long_len")).intValue() > 514);
        assertEquals(514, encoder.tokenize(text, "eng_Latn").length);
        assertCloseAbs(rows("embedding_long.npy")[0], encoder.encode(List.of(text), "eng_Latn")[0], TOL, "long sentence");
    }

    static final Map<String, String> TIED = Map.of("final_proj.weight", "decoder_frontend.embed.weight");

    /**
     * fairseq2 loads final_proj.weight after decoder_frontend.embed.weight into the one tied parameter, so when a
     * checkpoint stores two different tensors the model uses final_proj's for both: the same model as a checkpoint
     * holding final_proj's tensor under both names.
     */
    @Test
    void tiedOutputProjectionWinsAsInFairseq2(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Map<String, dev.lcm4j.io.StoredTensor> state = dev.lcm4j.models.Checkpoints.readState(DIR.resolve("sonar_text_decoder.pt"));
        float[] e = state.get("decoder_frontend.embed.weight").toFloatArray();
        long[] shape = state.get("decoder_frontend.embed.weight").shape();
        float[] w = e.clone();
        for (int i = 0; i < w.length; i++) w[i] = w[i] * 1.5f + 0.01f * (i % 7);
        Path differing = tmp.resolve("differing.pt"), same = tmp.resolve("same.pt");
        writeWith(state, differing, e, w, shape);
        writeWith(state, same, w, w, shape);
        float[][] emb = rows("embeddings.npy");
        long[] prefix = {3, 256047 % 506};
        float[] a = logits(differing, prefix, emb[0]), b = logits(same, prefix, emb[0]), orig = logits(DIR.resolve("sonar_text_decoder.pt"), prefix, emb[0]);
        assertCloseAbs(b, a, TOL, "final_proj.weight wins");
        assertTrue(Math.abs(a[5] - orig[5]) > 1e-3, "the modified projection changes the logits");
    }

    private static void writeWith(Map<String, dev.lcm4j.io.StoredTensor> state, Path file, float[] embed, float[] proj, long[] shape) {
        dev.lcm4j.io.OrderedDict<String, Object> od = new dev.lcm4j.io.OrderedDict<>();
        state.forEach((k, v) -> od.put(k, k.equals("decoder_frontend.embed.weight") ? dev.lcm4j.io.StoredTensor.ofFloats(embed, shape)
                : k.equals("final_proj.weight") ? dev.lcm4j.io.StoredTensor.ofFloats(proj, shape) : v));
        if (!od.containsKey("final_proj.weight")) od.put("final_proj.weight", dev.lcm4j.io.StoredTensor.ofFloats(proj, shape));
        dev.lcm4j.io.TorchFile.write(file, Map.of("model", od));
    }

    private static float[] logits(Path ckpt, long[] prefix, float[] emb) {
        SonarTextDecoder model = new SonarTextDecoder(ParamFactory.cpu(), SonarDecoderConfig.arch("toy", Map.of("vocab_info", Map.of("size", 506)), "t"));
        SonarWeights.load(ckpt, model, TIED, "t");
        try (NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
            return Tensors.toFloats(model.logits(Tensors.longs(prefix, 1, prefix.length), Tensors.floats(emb, 1, emb.length)));
        }
    }

    @Test
    void decoderLogitsMatchPyTorch() throws Exception {
        SonarTextDecoder model = new SonarTextDecoder(ParamFactory.cpu(), SonarDecoderConfig.arch("toy", Map.of("vocab_info", Map.of("size", 506)), "t"));
        SonarWeights.load(DIR.resolve("sonar_text_decoder.pt"), model, TIED, "t");
        float[][] emb = rows("embeddings.npy");
        List<?> prefixes = (List<?>) expected.get("logit_prefixes");
        for (int i = 0; i < prefixes.size(); i++) {
            long[] prefix = longs(prefixes.get(i));
            float[] got;
            try (NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
                Tensor logits = model.logits(Tensors.longs(prefix, 1, prefix.length), Tensors.floats(emb[i], 1, emb[i].length));
                got = Tensors.toFloats(logits);
            }
            float[] want = Npy.read(DIR.resolve("logits" + i + ".npy")).toFloatArray();
            assertCloseAbs(want, got, TOL, "logits of prefix " + i);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void beamSearchAndGreedyMatchTheReferenceExactly() throws Exception {
        float[][] vecs = rows("gen_inputs.npy");
        for (Map<String, Object> gen : list("generation")) {
            int beam = ((Number) gen.get("beam")).intValue();
            int maxSeqLen = ((Number) gen.get("max_seq_len")).intValue();
            String lang = (String) gen.get("lang");
            // the reference's --decoder_config.temperature, where the fixture sets one
            double temperature = gen.containsKey("temperature") ? ((Number) gen.get("temperature")).doubleValue() : 1.0;
            SonarConceptDecoder d = decoder.withOptions(BeamSearch.Options.sonar().withBeamSize(beam).withMaxSeqLen(maxSeqLen).withTemperature(temperature));
            List<BeamSearch.Hypothesis> got = d.decodeIds(vecs, lang);
            List<String> texts = d.decode(vecs, lang);
            List<Map<String, Object>> outs = (List<Map<String, Object>>) gen.get("outputs");
            for (int i = 0; i < outs.size(); i++) {
                String what = "beam " + beam + " max " + maxSeqLen + " temperature " + temperature + " vector " + i;
                assertArrayEquals(longs(outs.get(i).get("ids")), got.get(i).tokens(), what);
                assertEquals(outs.get(i).get("text"), texts.get(i), what);
                if (outs.get(i).containsKey("score")) assertEquals(((Number) outs.get(i).get("score")).doubleValue(), got.get(i).score(), TOL, what);
            }
        }
    }

    @Test
    void concurrentCallersGetTheReferenceEmbeddings() throws Exception {
        float[][] want = rows("embeddings.npy");
        List<Map<String, Object>> toks = list("tokens");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<float[]>> futures = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                for (Map<String, Object> t : toks) {
                    futures.add(pool.submit(() -> encoder.encode(List.of((String) t.get("text")), (String) t.get("lang"))[0]));
                }
            }
            for (int i = 0; i < futures.size(); i++) assertCloseAbs(want[i % toks.size()], futures.get(i).get(), TOL, "concurrent call " + i);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The Hugging Face port's layout (M2M100 names, HF special rows), converted in Python, gives the same vectors. */
    @Test
    void huggingFaceSafetensorsPortGivesTheSameEmbeddings() throws Exception {
        ModelCard hf = card("toy_hf_enc", "sonar_text_encoder", "hf_sonar_text_encoder.safetensors", DIR);
        float[][] want = rows("embeddings.npy");
        List<Map<String, Object>> toks = list("tokens");
        try (SonarConceptEncoder enc = SonarConceptEncoder.fromCard(hf)) {
            for (int i = 0; i < toks.size(); i++) {
                // Sentence 1 holds <unk> and every sentence </s>: both are permuted special rows.
                float[] got = enc.encode(List.of((String) toks.get(i).get("text")), (String) toks.get(i).get("lang"))[0];
                assertCloseAbs(want[i], got, TOL, "HF port, sentence " + i);
            }
        }
    }
}
