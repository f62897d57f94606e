package dev.lcm4j.inference;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.models.baselcm.LcmFrontendConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.torch.TorchRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference's generator tests (test_base_lcm_batched_inference.py, test_base_lcm_kv_caching.py). */
class LcmGeneratorTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    /** The reference's tiny model: dim 4, 2 layers, 1 head, ffn 16. */
    static BaseLcm tinyModel(String pos) {
        org.bytedeco.pytorch.global.torch.manual_seed(0);
        TransformerConfig d = TransformerConfig.defaults();
        TransformerConfig lcm = TransformerConfig.builder().num_layers(2).num_attn_heads(1).dropout_p(0.0).final_dropout_p(0.0)
                .ffn_inner_dim(16).pos_embedding_style(pos).build();
        BaseLcmConfig c = BaseLcmConfig.builder().sonar_embed_dim(4).max_seq_len(64).model_dim(4).lcm(lcm).build();
        BaseLcm m = new BaseLcm(ParamFactory.cpu(), c, null);
        m.train(false);
        return m;
    }

    static List<float[][]> prompts(int n, int dim, long seed) {
        Random r = new Random(seed);
        List<float[][]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[][] p = new float[1 + i % 7][dim];
            for (float[] v : p) for (int j = 0; j < dim; j++) v[j] = (float) r.nextGaussian();
            out.add(p);
        }
        return out;
    }

    static GeneratorOptions opts(Double eos, Double rep) {
        return new GeneratorOptions(200, 1, eos, false, rep, false, false, null, 1.0);
    }

    static void assertSame(List<float[][]> a, List<float[][]> b, double atol) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).length, b.get(i).length, "length of hypothesis " + i);
            for (int p = 0; p < a.get(i).length; p++) assertArrayEquals(a.get(i)[p], b.get(i)[p], (float) atol, "hyp " + i + " pos " + p);
        }
    }

    @ParameterizedTest
    @CsvSource({"false, 0.3", "false, 1.1", "true, 0.3", "true, 1.1"})
    void batchedEqualsOneByOne(boolean disableCache, double eosThreshold) {
        BaseLcm m = tinyModel("learned");
        LcmGenerator g = new LcmGenerator(m, opts(eosThreshold, null), new float[4]); // zero EOS vector
        List<float[][]> ps = prompts(7, 4, 1);
        List<float[][]> batched = new ArrayList<>();
        for (int i = 0; i < ps.size(); i += 3) batched.addAll(g.generate(ps.subList(i, Math.min(ps.size(), i + 3)), 8, null, 0, disableCache));
        List<float[][]> single = new ArrayList<>();
        for (float[][] p : ps) single.addAll(g.generate(java.util.Collections.singletonList(p), 8, null, 0, disableCache));
        assertSame(single, batched, 1e-6);
        for (int i = 0; i < ps.size(); i++) {
            assertEquals(ps.get(i).length + 8, single.get(i).length, "zero EOS vector never matches: max_gen_len concepts are generated");
            assertArrayEquals(ps.get(i)[0], single.get(i)[0], "hypotheses start with the prompt");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8})
    void cachedEqualsUncached(int prefix) {
        for (String pos : List.of("learned", "rope")) {
            BaseLcm m = tinyModel(pos);
            LcmGenerator g = new LcmGenerator(m, opts(1.0, 1.0), new float[4]);
            float[][] prompt = new float[prefix][4];
            Random r = new Random(prefix);
            for (float[] v : prompt) for (int j = 0; j < 4; j++) v[j] = (float) r.nextGaussian();
            List<float[][]> ps = java.util.Collections.singletonList(prompt);
            assertEquals(prefix, ps.get(0).length);
            assertSame(g.generate(ps, 8, null, 0, true), g.generate(ps, 8, null, 0, false), 1e-3);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void singleInputStopsOnlyAtMaxGenLen(int batch) {
        BaseLcm m = tinyModel("learned");
        LcmGenerator g = new LcmGenerator(m, opts(1.0, null), new float[4]);
        List<float[][]> ps = prompts(batch, 4, 5);
        List<float[][]> out = g.generate(ps, 3, null, 0, false);
        for (int i = 0; i < batch; i++) assertEquals(3, out.get(i).length - ps.get(i).length);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void eosNeverStopsTheFirstGeneratedSentence(boolean cache) {
        BaseLcm m = tinyModel("learned");
        // threshold -1: every concept "matches" the EOS vector, so a row stops as early as the rule allows
        LcmGenerator g = new LcmGenerator(m, opts(-1.0, null), new float[] {1, 0, 0, 0});
        List<float[][]> ps = prompts(3, 4, 9);
        List<float[][]> out = g.generate(ps, 10, null, 0, !cache);
        for (int i = 0; i < ps.size(); i++) assertEquals(2, out.get(i).length - ps.get(i).length, "docs/quirks.md #20: EOS stops at the 2nd generated sentence at the earliest");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void samplingIsSeededAndChangesOutput(boolean cache) {
        BaseLcm m = tinyModel("learned");
        GeneratorOptions seeded = new GeneratorOptions(200, 1, null, true, null, false, false, 42L, 1.0);
        List<float[][]> ps = prompts(2, 4, 11);
        List<float[][]> a = new LcmGenerator(m, seeded, null).generate(ps, 4, null, 0.5, !cache);
        List<float[][]> b = new LcmGenerator(m, seeded, null).generate(ps, 4, null, 0.5, !cache);
        assertSame(a, b, 0);
        List<float[][]> greedy = new LcmGenerator(m, opts(null, null), null).generate(ps, 4, null, 0, !cache);
        assertNotEquals(greedy.get(0)[ps.get(0).length][0], a.get(0)[ps.get(0).length][0]);
    }

    /**
     * Per-row seeds: a prompt generates the same sampled concepts alone, in a batch, in another order, with or
     * without the cache (what makes a sharded evaluation equal a single-process one), and other seeds sample others.
     */
    @Test
    void perRowSeedsMakeEachRowIndependentOfItsBatch() {
        BaseLcm m = tinyModel("learned");
        GeneratorOptions sampled = new GeneratorOptions(200, 1, null, true, null, false, false, 42L, 1.0);
        List<float[][]> ps = prompts(4, 4, 17);   // prompt lengths 1..4: rows read their prompts for different steps
        long[] seeds = {101, 202, 303, 404};
        List<float[][]> batch = new LcmGenerator(m, sampled, null).generate(ps, 3, null, 0.5, false, seeds);
        for (int i = 0; i < ps.size(); i++) {
            List<float[][]> alone = new LcmGenerator(m, sampled, null).generate(List.<float[][]>of(ps.get(i)), 3, null, 0.5, false, new long[] {seeds[i]});
            assertSame(List.<float[][]>of(batch.get(i)), alone, 1e-6);
            List<float[][]> uncached = new LcmGenerator(m, sampled, null).generate(List.<float[][]>of(ps.get(i)), 3, null, 0.5, true, new long[] {seeds[i]});
            assertSame(alone, uncached, 1e-5);
        }
        List<float[][]> reversed = new LcmGenerator(m, sampled, null).generate(List.<float[][]>of(ps.get(3), ps.get(2), ps.get(1), ps.get(0)), 3, null, 0.5, false,
                new long[] {404, 303, 202, 101});
        assertSame(List.<float[][]>of(batch.get(3), batch.get(2), batch.get(1), batch.get(0)), reversed, 1e-6);
        List<float[][]> other = new LcmGenerator(m, sampled, null).generate(ps, 3, null, 0.5, false, new long[] {1, 2, 3, 4});
        int p = ps.get(0).length;
        assertNotEquals(batch.get(0)[p][0], other.get(0)[p][0], "other seeds draw other noise");
        List<float[][]> greedy = new LcmGenerator(m, opts(null, null), null).generate(ps, 3, null, 0, false, seeds);
        assertNotEquals(greedy.get(0)[p][0], batch.get(0)[p][0], "the noise is applied");
    }

    @Test
    void repetitionStopCountsAsEosForTrimming() {
        BaseLcm m = tinyModel("learned");
        // repetition threshold -1: every new concept "repeats" the previous one, so rows stop at the 2nd generated
        // sentence; trim_hypotheses drops that last concept as the reference does for EOS-like stops
        GeneratorOptions trim = new GeneratorOptions(200, 1, null, false, -1.0, false, true, null, 1.0);
        List<float[][]> ps = prompts(3, 4, 13);
        List<float[][]> out = new LcmGenerator(m, trim, null).generate(ps, 10, null, 0, false);
        for (int i = 0; i < ps.size(); i++) assertEquals(1, out.get(i).length - ps.get(i).length);
    }
}
