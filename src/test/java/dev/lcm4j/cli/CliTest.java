package dev.lcm4j.cli;

import static dev.lcm4j.testing.Cli.assertUserError;
import static dev.lcm4j.testing.Cli.exec;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.Npy;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user runs it: predict/generate on a trained model, and one clear error line for every bad input. */
@Tag("slow")
class CliTest {
    @TempDir static Path tmp;
    static Path data, run;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "clisynth", 30, 16, 11);
        System.setProperty("LCM_CARDS_PATH", data.toString());
        run = tmp.resolve("run");
        assertEquals(0, Main.execute(train(run, "++trainer.max_steps=2").toArray(String[]::new)));
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static List<String> train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=mse", "++trainer.output_dir=" + out, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: clisynth=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.num_lr_warmup_steps=1", "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1",
                "++trainer.data_loading_config.max_tokens=200"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void predictAndGenerateOnNpyAndParquet() throws Exception {
        float[] x = new float[2 * 5 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) * 0.01f;
        Path in = tmp.resolve("in.npy");
        Npy.write(in, Npy.Array.ofFloats(x, 2, 5, 16));
        Path pred = tmp.resolve("pred.npy");
        assertEquals(0, Main.execute("predict", "--model_card", run.toString(), "--input", in.toString(), "--output", pred.toString()));
        assertArrayEquals(new long[] {2, 5, 16}, Npy.read(pred).shape());

        Path gen = tmp.resolve("gen.npy");
        assertEquals(0, Main.execute("generate", "--model_card", run.resolve("model_card.yaml").toString(), "--input", in.toString(),
                "--output", gen.toString(), "--max_gen_len", "3"));
        assertArrayEquals(new long[] {2, 8, 16}, Npy.read(gen).shape(), "prompt (5) + generated (3)");
        assertArrayEquals(new long[] {8, 8}, Npy.read(tmp.resolve("gen.lengths.npy")).toLongArray());
        float[] g = Npy.read(gen).toFloatArray();
        for (int i = 0; i < 5 * 16; i++) assertEquals(x[i], g[i], 0f, "output includes the prompt");

        Path parquet = Files.walk(data).filter(p -> p.toString().endsWith(".parquet") && p.toString().contains("validation")).findFirst().orElseThrow();
        Path genPq = tmp.resolve("gen.parquet");
        assertEquals(0, Main.execute("generate", "--model_card", run.toString(), "--input", parquet.toString(), "--output", genPq.toString(),
                "--prompt_len", "2", "--max_gen_len", "4"));
        for (var d : dev.lcm4j.data.LcmParquetReader.readAll(genPq, dev.lcm4j.data.DataColumns.sonar("text_sentences"), 16)) {
            assertEquals(6, d.embeddings().length);
        }
    }

    @Test
    void badInputsGetOneClearLineAndExitCode2() throws Exception {
        assertUserError(exec(train(tmp.resolve("e1"), "++trainer.training_data=[{name: nosuchdata=train}]", "++trainer.max_steps=1")), "nosuchdata");
        assertUserError(exec(train(tmp.resolve("e2"), "++trainer.model_arch=nosuch_arch", "++trainer.max_steps=1")), "unknown arch 'nosuch_arch'", "toy_base_lcm");
        assertUserError(exec(train(tmp.resolve("e3"), "trainer.no_such_key=1")), "trainer.no_such_key");
        assertUserError(exec(train(tmp.resolve("e4"), "++trainer.lr=[1,2]")), "trainer.lr");
        assertUserError(exec(train(tmp.resolve("e5"), "+pretrain=nosuch")), "nosuch", "mse");
        // data of dimension 16 for a model of dimension 1024
        assertUserError(exec(train(tmp.resolve("e6"), "++trainer.model_arch_overrides={}", "++trainer.max_steps=1")), "1024", "16");
        // the reference recipe's "End of text." suffix needs the data's concept encoder, which synthetic data lacks
        assertUserError(exec(train(tmp.resolve("e7"), "++trainer.training_data=[{name: clisynth=train, source_suffix_text: End of text.}]",
                "++trainer.max_steps=1")), "clisynth", "concept_encoder");
        // per-dataset options are honoured or refused, never ignored
        assertUserError(exec(train(tmp.resolve("e8"), "++trainer.training_data=[{name: clisynth=train, nb_parallel_fragments: 4}]",
                "++trainer.max_steps=1")), "trainer.training_data[0].nb_parallel_fragments");
        assertUserError(exec(train(tmp.resolve("e9"), "++trainer.training_data=[{name: clisynth=train, filters: 'pc.field(\"nosuch\") > 1'}]",
                "++trainer.max_steps=1")), "nosuch");
        assertUserError(exec(train(tmp.resolve("e10"), "++trainer.data_loading_config.packing=true",
                "++trainer.data_loading_config.len_to_wrap_long_seq=null", "++trainer.max_steps=1")),
                "packing", "len_to_wrap_long_seq");
        assertUserError(exec(List.of("predict", "--model_card", "no_such_card", "--input", "x.npy", "--output", "y.npy")), "unknown model card 'no_such_card'");

        Path out = tmp.resolve("never.npy");
        assertUserError(exec(List.of("predict", "--model_card", run.toString(), "--input", tmp.resolve("missing.npy").toString(), "--output", out.toString())), "missing.npy");
        float[] nan = new float[16 * 3];
        nan[16 * 2 + 5] = Float.NaN;
        Path nanIn = tmp.resolve("nan.npy");
        Npy.write(nanIn, Npy.Array.ofFloats(nan, 1, 3, 16));
        assertUserError(exec(List.of("predict", "--model_card", run.toString(), "--input", nanIn.toString(), "--output", out.toString())), "NaN", "document 0");
        // documents without a single concept, for predict and for generate
        Path noConcepts = tmp.resolve("no_concepts.npy");
        Npy.write(noConcepts, Npy.Array.ofFloats(new float[0], 2, 0, 16));
        for (String cmd : List.of("predict", "generate")) {
            assertUserError(exec(List.of(cmd, "--model_card", run.toString(), "--input", noConcepts.toString(), "--output", out.toString())),
                    "document 0 has no concepts");
        }
        assertFalse(Files.exists(out), "nothing written");
        Path wrongDim = tmp.resolve("wrongdim.npy");
        Npy.write(wrongDim, Npy.Array.ofFloats(new float[24], 1, 3, 8));
        assertUserError(exec(List.of("predict", "--model_card", run.toString(), "--input", wrongDim.toString(), "--output", out.toString())), "dimension 8", "16");
        Path junk = tmp.resolve("junk.parquet");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        assertUserError(exec(List.of("predict", "--model_card", run.toString(), "--input", junk.toString(), "--output", out.toString())), "junk.parquet");
        Path empty = tmp.resolve("empty.parquet");
        Files.write(empty, new byte[0]);
        assertUserError(exec(List.of("predict", "--model_card", run.toString(), "--input", empty.toString(), "--output", out.toString())), "empty.parquet");
        Path badCard = tmp.resolve("bad.yaml");
        Files.writeString(badCard, "name: x\nmodel_family: base_lcm\nmodel_config: [unclosed\n");
        assertUserError(exec(List.of("predict", "--model_card", badCard.toString(), "--input", nanIn.toString(), "--output", out.toString())), "bad.yaml");
        assertFalse(Files.exists(out), "nothing is written when a command fails");
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary files left behind");
        }
    }

    @Test
    void archListPrintsExactCounts() {
        Cli.Outcome o = exec("arch", "list");
        assertEquals(0, o.code(), o.err());
        String s = o.out();
        assertTrue(s.matches("(?s).*base_lcm_1_6B\\s+base_lcm\\s+1,649,185,792.*"), s);
        assertTrue(s.matches("(?s).*toy_base_lcm\\s+base_lcm\\s+29,388,800.*"), s);
        assertTrue(s.matches("(?s).*quant_lcm_d_1_6B\\s+quant_lcm_d\\s+1,676,589,056.*"), s);
        assertTrue(s.matches("(?s).*quant_lcm_c_1_6B\\s+quant_lcm_c\\s+1,661,901,824.*"), s);
        assertTrue(s.matches("(?s).*toy_quant_lcm_d\\s+quant_lcm_d\\s+2,041,088.*"), s);
    }
}
