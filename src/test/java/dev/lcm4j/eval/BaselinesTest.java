package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.cli.Main;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation baselines end to end through {@code ./lcm evaluate} on a tiny synthetic dataset (no model, no torch):
 * their teacher-forced l2 against the same quantity recomputed here in double precision from the parquet data, what
 * they generate (decoded with the retrieval decoder over the data's sentence bank), their seeding, and bad input.
 */
class BaselinesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DIM = 8;
    private static final String GEN = "lcm_generation.prompt_len_2.max_gen_len_3";
    private static final String GEN_ARGS = "{\"lcm_generation\": {\"prompt_len\": 2, \"max_gen_len\": 3}}";
    @TempDir static Path tmp;
    static Path data;
    static List<Document> train, validation;

    @BeforeAll
    static void setUp() {
        data = tmp.resolve("synth");
        SyntheticData.Result r = SyntheticData.write(data, "basesynth", 40, DIM, 11);
        System.setProperty("LCM_CARDS_PATH", data.toString());
        assertEquals(0, Main.execute("bank", "build", data.toString()));
        train = LcmParquetReader.readAll(r.train(), SyntheticData.COLUMNS, DIM);
        validation = LcmParquetReader.readAll(r.validation(), SyntheticData.COLUMNS, DIM);
        assertTrue(validation.size() >= 3, "fixture: a few validation documents");
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    private static List<String> evaluate(Path dump, String predictor, String tasks, String... extra) {
        List<String> a = new ArrayList<>(List.of("evaluate", "--predictor", predictor, "--tasks", tasks,
                "--dataset.name", "basesynth=validation", "--show_progress", "false", "--dump_dir", dump.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    private static JsonNode results(Path dump, String run) throws Exception {
        return JSON.readTree(dump.resolve("results/" + run + ".json").toFile());
    }

    private static List<JsonNode> raw(Path dump, String run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(dump.resolve("raw_results/" + run + "/" + run + ".json"))) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    private static double l2(float[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
        return Math.sqrt(s);
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) d[k] = v[k];
        return d;
    }

    @Test
    void meanBaselineScoresTheDistanceToTheTrainingMean() throws Exception {
        double[] mean = new double[DIM];
        long n = 0;
        for (Document d : train) {
            for (float[] v : d.embeddings()) {
                for (int k = 0; k < DIM; k++) mean[k] += v[k];
                n++;
            }
        }
        for (int k = 0; k < DIM; k++) mean[k] /= n;
        // lcm_next_sentence scores every position t >= 1 of every document (ConceptMetrics.teacherForced)
        double sum = 0;
        int positions = 0;
        for (Document d : validation) {
            for (int t = 1; t < d.embeddings().length; t++) {
                sum += l2(d.embeddings()[t], mean);
                positions++;
            }
        }
        Path dump = tmp.resolve("mean");
        Cli.Outcome o = Cli.exec(evaluate(dump, "baseline_mean", "lcm_next_sentence", "--baseline_data", "basesynth",
                "--task_args", "{\"round_trip\": false}", "--data_loading.batch_size", "2"));
        assertEquals(0, o.code(), o.err());
        JsonNode res = results(dump, "lcm_next_sentence");
        // relative 1e-4: the synthetic concepts have norm ~0.02, so an absolute 1e-4 would hide a wrong mean
        assertEquals(sum / positions, res.get("results").get("l2").asDouble(), 1e-4 * sum / positions);
        assertEquals("mean", res.get("configs").get("predictor").get("baseline").asText(), res.toString());
        assertEquals(validation.size(), raw(dump, "lcm_next_sentence").size());
    }

    @Test
    void copyBaselineScoresTheStepBetweenNeighbours() throws Exception {
        double sum = 0;
        int positions = 0;
        for (Document d : validation) {
            float[][] x = d.embeddings();
            for (int t = 1; t < x.length; t++) {
                sum += l2(x[t], toDouble(x[t - 1]));
                positions++;
            }
        }
        Path dump = tmp.resolve("copy");
        Cli.Outcome o = Cli.exec(evaluate(dump, "baseline_copy", "lcm_next_sentence", "--task_args", "{\"round_trip\": false}"));
        assertEquals(0, o.code(), o.err());
        assertEquals(sum / positions, results(dump, "lcm_next_sentence").get("results").get("l2").asDouble(), 1e-4 * sum / positions);
    }

    /**
     * The vector extra_metrics of lcm_next_sentence with baseline_copy, whose prediction of x_t is x_{t-1}: cos_sim is
     * the mean cosine of neighbours, recomputed here in double precision; cosine_based_match is 0, since the document's
     * concept nearest to x_{t-1} is x_{t-1} itself. (round_trip_cos needs a concept encoder, which the synthetic data
     * has not.)
     */
    @Test
    void copyBaselineVectorMetrics() throws Exception {
        double sum = 0;
        int positions = 0;
        for (Document d : validation) {
            float[][] x = d.embeddings();
            for (int t = 1; t < x.length; t++) {
                double dot = 0, na = 0, nb = 0;
                for (int k = 0; k < DIM; k++) {
                    dot += (double) x[t][k] * x[t - 1][k];
                    na += (double) x[t][k] * x[t][k];
                    nb += (double) x[t - 1][k] * x[t - 1][k];
                }
                sum += dot / Math.sqrt(na * nb);
                positions++;
            }
        }
        Path dump = tmp.resolve("copy_vectors");
        Cli.Outcome o = Cli.exec(evaluate(dump, "baseline_copy", "lcm_next_sentence",
                "--task_args", "{\"round_trip\": false, \"extra_metrics\": [\"cos_sim\", \"cosine_based_match\"]}"));
        assertEquals(0, o.code(), o.out() + o.err());
        JsonNode res = results(dump, "lcm_next_sentence").get("results");
        assertEquals(sum / positions, res.get("cos_sim").asDouble(), 1e-6, res.toString());
        assertEquals(0.0, res.get("cosine_based_match").asDouble(), res.toString());
    }

    /**
     * --data_loading.max_iteration_steps 1 with batch size 2 evaluates the first batch only: the first 2 documents,
     * whose copy-baseline l2 is recomputed here. The reference's defaults of the other fields are accepted.
     */
    @Test
    void maxIterationStepsTakesTheFirstBatches() throws Exception {
        double sum = 0;
        int positions = 0;
        for (Document d : validation.subList(0, 2)) {
            float[][] x = d.embeddings();
            for (int t = 1; t < x.length; t++) {
                sum += l2(x[t], toDouble(x[t - 1]));
                positions++;
            }
        }
        Path dump = tmp.resolve("steps");
        Cli.Outcome o = Cli.exec(evaluate(dump, "baseline_copy", "lcm_next_sentence", "--task_args", "{\"round_trip\": false}",
                "--data_loading.batch_size", "2", "--data_loading.max_iteration_steps", "1", "--data_loading.shuffle", "False",
                "--data_loading.nb_epochs=1", "--data_loading.order_by_length", "false", "--data_loading.max_tokens", "None"));
        assertEquals(0, o.code(), o.err());
        assertEquals(2, raw(dump, "lcm_next_sentence").size());
        assertEquals(sum / positions, results(dump, "lcm_next_sentence").get("results").get("l2").asDouble(), 1e-4 * sum / positions);
    }

    @Test
    void dataLoadingFieldsLcm4jDoesNotHonourAreRefusedByName() {
        String[][] cases = {
                {"--data_loading.packing", "true", "--data_loading.packing true is not supported", "only false"},
                {"--data_loading.shuffle", "on", "--data_loading.shuffle on is not supported", "data order"},
                {"--data_loading.min_length_of_sequences", "3", "--data_loading.min_length_of_sequences 3 is not supported", "./lcm prepare"},
                {"--data_loading.drop_null", "true", "--data_loading.drop_null true is not supported", "remove it"},
                {"--data_loading.world_size", "2", "--data_loading.world_size 2 is not supported", "nshards"},
                {"--data_loading.no_such_field", "1", "--data_loading.no_such_field is not a field", "max_iteration_steps"},
        };
        for (String[] c : cases) {
            Cli.assertUserError(Cli.exec(evaluate(tmp.resolve("dl"), "baseline_copy", "lcm_next_sentence", c[0], c[1])), c[2], c[3]);
        }
        Cli.assertUserError(Cli.exec(evaluate(tmp.resolve("dl"), "baseline_copy", "lcm_next_sentence", "--no_such_option")),
                "unknown option '--no_such_option'");
        Cli.assertUserError(Cli.exec(evaluate(tmp.resolve("dl"), "baseline_copy", "lcm_next_sentence", "--data_loading.max_iteration_steps", "0")),
                "--data_loading.max_iteration_steps must be at least 1");
        assertFalse(Files.exists(tmp.resolve("dl")), "nothing written");
    }

    @Test
    void extraMetricsOfTheWrongKindAreRefused() {
        Cli.assertUserError(Cli.exec(evaluate(tmp.resolve("bad_vec"), "baseline_copy", "lcm_generation",
                "--decoder_config.decoder", "bank:" + data, "--task_args", "{\"extra_metrics\": [\"cos_sim\"]}")),
                "metric 'cos_sim' in extra_metrics is not available for task lcm_generation", "use it with lcm_next_sentence");
        Cli.assertUserError(Cli.exec(evaluate(tmp.resolve("bad_text"), "baseline_copy", "lcm_next_sentence",
                "--task_args", "{\"round_trip\": false, \"extra_metrics\": [\"exact_match_f1\"]}")),
                "metric 'exact_match_f1' in extra_metrics is not available for task lcm_next_sentence");
        Cli.assertUserError(Cli.exec(evaluate(tmp.resolve("bad_rt"), "baseline_copy", "lcm_next_sentence",
                "--task_args", "{\"round_trip\": false, \"extra_metrics\": [\"round_trip_cos\"]}")),
                "extra metric round_trip_cos decodes and re-encodes the predictions");
    }

    @Test
    void repeatBaselineGeneratesThePromptsLastSentence() throws Exception {
        Path dump = tmp.resolve("repeat");
        Cli.Outcome o = Cli.exec(evaluate(dump, "baseline_repeat", "lcm_generation", "--task_args", GEN_ARGS,
                "--decoder_config.decoder", "bank:" + data));
        assertEquals(0, o.code(), o.err());
        List<JsonNode> lines = raw(dump, GEN);
        assertEquals(validation.size(), lines.size());
        for (JsonNode line : lines) {
            Document doc = validation.get(line.get("index").asInt());
            assertEquals(doc.sentences().get(0) + " " + doc.sentences().get(1), line.get("text_prompts").asText());
            List<String> generated = new ArrayList<>();
            line.get("prediction_texts").forEach(t -> generated.add(t.asText()));
            assertEquals(List.of(doc.sentences().get(1), doc.sentences().get(1), doc.sentences().get(1)), generated);
        }
    }

    /**
     * raw_results/<run>.pt: one dict per sample with the prompt's and the reference continuation's concepts
     * (_source_column = the first 2 concepts of the document, _target_column = the next up to 3), compared with the
     * parquet data; --log_only_text writes none.
     */
    @Test
    @SuppressWarnings("unchecked")
    void rawTensorDumpHoldsEachSamplesConcepts() throws Exception {
        Path dump = tmp.resolve("pt");
        assertEquals(0, Cli.exec(evaluate(dump, "baseline_repeat", "lcm_generation", "--task_args", GEN_ARGS,
                "--decoder_config.decoder", "bank:" + data)).code());
        List<Object> samples = (List<Object>) dev.lcm4j.io.TorchFile.read(dump.resolve("raw_results/" + GEN + "/" + GEN + ".pt"));
        List<JsonNode> lines = raw(dump, GEN);
        assertEquals(lines.size(), samples.size());
        for (int s = 0; s < samples.size(); s++) {
            java.util.Map<String, Object> m = (java.util.Map<String, Object>) samples.get(s);
            assertEquals(List.of("_source_column", "_target_column"), List.copyOf(m.keySet()));
            assertFalse(lines.get(s).has("_source_column"), "tensors are not in the JSON lines");
            float[][] x = validation.get(lines.get(s).get("index").asInt()).embeddings();
            int end = Math.min(x.length, 5);
            dev.lcm4j.io.StoredTensor src = (dev.lcm4j.io.StoredTensor) m.get("_source_column"), tgt = (dev.lcm4j.io.StoredTensor) m.get("_target_column");
            assertEquals(List.of(2L, (long) DIM), java.util.Arrays.stream(src.shape()).boxed().toList());
            assertEquals(List.of((long) end - 2, (long) DIM), java.util.Arrays.stream(tgt.shape()).boxed().toList());
            float[] sf = src.toFloatArray(), tf = tgt.toFloatArray();
            for (int r = 0; r < end; r++) {
                for (int k = 0; k < DIM; k++) assertEquals(x[r][k], r < 2 ? sf[r * DIM + k] : tf[(r - 2) * DIM + k], 0f, "row " + r);
            }
        }
        Path textOnly = tmp.resolve("pt_text_only");
        assertEquals(0, Cli.exec(evaluate(textOnly, "baseline_repeat", "lcm_generation", "--task_args", GEN_ARGS,
                "--decoder_config.decoder", "bank:" + data, "--log_only_text")).code());
        assertTrue(Files.exists(textOnly.resolve("raw_results/" + GEN + "/" + GEN + ".json")));
        assertFalse(Files.exists(textOnly.resolve("raw_results/" + GEN + "/" + GEN + ".pt")));
    }

    /** Sentences baseline_random generated, sample by sample, with the given extra flags. */
    private static List<List<String>> random(String name, String... extra) throws Exception {
        Path dump = tmp.resolve(name);
        List<String> args = evaluate(dump, "baseline_random", "lcm_generation", "--task_args", GEN_ARGS,
                "--decoder_config.decoder", "bank:" + data, "--baseline_data", data + "=train");
        args.addAll(List.of(extra));
        Cli.Outcome o = Cli.exec(args);
        assertEquals(0, o.code(), o.err());
        List<List<String>> out = new ArrayList<>();
        for (JsonNode line : raw(dump, GEN)) {
            List<String> s = new ArrayList<>();
            line.get("prediction_texts").forEach(t -> s.add(t.asText()));
            out.add(s);
        }
        return out;
    }

    @Test
    void randomBaselineDrawsTrainingSentencesSeededPerSample() throws Exception {
        List<List<String>> a = random("random_a", "--seed", "7");
        // per-sample seeds: the batch a sample falls in (and so the shard) does not change its draws
        List<List<String>> b = random("random_b", "--seed", "7", "--data_loading.batch_size", "1");
        List<List<String>> c = random("random_c", "--seed", "8");
        assertEquals(a, b);
        assertNotEquals(a, c);
        Set<String> trainSentences = new HashSet<>();
        for (Document d : train) trainSentences.addAll(d.sentences());
        Set<String> distinct = new HashSet<>();
        for (List<String> sample : a) {
            assertEquals(3, sample.size());
            for (String s : sample) assertTrue(trainSentences.contains(s), s + " is not a training sentence");
            distinct.addAll(sample);
        }
        assertTrue(distinct.size() > 1, "draws differ: " + a);
    }

    /** A model card gives a baseline its concept space (encoder, decoder) and nothing else: no model is loaded. */
    @Test
    void modelCardGivesOnlyTheConceptSpace() throws Exception {
        Path cards = tmp.resolve("model_cards");
        Files.createDirectories(cards.resolve("minilm"));
        Files.createDirectories(cards.resolve("sonar"));
        // no checkpoint at all: a baseline that loaded the model would fail
        Files.writeString(cards.resolve("minilm/model_card.yaml"), "name: space_minilm\nmodel_family: base_lcm\n"
                + "concept_encoder: all_minilm_l6_v2_q\nconcept_decoder: bank:" + data + "\n");
        Files.writeString(cards.resolve("sonar/model_card.yaml"), "name: space_sonar\nmodel_family: base_lcm\n"
                + "concept_encoder: text_sonar_basic_encoder\n");
        Path dump = tmp.resolve("card_repeat");
        Cli.Outcome o = Cli.exec(evaluate(dump, "baseline_repeat", "lcm_generation", "--task_args", GEN_ARGS,
                "--model_card", cards.resolve("minilm").toString()));
        assertEquals(0, o.code(), o.err());
        JsonNode first = raw(dump, GEN).get(0);
        assertEquals(validation.get(first.get("index").asInt()).sentences().get(1), first.get("prediction_texts").get(0).asText());

        // data of another concept space than the card's is refused, as for a model
        Path spaced = tmp.resolve("spaced_cards");
        Files.createDirectories(spaced);
        Files.writeString(spaced.resolve("c.yaml"), "name: basesynth_minilm\nparquet_path: {local: " + data + "}\n"
                + "source_column: text_sentences_sonar_emb\nsource_text_column: text_sentences\nconcept_encoder: all_minilm_l6_v2_q\n");
        System.setProperty("LCM_CARDS_PATH", data + ":" + spaced);
        try {
            o = Cli.exec(evaluate(tmp.resolve("bad_space"), "baseline_mean", "lcm_next_sentence", "--baseline_data", "basesynth_minilm",
                    "--model_card", cards.resolve("sonar").toString()));
            Cli.assertUserError(o, "--baseline_data basesynth_minilm=train is in the concept space of all_minilm_l6_v2_q",
                    "model card 'space_sonar' is in that of text_sonar_basic_encoder");
            List<String> a = evaluate(tmp.resolve("bad_space"), "baseline_copy", "lcm_next_sentence", "--model_card",
                    cards.resolve("sonar").toString(), "--task_args", "{\"round_trip\": false}");
            a.set(a.indexOf("basesynth=validation"), "basesynth_minilm=validation");
            Cli.assertUserError(Cli.exec(a), "dataset basesynth_minilm=validation is in the concept space of all_minilm_l6_v2_q");
        } finally {
            System.setProperty("LCM_CARDS_PATH", data.toString());
        }
    }

    /** Two worker processes write what one writes: baseline_random's draws are seeded per sample, not per process. */
    @Test
    @Tag("slow")
    void shardedRandomBaselineWritesWhatOneProcessWrites() throws Exception {
        Path one = tmp.resolve("random_one"), two = tmp.resolve("random_two");
        for (Path dump : List.of(one, two)) {
            // no datacard names: the worker JVMs do not see this JVM's LCM_CARDS_PATH property
            List<String> a = new ArrayList<>(List.of("evaluate", "--predictor", "baseline_random", "--tasks", "lcm_generation,lcm_next_sentence",
                    "--dataset.parquet_path", data.resolve("split=validation").toString(), "--dataset.source_column", "text_sentences_sonar_emb",
                    "--dataset.source_text_column", "text_sentences", "--baseline_data", data + "=train",
                    "--task_args", "{\"lcm_generation\": {\"prompt_len\": 2, \"max_gen_len\": 3}, \"lcm_next_sentence\": {\"round_trip\": false}}",
                    "--decoder_config.decoder", "bank:" + data, "--data_loading.batch_size", "1", "--seed", "5",
                    "--show_progress", "false", "--dump_dir", dump.toString()));
            if (dump == two) a.addAll(List.of("--job_args", "{\"nshards\": 2}"));
            Cli.Outcome o = Cli.exec(a);
            assertEquals(0, o.code(), o.out() + o.err());
            if (dump == two) assertTrue(o.out().contains("rank 1 of 2 joined the process group"), "two workers: " + o.out());
        }
        dev.lcm4j.testing.TinyEvaluation.assertSameOutputs(one, two);
    }

    @Test
    void helpListsTheBaselines() {
        Cli.Outcome o = Cli.exec("evaluate", "--help");
        assertEquals(0, o.code(), o.err());
        String help = o.out().replaceAll("\\s+", " ");
        for (String b : Baselines.names()) assertTrue(help.contains(b), b + " not in: " + help);
        assertTrue(help.contains("--baseline_data"), help);
    }

    @Test
    void badInputGetsOneErrorLineAndWritesNothing() {
        Path d = tmp.resolve("bad");
        Cli.Outcome o = Cli.exec(evaluate(d, "baseline_mean", "lcm_next_sentence"));
        Cli.assertUserError(o, "--predictor baseline_mean needs --baseline_data");
        assertFalse(Files.exists(d), "nothing written");

        o = Cli.exec(evaluate(d, "baseline_copy", "lcm_next_sentence", "--baseline_data", "basesynth"));
        Cli.assertUserError(o, "baseline_copy reads no training data", "remove --baseline_data");
        o = Cli.exec(evaluate(d, "base_lcm", "lcm_next_sentence", "--baseline_data", "basesynth"));
        Cli.assertUserError(o, "--baseline_data is read by the baseline predictors only");
        o = Cli.exec(evaluate(d, "baseline_random", "lcm_generation", "--baseline_data", "basesynth", "--lcm_temperature", "0.5",
                "--guidance_scale", "3"));
        Cli.assertUserError(o, "runs no model", "--lcm_temperature", "--guidance_scale");
        o = Cli.exec(evaluate(d, "baseline_mean", "lcm_next_sentence", "--baseline_data", "basesynth:0.5"));
        Cli.assertUserError(o, "a weight means nothing to a baseline");
        o = Cli.exec(evaluate(d, "baseline_mean", "lcm_next_sentence", "--baseline_data", "basesynth=nosuchsplit"));
        Cli.assertUserError(o, "split=nosuchsplit");
        o = Cli.exec(evaluate(d, "baseline_mean", "lcm_next_sentence", "--baseline_data", tmp.toString()));
        Cli.assertUserError(o, "has no datacard.yaml");
        assertFalse(Files.exists(d), "nothing written");

        // a task that decodes, without a decoder: the error names the flag
        o = Cli.exec(evaluate(d, "baseline_copy", "lcm_generation", "--task_args", GEN_ARGS));
        Cli.assertUserError(o, "has no concept decoder", "--decoder_config.decoder");
    }
}
