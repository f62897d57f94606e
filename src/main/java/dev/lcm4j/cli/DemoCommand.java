package dev.lcm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.eval.LossPlot;
import dev.lcm4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.io.File;

/**
 * The main job on the embedded default, offline: English Europarl -> sentences -> MiniLM concepts (384-d) ->
 * normalizer -> a toy MSE LCM and a toy two-tower diffusion LCM -> evaluation of both on held-out documents ->
 * side-by-side table, generated continuations and {@code report.md} with loss-curve PNGs. Every step is an ordinary
 * {@code ./lcm} command run in-process, so re-running resumes or reuses what is done.
 */
/** {@code ./lcm demo}: the main job end to end (prepare, fit the normalizer, train, evaluate, report). */
@Command(name = "demo", description = {"Offline end-to-end demo: prepare English Europarl, fit a normalizer, train a toy",
        "MSE LCM and a toy two-tower diffusion LCM, evaluate both, print a table and write report.md (~5 min on 2 cores;",
        "--quick: tiny models, under a minute). Re-running reuses what is done."})
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Option(names = "--quick", description = "Tiny data and models (the test suite's smoke run)") boolean quick;
    @Option(names = "--output", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE})") Path out;
    @Option(names = "--docs", description = "English Europarl documents to prepare (default 600; --quick 40; 0 = all)") Integer docs;
    @Option(names = "--mse_steps", description = "MSE LCM training steps (default 120; --quick 3)") Integer mseSteps;
    @Option(names = "--two_tower_steps", description = "Two-tower training steps (default 50; --quick 3)") Integer ttSteps;
    @Option(names = "--eval_docs", description = "Held-out documents evaluated (default 24; --quick 4)") Integer evalDocs;

    private static final String DATA = "demo_europarl_en";
    private static final String NORM = "demo_europarl_en_normalizer";

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        Path o = out.toAbsolutePath();
        Files.createDirectories(o.resolve("cards"));
        int nDocs = docs != null ? docs : quick ? 40 : 600;
        int mse = mseSteps != null ? mseSteps : quick ? 3 : 120;
        int tt = ttSteps != null ? ttSteps : quick ? 3 : 50;
        int nEval = evalDocs != null ? evalDocs : quick ? 4 : 24;
        String cards = o.resolve("data") + File.pathSeparator + o.resolve("cards");
        String old = System.getProperty("LCM_CARDS_PATH");
        System.setProperty("LCM_CARDS_PATH", cards + (old == null ? "" : File.pathSeparator + old));
        try {
            step("1/6 prepare " + (nDocs == 0 ? "all" : nDocs) + " English Europarl documents with the offline default concept space (all_minilm_l6_v2_q, 384-d)",
                    "prepare", "--input", "europarl", "--lang", "eng_Latn", "--output", o.resolve("data").toString(), "--name", DATA,
                    "--max-docs", String.valueOf(nDocs));
            Path norm = o.resolve("cards").resolve(NORM + ".pt");
            if (!Files.exists(norm)) {
                step("2/6 fit the normalizer on the training split", "fit-normalizer", "--ds", DATA + "=train", "--save_path", norm.toString(),
                        "--max_nb_samples", "100000", "--card_name", NORM);
            } else {
                System.out.println("== 2/6 normalizer " + norm + " exists; reused");
            }
            String tinyMse = quick ? ", model_dim: 64, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128}" : "";
            step("3/6 train toy_base_lcm (MSE) for " + mse + " steps; re-running resumes", "train", "+pretrain=mse",
                    "++trainer.output_dir=" + o.resolve("mse"), "++trainer.model_arch=toy_base_lcm",
                    "++trainer.model_arch_overrides={sonar_embed_dim: 384, sonar_normalizer_name: " + NORM + tinyMse + "}",
                    "++trainer.training_data=[{name: " + DATA + "=train}]", "++trainer.validation_data=[{name: " + DATA + "=validation}]",
                    "++trainer.dtype=torch.float32", "++trainer.max_steps=" + mse, "++trainer.num_lr_warmup_steps=" + Math.min(10, mse),
                    "++trainer.lr=0.001", "++trainer.data_loading_config.max_tokens=1024", "++trainer.checkpoint_every_n_steps=" + Math.max(1, mse / 2),
                    "++trainer.save_model_every_n_steps=" + Math.max(1, mse / 2), "++trainer.validate_every_n_steps=" + Math.max(1, mse / 4),
                    "++trainer.publish_metrics_every_n_steps=" + Math.max(1, Math.min(10, mse / 10)));
            String tinyTt = quick ? ", model_dim: 64, context_encoder: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128},"
                    + " denoiser: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128, timestep_embed_dim: 64}" : "";
            step("4/6 train toy_two_tower_diffusion_lcm for " + tt + " steps (bf16); re-running resumes", "train", "+pretrain=two_tower",
                    "++trainer.output_dir=" + o.resolve("two_tower"), "++trainer.model_arch=toy_two_tower_diffusion_lcm",
                    "++trainer.model_arch_overrides={sonar_embed_dim: 384, sonar_normalizer_name: " + NORM
                            + ", trained_with_cf_guidance: true, noise_scheduler: {num_diffusion_train_steps: 100}" + tinyTt + "}",
                    "++trainer.training_data=[{name: " + DATA + "=train}]", "++trainer.validation_data=[{name: " + DATA + "=validation}]",
                    "++trainer.dtype=" + (quick ? "torch.float32" : "torch.bfloat16"), "++trainer.max_steps=" + tt,
                    "++trainer.num_lr_warmup_steps=" + Math.min(10, tt), "++trainer.data_loading_config.max_tokens=2000",
                    "++trainer.checkpoint_every_n_steps=" + Math.max(1, tt / 2), "++trainer.save_model_every_n_steps=" + Math.max(1, tt / 2),
                    "++trainer.validate_every_n_steps=" + Math.max(1, tt / 4), "++trainer.publish_metrics_every_n_steps=" + Math.max(1, Math.min(5, tt / 10)));
            String taskArgs = "{\"lcm_generation\": {\"prompt_len\": 3, \"max_gen_len\": 3}}";
            step("5/6 evaluate the MSE LCM on " + nEval + " held-out documents", "evaluate", "--predictor", "base_lcm",
                    "--model_card", o.resolve("mse").toString(), "--tasks", "lcm_next_sentence,lcm_generation", "--task_args", taskArgs,
                    "--dataset.name", DATA + "=validation", "--data_loading.max_samples", String.valueOf(nEval),
                    "--data_loading.batch_size", "8", "--sample_latent_variable", "false", "--dump_dir", o.resolve("eval_mse").toString());
            step("6/6 evaluate the two-tower LCM on the same documents (40 DDIM steps, guidance 3, as the reference README)", "evaluate",
                    "--predictor", "two_tower_diffusion_lcm", "--model_card", o.resolve("two_tower").toString(),
                    "--tasks", "lcm_next_sentence,lcm_generation", "--task_args", taskArgs, "--dataset.name", DATA + "=validation",
                    "--data_loading.max_samples", String.valueOf(nEval), "--data_loading.batch_size", "8",
                    "--inference_timesteps", "40", "--initial_noise_scale", "0.6", "--guidance_scale", "3", "--guidance_rescale", "0.7",
                    "--dump_dir", o.resolve("eval_two_tower").toString());
        } catch (StepFailed f) {
            return f.code;
        } finally {
            if (old == null) System.clearProperty("LCM_CARDS_PATH");
            else System.setProperty("LCM_CARDS_PATH", old);
        }
        report(o, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static final class StepFailed extends RuntimeException {
        final int code;

        StepFailed(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private static void step(String title, String... args) {
        System.out.println("== " + title);
        int code = Main.execute(args);
        if (code != 0) throw new StepFailed(code);   // the step printed its own error line
    }

    private static final String[][] METRICS = {
            {"lcm_next_sentence", "l2", "l2 ↓ (teacher-forced)"},
            {"lcm_next_sentence", "round_trip_l2", "round-trip l2 ↓"},
            {"lcm_next_sentence", "ca", "CA ↑ (paper; chance 0.5)"},
            {"lcm_next_sentence", "ca_reference", "CA, reference code's variant ↑"},
            {"lcm_next_sentence", "par", "PAR (1 = as paraphrastic as the data)"},
            {"lcm_generation.prompt_len_3.max_gen_len_3", "rougeL", "ROUGE-L of the decoded continuation ↑"},
            {"lcm_generation.prompt_len_3.max_gen_len_3", "rouge2", "ROUGE-2 ↑"},
    };

    private static double metric(Path dump, String run, String key) throws IOException {
        JsonNode n = JSON.readTree(dump.resolve("results").resolve(run + ".json").toFile()).get("results").get(key);
        return n == null || n.isNull() ? Double.NaN : n.asDouble();
    }

    private void report(Path o, double seconds) throws IOException {
        StringBuilder table = new StringBuilder("| metric | MSE LCM (toy_base_lcm) | two-tower diffusion LCM |\n|---|---|---|\n");
        StringBuilder console = new StringBuilder(String.format(Locale.ROOT, "%-40s %14s %14s%n", "metric", "MSE LCM", "two-tower"));
        for (String[] m : METRICS) {
            double a = metric(o.resolve("eval_mse"), m[0], m[1]), b = metric(o.resolve("eval_two_tower"), m[0], m[1]);
            table.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f |%n", m[2], a, b));
            console.append(String.format(Locale.ROOT, "%-40s %14.4f %14.4f%n", m[2].replace(" ↓", "").replace(" ↑", ""), a, b));
        }
        LossPlot.write("toy_base_lcm (MSE): loss per step", o.resolve("mse/metrics.jsonl"), o.resolve("loss_mse.png"));
        LossPlot.write("toy_two_tower_diffusion_lcm: loss per step", o.resolve("two_tower/metrics.jsonl"), o.resolve("loss_two_tower.png"));
        String gen = "lcm_generation.prompt_len_3.max_gen_len_3";
        List<JsonNode> mseRaw = raw(o.resolve("eval_mse"), gen), ttRaw = raw(o.resolve("eval_two_tower"), gen);
        StringBuilder samples = new StringBuilder();
        for (int i = 0; i < Math.min(3, mseRaw.size()); i++) {
            samples.append("**Prompt:** ").append(mseRaw.get(i).get("text_prompts").asText()).append("\n\n")
                    .append("- *reference:* ").append(mseRaw.get(i).get("targets").get(0).asText()).append('\n')
                    .append("- *MSE LCM:* ").append(mseRaw.get(i).get("prediction").asText()).append('\n');
            if (i < ttRaw.size()) samples.append("- *two-tower:* ").append(ttRaw.get(i).get("prediction").asText()).append('\n');
            samples.append('\n');
        }
        String md = "# lcm4j demo report\n\n"
                + "Offline run of `./lcm demo" + (quick ? " --quick" : "") + "` (" + String.format(Locale.ROOT, "%.0f s", seconds)
                + " this time; steps already done were reused). English Europarl documents shipped in a Maven artifact were split"
                + " into sentences (ICU), embedded with the offline MiniLM encoder (384-d), a normalizer was fitted on the"
                + " training split, and two toy LCMs were trained: the MSE LCM (`data/`, `mse/`) and the two-tower diffusion"
                + " LCM (`two_tower/`). Both were evaluated with `./lcm evaluate` on the same held-out documents"
                + " (`eval_mse/`, `eval_two_tower/`: `metrics.eval.jsonl`, `results/`, `raw_results/`).\n\n"
                + "## Metrics\n\n" + table
                + "\nTeacher-forced metrics (`lcm_next_sentence`) follow the paper §2.4.1; the round trip decodes with a"
                + " retrieval decoder over the data's sentence bank (SONAR's decoder is the real one) and re-encodes."
                + " Generation (`lcm_generation`): 3-sentence prompts, 3 generated sentences, decoded by retrieval, scored"
                + " with ROUGE against the next 3 sentences. Toy models trained for minutes are not meant to be good; the"
                + " table shows the pipeline working end to end.\n\n"
                + "## Loss curves\n\n![MSE LCM loss](loss_mse.png)\n\n![two-tower loss](loss_two_tower.png)\n\n"
                + "## Generated continuations\n\n" + samples;
        AtomicFiles.writeString(o.resolve("report.md"), md);
        System.out.println();
        System.out.print(console);
        System.out.println();
        System.out.print(samples.toString().replace("**", "").replace("*", ""));
        System.out.println("report: " + o.resolve("report.md") + " (loss curves loss_mse.png, loss_two_tower.png; evaluation dumps eval_mse/, eval_two_tower/)");
    }

    private static List<JsonNode> raw(Path dump, String run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path f = dump.resolve("raw_results").resolve(run).resolve(run + ".json");
        if (!Files.exists(f)) throw new LcmException("missing " + f + "; delete " + dump + " and re-run the demo");
        for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }
}
