package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.cli.Main;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetWriter;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference's evaluation commands, copied from its README.md and examples/evaluation/README.md, run with
 * {@code ./lcm evaluate} in place of {@code torchrun --standalone --nnodes=1 --nproc-per-node=1 -m lcm.evaluation}
 * (or {@code uv run -m lcm.evaluation}) and only their shell variables and placeholder paths filled in, on tiny MSE
 * and two-tower models trained on a {@code finetuning_data} datacard in MiniLM's 384-d concept space (so that
 * {@code [MODEL]:} and the EOS text can be encoded offline).
 */
@Tag("slow")
class ReferenceReadmeEvaluateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TORCHRUN = "torchrun --standalone --nnodes=1 --nproc-per-node=1 -m lcm.evaluation";

    /** README.md, "evaluate" of the two-tower model (verbatim, indentation included). */
    static final String README_TWO_TOWER = """
            torchrun --standalone --nnodes=1 --nproc-per-node=1 -m lcm.evaluation  \\
              --predictor two_tower_diffusion_lcm  \\
              --show_progress true \\
              --data_loading.max_samples 100 \\
              --model_card ${model_card} \\
              --launcher standalone \\
              --dataset.source_suffix_text '[MODEL]:' \\
              --tasks finetuning_data_lcm.validation \\
               --task_args '{"max_gen_len": 10, "eos_config": {"text": "End of text."}}' \\
              --data_loading.batch_size 4  --generator_batch_size 4 \\
              --dump_dir ${OUTPUT_DIR} \\
              --inference_timesteps 40 \\
              --initial_noise_scale 0.6 \\
              --guidance_scale 3 \\
              --guidance_rescale 0.7
            """;

    /** README.md, "evaluate" of the MSE model (verbatim, its trailing backslash included). */
    static final String README_MSE = """
            torchrun --standalone --nnodes=1 --nproc-per-node=1 -m lcm.evaluation  \\
              --predictor base_lcm --sample_latent_variable False \\
              --show_progress true \\
              --data_loading.max_samples 100 \\
              --model_card ${model_card} \\
              --launcher standalone \\
              --dataset.source_suffix_text '[MODEL]:' \\
              --tasks finetuning_data_lcm.validation \\
               --task_args '{"max_gen_len": 10, "eos_config": {"text": "End of text."}}' \\
              --data_loading.batch_size 4  --generator_batch_size 4 \\
              --dump_dir ${OUTPUT_DIR} \\

            """;

    /** examples/evaluation/README.md, "Evaluate big datasets" (SLURM). */
    static final String EXAMPLES_SUBMITIT = """
            uv run -m lcm.evaluation \\
              --predictor two_tower_diffusion_lcm  \\
              --model_card path/to/the/model_card.yaml \\
              --generator_batch_size 16 \\
              --tasks lcm_generation \\
              --task_args '{"max_gen_len": 200}' \\
              --dataset.parquet_path parquet_dataset/cnn_dailymail \\
              --data_loading.batch_size 16 \\
              --dump_dir output_results \\
              --launcher submitit \\
              --job_args '{"launcher.cache": "null", "launcher.partition": "'${slurm_partition}'", "launcher.qos": "'${qos}'", "nshards": '${shards}', "requirements": {"gpus_per_node": 1, "timeout_min": '${timeout_min}'}}' \\

            """;

    /** examples/evaluation/README.md, LCM evaluation tasks (two-tower, prepared prompt/answer parquet). */
    static final String EXAMPLES_LCM = """
            uv run torchrun --standalone --nnodes=1 --nproc-per-node=1 -m lcm.evaluation \\
              --predictor two_tower_diffusion_lcm  \\
              --model_card path/to/the/model_card.yaml \\
              --generator_batch_size 16 \\
              --tasks lcm_generation \\
              --task_args '{"max_gen_len": 200}' \\
              --dataset.parquet_path parquet_dataset/cnn_dailymail \\
              --dataset.source_column prompt_sentences_sonar_emb \\
              --dataset.source_text_column prompt_sentences \\
              --dataset.target_column answer_sentences_sonar_emb \\
              --dataset.target_text_column answer_sentences \\
              --data_loading.batch_size 16 \\
              --dump_dir output_results
            """;

    @TempDir static Path tmp;
    static Path data, mse, twoTower;

    @BeforeAll
    static void setUp() throws Exception {
        TorchRuntime.init();
        data = tmp.resolve("finetuning_data");
        DataColumns cols = DataColumns.sonar("prompt_sentences").withTarget("answer_sentences_sonar_emb", "answer_sentences");
        Random r = new Random(3);
        for (String split : List.of("train", "validation")) {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < (split.equals("train") ? 16 : 6); i++) {
                int np = 2 + r.nextInt(3), na = 1 + r.nextInt(3);
                docs.add(new Document(split + i, sentences(split + i + " prompt", np), vectors(np, r), sentences(split + i + " answer", na), vectors(na, r), null));
            }
            LcmParquetWriter.write(data.resolve("split=" + split).resolve("part-0.parquet"), cols, 384, 8, docs);
        }
        Files.writeString(data.resolve("datacard.yaml"), String.join("\n", "name: finetuning_data", "parquet_path:", "  local: .",
                "source_column: prompt_sentences_sonar_emb", "source_text_column: prompt_sentences",
                "target_column: answer_sentences_sonar_emb", "target_text_column: answer_sentences", "concept_encoder: all_minilm_l6_v2_q", ""));
        Path cards = Files.createDirectories(tmp.resolve("cards"));
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        // the bank first: the trainer then records bank:DATA as the models' concept decoder
        assertEquals(0, Main.execute("bank", "build", data.toString()));
        assertEquals(0, Main.execute("fit-normalizer", "--ds", "finetuning_data=train", "--save_path", cards.resolve("readme_norm.pt").toString(),
                "--max_nb_samples", "1000", "--card_name", "readme_norm"));
        mse = tmp.resolve("mse");
        assertEquals(0, Main.execute("train", "+finetune=mse", "++trainer.output_dir=" + mse, "~trainer.model_config_or_name",
                "++trainer.model_arch=toy_base_lcm", "++trainer.model_arch_overrides={sonar_embed_dim: 384, sonar_normalizer_name: readme_norm,"
                        + " model_dim: 32, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: finetuning_data=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.num_lr_warmup_steps=1", "++trainer.max_steps=2", "++trainer.data_loading_config.max_tokens=200"));
        twoTower = tmp.resolve("two_tower");
        assertEquals(0, Main.execute("train", "+finetune=two_tower", "++trainer.output_dir=" + twoTower, "~trainer.model_config_or_name",
                "++trainer.model_arch=toy_two_tower_diffusion_lcm", "++trainer.model_arch_overrides={sonar_embed_dim: 384, sonar_normalizer_name: readme_norm,"
                        + " trained_with_cf_guidance: true, noise_scheduler: {num_diffusion_train_steps: 100}, model_dim: 32,"
                        + " context_encoder: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64},"
                        + " denoiser: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64, timestep_embed_dim: 32}}",
                "++trainer.training_data=[{name: finetuning_data=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.num_lr_warmup_steps=1", "++trainer.max_steps=2", "++trainer.data_loading_config.max_tokens=400"));
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    private static List<String> sentences(String prefix, int n) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add(prefix + " sentence " + i + ".");
        return s;
    }

    private static float[][] vectors(int n, Random r) {
        float[][] v = new float[n][384];
        for (float[] x : v) for (int j = 0; j < x.length; j++) x[j] = (float) (r.nextGaussian() * 0.05);
        return v;
    }

    /**
     * The command's words as bash splits them (backslash-newline joins lines, single quotes quote, {@code $var}s
     * substituted, quoted and unquoted pieces of one word joined), with the launcher prefix replaced by "evaluate".
     */
    static List<String> words(String command, String prefix, String... vars) {
        String s = command.replace("\\\n", " ").strip();
        if (!s.startsWith(prefix)) throw new IllegalArgumentException("not a " + prefix + " command: " + s);
        s = "evaluate " + s.substring(prefix.length());
        for (int i = 0; i < vars.length; i += 2) s = s.replace("${" + vars[i] + "}", vars[i + 1]);
        if (s.contains("${")) throw new IllegalArgumentException("unfilled variable in " + s);
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        boolean quoted = false;
        for (char c : s.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                if (w == null) w = new StringBuilder();
            } else if (!quoted && Character.isWhitespace(c)) {
                if (w != null) out.add(w.toString());
                w = null;
            } else {
                if (w == null) w = new StringBuilder();
                w.append(c);
            }
        }
        if (w != null) out.add(w.toString());
        return out;
    }

    private static List<JsonNode> raw(Path dump) throws Exception {
        Path f = dump.resolve("raw_results/finetuning_data_lcm.validation/finetuning_data_lcm.validation.json");
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) out.add(JSON.readTree(l));
        return out;
    }

    @Test
    void readmeMseCommand() throws Exception {
        Path out = tmp.resolve("evaluation_outputs/mse_lcm");
        Cli.Outcome o = Cli.exec(words(README_MSE, TORCHRUN, "model_card", mse.resolve("model_card.yaml").toString(), "OUTPUT_DIR", out.toString()));
        assertEquals(0, o.code(), o.err());
        List<JsonNode> raw = raw(out);
        assertEquals(6, raw.size(), "every validation document (max_samples 100)");
        for (JsonNode n : raw) {
            assertTrue(n.get("prediction_texts").size() >= 1 && n.get("prediction_texts").size() <= 10, n.toString());
            assertTrue(n.get("text_prompts").asText().endsWith("[MODEL]:"), "the suffix is an extra prompt concept: " + n);
        }
        for (String f : List.of("metadata.jsonl", "metrics.eval.jsonl", "results/finetuning_data_lcm.validation.json")) assertTrue(Files.exists(out.resolve(f)), f);
        assertTrue(Files.list(out.resolve("tb")).findAny().isPresent());
    }

    @Test
    void readmeTwoTowerCommand() throws Exception {
        Path out = tmp.resolve("evaluation_outputs/two_tower");
        Cli.Outcome o = Cli.exec(words(README_TWO_TOWER, TORCHRUN, "model_card", twoTower.resolve("model_card.yaml").toString(), "OUTPUT_DIR", out.toString()));
        assertEquals(0, o.code(), o.err());
        assertEquals(6, raw(out).size());
        JsonNode res = JSON.readTree(out.resolve("results/finetuning_data_lcm.validation.json").toFile());
        assertEquals(40, res.get("configs").get("predictor").get("sampling_options").get("inference_timesteps").asInt(), res.toString());
        assertTrue(res.get("results").has("rougeL"), res.toString());
    }

    @Test
    void examplesCommands() throws Exception {
        // the SLURM example: its job_args parse and shape a job of 2 tasks (the shell variables filled in; $qos is never
        // set in that README); a dry run, so that no job is submitted (SlurmClusterTest submits one)
        List<String> submitit = words(EXAMPLES_SUBMITIT, "uv run -m lcm.evaluation", "slurm_partition", "learn", "qos", "", "shards", "2",
                "timeout_min", "60");
        submitit = new ArrayList<>(submitit.stream().map(w -> w.replace("path/to/the/model_card.yaml", twoTower.resolve("model_card.yaml").toString())
                .replace("parquet_dataset/cnn_dailymail", data.resolve("split=validation").toString())
                .replace("output_results", tmp.resolve("slurm_out").toString())).toList());
        submitit.add("--dry_run");
        Cli.Outcome o = Cli.exec(submitit);
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("launcher submitit, 2 shard(s) as the tasks of one SLURM job (lcm_eval_slurm_out, logs in "
                + tmp.resolve("slurm_out/executor_logs").toAbsolutePath() + ")"), o.out());
        assertTrue(!Files.exists(tmp.resolve("slurm_out")));
        // the LCM example generates 200 sentences per prompt with 100 diffusion steps each (too slow for a unit test):
        // every flag is checked by a dry run
        List<String> lcm = new ArrayList<>(words(EXAMPLES_LCM, "uv run " + TORCHRUN).stream()
                .map(w -> w.replace("parquet_dataset/cnn_dailymail", data.resolve("split=validation").toString())
                        .replace("path/to/the/model_card.yaml", twoTower.resolve("model_card.yaml").toString())).toList());
        lcm.add("--dry_run");
        o = Cli.exec(lcm);
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("dry run: tasks [lcm_generation]"), o.out());
    }
}
