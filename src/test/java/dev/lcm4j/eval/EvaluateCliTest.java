package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.cli.Main;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.eval.metrics.ConceptMetrics;
import dev.lcm4j.eval.metrics.Rouge;
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

/** {@code ./lcm evaluate} end to end: the reference's prompt-assembly CLI cases, LCM tasks on a tiny model, bad input. */
@Tag("slow")
class EvaluateCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path tmp;
    static Path data, run, jsonl;

    @BeforeAll
    static void setUp() throws Exception {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "evalsynth", 24, 16, 5);
        System.setProperty("LCM_CARDS_PATH", data.toString());
        run = tmp.resolve("run");
        assertEquals(0, Main.execute("train", "+pretrain=mse", "++trainer.output_dir=" + run, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: evalsynth=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.num_lr_warmup_steps=1", "++trainer.max_steps=2", "++trainer.data_loading_config.max_tokens=200"));
        assertEquals(0, Main.execute("bank", "build", data.toString()));
        // the reference's conftest: 100 rows of input_text / target_text
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append(JSON.writeValueAsString(java.util.Map.of("input_text", "This is a long sentence that sometimes have extraordinally complex words "
                    + "that is unimaginatively ambiguous such as Sesquipedalianism. We want to test this with a shorter sentence that follows text " + i,
                    "target_text", "random target " + i))).append('\n');
        }
        jsonl = tmp.resolve("dataset.jsonl");
        Files.writeString(jsonl, sb.toString());
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static List<String> inputs() throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(jsonl)) out.add(JSON.readTree(l).get("input_text").asText());
        return out;
    }

    static List<JsonNode> lines(Path f) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    private static List<String> prompts(Path dump) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode n : lines(dump.resolve("raw_results/dummy_json_generation/dummy_json_generation.json"))) out.add(n.get("text_prompts").asText());
        return out;
    }

    /** The dummy task on LCM parquet data: the prediction is the prompt, so m1 (mean L2 to itself) is 0 on every row. */
    @Test
    void dummyGenerationOnLcmParquet() throws Exception {
        Path d = tmp.resolve("dummy_pq");
        assertEquals(0, Main.execute("evaluate", "--tasks", "dummy_generation", "--predictor", "dummy",
                "--dataset.name", "evalsynth=validation", "--dump_dir", d.toString()));
        List<JsonNode> rows = lines(d.resolve("raw_results/dummy_generation/dummy_generation.json"));
        assertTrue(rows.size() >= 1, "one raw line per validation document");
        for (JsonNode n : rows) assertEquals(0.0, n.get("metrics").get("m1").asDouble());
        JsonNode res = JSON.readTree(d.resolve("results/dummy_generation.json").toFile());
        assertEquals(0.0, res.get("results").get("m1").asDouble());
        // the predictor config keeps its key order from run to run
        String cfg = res.get("configs").get("predictor").get("encoder_config").toString();
        assertTrue(cfg.startsWith("{\"encoder\""), cfg);
    }

    private static String[] dummy(Path dump, String... extra) {
        List<String> a = new ArrayList<>(List.of("evaluate", "--tasks", "dummy_json_generation", "--predictor", "dummy",
                "--data_loading.batch_size", "5", "--dataset.file_path", jsonl.toString(), "--dump_dir", dump.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void referencePromptAssemblyCases() throws Exception {
        // 1. the task's template
        Path d1 = tmp.resolve("test_1");
        assertEquals(0, Main.execute(dummy(d1, "--dataset.source_text_column", "input_text")));
        JsonNode res = JSON.readTree(d1.resolve("results/dummy_json_generation.json").toFile());
        assertEquals(0.0, res.get("results").get("m1").asDouble());
        List<String> expected = new ArrayList<>();
        for (String x : inputs()) expected.add("[INST] Prompt: " + x);
        assertEquals(expected, prompts(d1));
        assertTrue(Files.exists(d1.resolve("metrics.eval.jsonl")));
        JsonNode line = lines(d1.resolve("metrics.eval.jsonl")).get(0);
        assertEquals(-1, line.get("global_step").asInt());
        assertEquals(0.0, line.get("dummy_json_generation/m1").asDouble());
        assertTrue(line.has("created_at"));
        assertTrue(lines(d1.resolve("metadata.jsonl")).get(0).get("task_configs").has("dummy_json_generation"));
        assertTrue(Files.list(d1.resolve("tb")).findAny().isPresent());

        // 2. a user prefix/suffix disables the task's template
        Path d2 = tmp.resolve("test_2");
        assertEquals(0, Main.execute(dummy(d2, "--dataset.source_text_column", "input_text", "--dataset.source_prefix_text", "[Myprompt] ",
                "--dataset.source_suffix_text", "[/Myprompt]")));
        expected.clear();
        for (String x : inputs()) expected.add("[Myprompt] " + x + "[/Myprompt]");
        assertEquals(expected, prompts(d2));

        // 3. source_sequences are joined with single spaces
        Path d3 = tmp.resolve("test_3");
        assertEquals(0, Main.execute(dummy(d3, "--dataset.source_sequences", "{\"text_value\": \"[SEQ]\"}",
                "--dataset.source_sequences", "{\"text_column\": \"input_text\"}", "--dataset.source_sequences", "{\"text_value\": \"-\"}",
                "--dataset.source_sequences", "{\"text_column\": \"input_text\"}", "--dataset.source_sequences", "{\"text_value\": \"[/SEQ]\"}")));
        expected.clear();
        for (String x : inputs()) expected.add("[SEQ] " + x + " - " + x + " [/SEQ]");
        assertEquals(expected, prompts(d3));

        // max_samples is exact (the reference may run up to batch_size - 1 more)
        Path d4 = tmp.resolve("test_4");
        assertEquals(0, Main.execute(dummy(d4, "--dataset.source_text_column", "input_text", "--data_loading.max_samples", "7")));
        assertEquals(7, prompts(d4).size());
        // resume: the results file is reused
        Cli.Outcome again = Cli.exec(dummy(d4, "--dataset.source_text_column", "input_text", "--data_loading.max_samples", "7"));
        assertEquals(0, again.code());
        assertTrue(again.err().contains("already done"), again.err());
    }

    /** --confidence_level adds each metric's interval around its mean; a level outside (0, 1) is one error line. */
    @Test
    void confidenceLevelAddsIntervals() throws Exception {
        Path dump = tmp.resolve("ci");
        assertEquals(0, Main.execute("evaluate", "--tasks", "lcm_next_sentence", "--predictor", "base_lcm", "--model_card", run.toString(),
                "--dataset.name", "evalsynth=validation", "--task_args", "{\"round_trip\": false}", "--confidence_level", "0.95",
                "--dump_dir", dump.toString()));
        JsonNode r = JSON.readTree(dump.resolve("results/lcm_next_sentence.json").toFile()).get("results");
        double l2 = r.get("l2").asDouble(), lb = r.get("l2_ci_lb_0.95").asDouble(), ub = r.get("l2_ci_ub_0.95").asDouble();
        assertTrue(lb < l2 && l2 < ub, lb + " < " + l2 + " < " + ub);
        assertEquals(l2, (lb + ub) / 2, 1e-9, "symmetric around the mean");
        Cli.Outcome bad = Cli.exec("evaluate", "--tasks", "dummy_json_generation", "--predictor", "dummy", "--confidence_level", "95",
                "--dataset.file_path", jsonl.toString(), "--dump_dir", tmp.resolve("ci_bad").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().strip().startsWith("error: --confidence_level must be between 0 and 1"), bad.err());
        assertTrue(!Files.exists(tmp.resolve("ci_bad")), "nothing written");
    }

    @Test
    void teacherForcedMetricsMatchAnIndependentComputation() throws Exception {
        Path dump = tmp.resolve("next");
        assertEquals(0, Main.execute("evaluate", "--tasks", "lcm_next_sentence", "--predictor", "base_lcm", "--model_card", run.toString(),
                "--dataset.name", "evalsynth=validation", "--task_args", "{\"round_trip\": false}", "--data_loading.batch_size", "4",
                "--dump_dir", dump.toString()));
        JsonNode r = JSON.readTree(dump.resolve("results/lcm_next_sentence.json").toFile()).get("results");
        for (String k : List.of("l2", "ca", "ca_reference", "par")) assertTrue(r.has(k), k);
        // independently: teacher-forced predictions from `./lcm predict`, l2 averaged over every position n >= 1
        Path val = Files.walk(data.resolve("split=validation")).filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        Path pred = tmp.resolve("pred.npy");
        assertEquals(0, Main.execute("predict", "--model_card", run.toString(), "--input", val.toString(), "--output", pred.toString()));
        float[] p = dev.lcm4j.io.Npy.read(pred).toFloatArray();
        long[] shape = dev.lcm4j.io.Npy.read(pred).shape();
        List<Document> docs = new ArrayList<>();
        for (Path f : Files.walk(data.resolve("split=validation")).filter(q -> q.toString().endsWith(".parquet")).sorted().toList()) {
            docs.addAll(LcmParquetReader.readAll(f, DataColumns.sonar("text_sentences"), 16));
        }
        double sum = 0;
        int n = 0;
        for (int b = 0; b < docs.size(); b++) {
            float[][] x = docs.get(b).embeddings();
            for (int t = 1; t < x.length; t++) {
                float[] y = java.util.Arrays.copyOfRange(p, (int) ((b * shape[1] + t - 1) * 16), (int) ((b * shape[1] + t) * 16));
                sum += ConceptMetrics.l2(y, x[t]);
                n++;
            }
        }
        assertEquals(sum / n, r.get("l2").asDouble(), 1e-4);
        assertTrue(r.get("ca").asDouble() >= 0 && r.get("ca").asDouble() <= 1);
        // one raw line per document
        assertEquals(docs.size(), lines(dump.resolve("raw_results/lcm_next_sentence/lcm_next_sentence.json")).size());
    }

    @Test
    void lcmGenerationDecodesAndScoresTheContinuation() throws Exception {
        Path dump = tmp.resolve("gen");
        assertEquals(0, Main.execute("evaluate", "--tasks", "lcm_generation", "--predictor", "base_lcm", "--model_card", run.toString(),
                "--dataset.name", "evalsynth=validation", "--task_args", "{\"lcm_generation\": {\"max_gen_len\": 2, \"prompt_len\": 2}}",
                "--decoder_config.decoder", "bank:" + data, "--sample_latent_variable", "false", "--data_loading.max_samples", "3",
                "--dump_dir", dump.toString()));
        // grouped scalar args that differ from the defaults name the run
        String name = "lcm_generation.max_gen_len_2.prompt_len_2";
        JsonNode r = JSON.readTree(dump.resolve("results/" + name + ".json").toFile()).get("results");
        List<JsonNode> raw = lines(dump.resolve("raw_results/" + name + "/" + name + ".json"));
        int eligible = 0;
        for (Path f : Files.walk(data.resolve("split=validation")).filter(q -> q.toString().endsWith(".parquet")).sorted().toList()) {
            for (Document doc : LcmParquetReader.readAll(f, DataColumns.sonar("text_sentences"), 16)) if (doc.sourceLength() > 2) eligible++;
        }
        assertTrue(eligible >= 2, "fixture needs documents longer than the prompt");
        assertEquals(Math.min(3, eligible), raw.size());
        Rouge rouge = new Rouge(List.of("rougeL"), false, null);
        double mean = 0;
        for (JsonNode s : raw) {
            assertEquals(2, s.get("prediction_texts").size());
            for (JsonNode t : s.get("prediction_texts")) assertTrue(t.asText().matches("doc \\d+ sentence \\d+"), t.asText());
            String idx = s.get("text_prompts").asText();
            assertTrue(idx.matches("doc \\d+ sentence 0 doc \\d+ sentence 1"), idx);
            String target = s.get("targets").get(0).asText();
            assertTrue(target.matches("doc \\d+ sentence 2( doc \\d+ sentence 3)?"), target);
            mean += rouge.score(target, s.get("prediction").asText()).get("rougeL").fmeasure() / raw.size();
        }
        assertEquals(mean, r.get("rougeL").asDouble(), 1e-9);
        assertTrue(r.has("rouge2") && r.has("rougeLsum"));
        String logged = lines(dump.resolve("metrics.eval.jsonl")).get(0).toString();
        assertTrue(logged.contains(name + "/rougeL"), logged);
    }

    @Test
    void badInputGetsOneErrorLine() throws Exception {
        Path d = tmp.resolve("bad");
        Cli.Outcome o = Cli.exec("evaluate", "--tasks", "no_such_task", "--predictor", "dummy", "--dump_dir", d.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("unknown task 'no_such_task'") && o.err().contains("lcm_generation"), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());

        o = Cli.exec("evaluate", "--tasks", "lcm_generation", "--predictor", "gpt", "--dump_dir", d.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("unknown predictor 'gpt'") && o.err().contains("two_tower_diffusion_lcm"), o.err());

        o = Cli.exec(dummy(d, "--task_args", "{max_gen_len: 10"));
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--task_args is not valid JSON"), o.err());

        o = Cli.exec(dummy(d, "--task_args", "{\"max_gen_lenn\": 10}"));
        assertEquals(2, o.code());
        assertTrue(o.err().contains("has no argument 'max_gen_lenn'"), o.err());

        // the text tasks: missing file, then a file without the expected columns
        o = Cli.exec("evaluate", "--tasks", "cnn_dailymail_llm.test", "--predictor", "base_lcm", "--model_card", run.toString(),
                "--dataset_dir", tmp.resolve("nowhere").toString(), "--dump_dir", d.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("cnn_daily_mail/test.jsonl") && o.err().contains("'article' and 'highlights'"), o.err());
        Path cnn = tmp.resolve("cnn");
        Files.createDirectories(cnn.resolve("cnn_daily_mail"));
        Files.writeString(cnn.resolve("cnn_daily_mail/test.jsonl"), "{\"text\": \"a\", \"summary\": \"b\"}\n");
        o = Cli.exec("evaluate", "--tasks", "cnn_dailymail_llm.test", "--predictor", "base_lcm", "--model_card", run.toString(),
                "--dataset_dir", cnn.toString(), "--dump_dir", d.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("has no column 'article'"), o.err());

        // a model card from another concept space than the data's
        Path card = tmp.resolve("other_space.yaml");
        Files.writeString(card, Files.readString(run.resolve("model_card.yaml")) + "concept_encoder: text_sonar_basic_encoder\n");
        Path cards = tmp.resolve("cards2");
        Files.createDirectories(cards);
        Files.writeString(cards.resolve("c.yaml"), "name: evalsynth_minilm\nparquet_path: {local: " + data + "}\nsource_column: text_sentences_sonar_emb\n"
                + "source_text_column: text_sentences\nconcept_encoder: all_minilm_l6_v2_q\n");
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        try {
            o = Cli.exec("evaluate", "--tasks", "lcm_next_sentence", "--predictor", "base_lcm", "--model_card", card.toString(),
                    "--dataset.name", "evalsynth_minilm=validation", "--dump_dir", d.toString());
        } finally {
            System.setProperty("LCM_CARDS_PATH", data.toString());
        }
        assertEquals(2, o.code());
        assertTrue(o.err().contains("concept space of all_minilm_l6_v2_q") && o.err().contains("text_sonar_basic_encoder"), o.err());
        // the predictor must match the card's family
        o = Cli.exec("evaluate", "--tasks", "lcm_generation", "--predictor", "two_tower_diffusion_lcm", "--model_card", run.toString(), "--dump_dir", d.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("use --predictor base_lcm"), o.err());
        assertFalse(Files.exists(d.resolve("results")), "nothing written for failed runs");
    }
}
