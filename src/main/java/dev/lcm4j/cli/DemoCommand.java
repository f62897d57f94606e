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
 * normalizer -> the MSE LCM and the two-tower diffusion LCM (the demo archs, best checkpoint on validation loss, early
 * stopping) -> evaluation of both and of four trivial baselines on the held-out documents -> side-by-side table,
 * plain-word verdicts, generated continuations and {@code report.md} with loss-curve PNGs. Every step is an ordinary
 * {@code ./lcm} command run in-process, so re-running resumes or reuses what is done.
 */
/** {@code ./lcm demo}: the main job end to end (prepare, fit the normalizer, train, evaluate, report). */
@Command(name = "demo", description = {"Offline end-to-end demo: prepare English Europarl, fit a normalizer, train the",
        "MSE LCM and the two-tower diffusion LCM (demo archs, best checkpoint on validation), evaluate both and four",
        "trivial baselines, print a table and write report.md (about 6 min on 2 cores; --quick: tiny data and models,",
        "under a minute). Re-running reuses what is done."})
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Option(names = "--quick", description = "Tiny data and models (the test suite's smoke run)") boolean quick;
    @Option(names = "--output", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE})") Path out;
    @Option(names = "--docs", description = "English Europarl documents to prepare (default 0 = all 1,272; --quick 40)") Integer docs;
    @Option(names = "--mse_steps", description = "Most MSE LCM training steps; early stopping usually ends sooner (default 800; --quick 3)") Integer mseSteps;
    @Option(names = "--two_tower_steps", description = "Most two-tower training steps; early stopping usually ends sooner (default 800; --quick 3)") Integer ttSteps;
    @Option(names = "--eval_docs", description = "Held-out documents evaluated (default 0 = all; --quick 4)") Integer evalDocs;

    private static final String DATA = "demo_europarl_en";
    private static final String NORM = "demo_europarl_en_normalizer";
    private static final String GEN_RUN = "lcm_generation.prompt_len_3.max_gen_len_3";

    /** A predictor the report compares: its column title, evaluation dump directory, and whether it is a model. */
    private record Column(String title, String dump, boolean model) {}

    private static final List<Column> COLUMNS = List.of(
            new Column("MSE LCM", "eval_mse", true),
            new Column("two-tower LCM", "eval_two_tower", true),
            new Column("mean of train", "eval_baseline_mean", false),
            new Column("copy previous / repeat last", "eval_baseline_copy", false),
            new Column("random from train", "eval_baseline_random", false));

    private final List<String> reused = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        Path o = out.toAbsolutePath();
        Files.createDirectories(o.resolve("cards"));
        int nDocs = docs != null ? docs : quick ? 40 : 0;
        int mse = mseSteps != null ? mseSteps : quick ? 3 : 800;
        int tt = ttSteps != null ? ttSteps : quick ? 3 : 800;
        int nEval = evalDocs != null ? evalDocs : quick ? 4 : 0;
        int validEvery = quick ? 1 : 10;
        String cards = o.resolve("data") + File.pathSeparator + o.resolve("cards");
        String old = System.getProperty("LCM_CARDS_PATH");
        System.setProperty("LCM_CARDS_PATH", cards + (old == null ? "" : File.pathSeparator + old));
        try {
            noteReuse(o.resolve("data/datacard.yaml"), "prepared data");
            step("1/7 prepare " + (nDocs == 0 ? "all" : nDocs) + " English Europarl documents with the offline default concept space (all_minilm_l6_v2_q, 384-d)",
                    "prepare", "--input", "europarl", "--lang", "eng_Latn", "--output", o.resolve("data").toString(), "--name", DATA,
                    "--max-docs", String.valueOf(nDocs));
            Path norm = o.resolve("cards").resolve(NORM + ".pt");
            if (!Files.exists(norm)) {
                step("2/7 fit the normalizer on the training split", "fit-normalizer", "--ds", DATA + "=train", "--save_path", norm.toString(),
                        "--max_nb_samples", "100000", "--card_name", NORM);
            } else {
                reused.add("normalizer");
                System.out.println("== 2/7 normalizer " + norm + " exists; reused");
            }
            List<String> common = List.of("++trainer.training_data=[{name: " + DATA + "=train}]",
                    "++trainer.validation_data=[{name: " + DATA + "=validation}]", "++trainer.num_lr_warmup_steps=" + Math.min(20, mse),
                    "++trainer.checkpoint_every_n_steps=100000", "++trainer.save_model_every_n_steps=100000",
                    "++trainer.validate_every_n_steps=" + validEvery, "++trainer.publish_metrics_every_n_steps=" + validEvery,
                    "++trainer.keep_best_checkpoint=true", "++trainer.early_stopping_patience=5", "++trainer.keep_last_n_checkpoints=1",
                    "++trainer.data_loading_config.max_tokens=512");
            String tinyMse = quick ? ", model_dim: 64, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128}" : "";
            noteReuse(o.resolve("mse/model_card.yaml"), "MSE LCM training");
            train("3/7 train demo_base_lcm (MSE) for at most " + mse + " steps, keeping the checkpoint with the lowest validation loss",
                    common, "+pretrain=mse", "++trainer.output_dir=" + o.resolve("mse"), "++trainer.model_arch=demo_base_lcm",
                    "++trainer.model_arch_overrides={sonar_normalizer_name: " + NORM + tinyMse + "}",
                    "++trainer.dtype=torch.float32", "++trainer.max_steps=" + mse, "++trainer.lr=0.0005");
            String tinyTt = quick ? ", model_dim: 64, context_encoder: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128},"
                    + " denoiser: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128, timestep_embed_dim: 64}" : "";
            noteReuse(o.resolve("two_tower/model_card.yaml"), "two-tower training");
            train("4/7 train demo_two_tower_diffusion_lcm for at most " + tt + " steps (bf16), keeping the checkpoint with the lowest validation loss",
                    common, "+pretrain=two_tower", "++trainer.output_dir=" + o.resolve("two_tower"), "++trainer.model_arch=demo_two_tower_diffusion_lcm",
                    "++trainer.model_arch_overrides={sonar_normalizer_name: " + NORM + tinyTt + "}",
                    "++trainer.dtype=" + (quick ? "torch.float32" : "torch.bfloat16"), "++trainer.max_steps=" + tt, "++trainer.lr=0.0005");
            String taskArgs = "{\"lcm_generation\": {\"prompt_len\": 3, \"max_gen_len\": 3}}";
            List<String> data = new ArrayList<>(List.of("--tasks", "lcm_next_sentence,lcm_generation", "--task_args", taskArgs,
                    "--dataset.name", DATA + "=validation", "--data_loading.batch_size", "8"));
            if (nEval > 0) data.addAll(List.of("--data_loading.max_samples", String.valueOf(nEval)));
            String docsText = nEval > 0 ? nEval + " held-out documents" : "every held-out document";
            evaluate("5/7 evaluate the MSE LCM on " + docsText + " (a continuation stops when a concept repeats the previous one)", "eval_mse", data, "--predictor", "base_lcm",
                    "--model_card", o.resolve("mse").toString(), "--sample_latent_variable", "false",
                    "--stop_on_repetition_cosine_threshold", String.valueOf(REPETITION_COSINE), "--trim_hypotheses", "true");
            evaluate("6/7 evaluate the two-tower LCM on the same documents (40 DDIM steps, guidance 3, as the reference README)", "eval_two_tower", data,
                    "--predictor", "two_tower_diffusion_lcm", "--model_card", o.resolve("two_tower").toString(),
                    "--inference_timesteps", "40", "--initial_noise_scale", "0.6", "--guidance_scale", "3", "--guidance_rescale", "0.7",
                    "--stop_on_repetition_cosine_threshold", String.valueOf(REPETITION_COSINE), "--trim_hypotheses", "true");
            // baselines: no model; the MSE run's card only names the concept encoder and the sentence-bank decoder
            for (String[] b : new String[][] {{"baseline_mean", "eval_baseline_mean", "the mean concept of the training split"},
                    {"baseline_copy", "eval_baseline_copy", "copy the previous concept / repeat the prompt's last sentence"},
                    {"baseline_random", "eval_baseline_random", "random sentences of the training split"}}) {
                List<String> args = new ArrayList<>(List.of("--predictor", b[0], "--model_card", o.resolve("mse").toString()));
                if (!b[0].equals("baseline_copy")) args.addAll(List.of("--baseline_data", DATA + "=train"));
                evaluate("7/7 evaluate the baseline " + b[0] + " (" + b[2] + ")", b[1], data, args.toArray(String[]::new));
            }
        } catch (StepFailed f) {
            return f.code;
        } finally {
            if (old == null) System.clearProperty("LCM_CARDS_PATH");
            else System.setProperty("LCM_CARDS_PATH", old);
        }
        report(o, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** Cosine above which the two-tower continuation stops (the reference's stop_on_repetition_cosine_threshold). */
    private static final double REPETITION_COSINE = 0.95;

    private void noteReuse(Path marker, String what) {
        if (Files.exists(marker)) reused.add(what);
    }

    private void train(String title, List<String> common, String... args) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(List.of(args));
        a.addAll(common);
        step(title, a.toArray(String[]::new));
    }

    private void evaluate(String title, String dump, List<String> data, String... args) {
        Path dir = out.toAbsolutePath().resolve(dump);
        noteReuse(dir.resolve("results").resolve(GEN_RUN + ".json"), "evaluation " + dump);
        List<String> a = new ArrayList<>(List.of("evaluate"));
        a.addAll(List.of(args));
        a.addAll(data);
        a.addAll(List.of("--dump_dir", dir.toString()));
        step(title, a.toArray(String[]::new));
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

    /** run, metric key, label, and whether lower is better (null: no better direction). */
    private static final Object[][] METRICS = {
            {"lcm_next_sentence", "l2", "l2 (teacher-forced)", true},
            {"lcm_next_sentence", "round_trip_l2", "round-trip l2", true},
            {"lcm_next_sentence", "ca", "CA (paper)", false},
            {"lcm_next_sentence", "ca_reference", "CA, reference code's variant", false},
            {"lcm_next_sentence", "par", "PAR (1 = as paraphrastic as the data)", null},
            {GEN_RUN, "rougeL", "ROUGE-L of the decoded continuation", false},
            {GEN_RUN, "rouge2", "ROUGE-2", false},
    };

    private static double metric(Path dump, String run, String key) throws IOException {
        JsonNode n = JSON.readTree(dump.resolve("results").resolve(run + ".json").toFile()).get("results").get(key);
        return n == null || n.isNull() ? Double.NaN : n.asDouble();
    }

    private void report(Path o, double seconds) throws IOException {
        double[][] v = new double[METRICS.length][COLUMNS.size()];
        for (int m = 0; m < METRICS.length; m++) {
            for (int c = 0; c < COLUMNS.size(); c++) v[m][c] = metric(o.resolve(COLUMNS.get(c).dump()), (String) METRICS[m][0], (String) METRICS[m][1]);
        }
        StringBuilder table = new StringBuilder("| metric |");
        StringBuilder sep = new StringBuilder("|---|");
        for (Column c : COLUMNS) {
            table.append(' ').append(c.title()).append(c.model() ? "" : " (baseline)").append(" |");
            sep.append("---|");
        }
        table.append('\n').append(sep).append('\n');
        StringBuilder console = new StringBuilder(String.format(Locale.ROOT, "%-36s", "metric"));
        for (Column c : COLUMNS) console.append(String.format(Locale.ROOT, " %12s", shortTitle(c)));
        console.append('\n');
        for (int m = 0; m < METRICS.length; m++) {
            Boolean lower = (Boolean) METRICS[m][3];
            String arrow = lower == null ? "" : lower ? " ↓" : " ↑";
            table.append("| ").append(METRICS[m][2]).append(arrow).append(" |");
            console.append(String.format(Locale.ROOT, "%-36s", METRICS[m][2]));
            for (int c = 0; c < COLUMNS.size(); c++) {
                table.append(String.format(Locale.ROOT, " %.4f |", v[m][c]));
                console.append(String.format(Locale.ROOT, " %12.4f", v[m][c]));
            }
            table.append('\n');
            console.append('\n');
        }
        String verdicts = verdicts(v);
        LossPlot.write("demo_base_lcm (MSE): loss per step", o.resolve("mse/metrics.jsonl"), o.resolve("loss_mse.png"));
        LossPlot.write("demo_two_tower_diffusion_lcm: loss per step", o.resolve("two_tower/metrics.jsonl"), o.resolve("loss_two_tower.png"));
        List<List<JsonNode>> raws = new ArrayList<>();
        for (Column c : COLUMNS) raws.add(raw(o.resolve(c.dump()), GEN_RUN));
        StringBuilder samples = new StringBuilder();
        List<JsonNode> first = raws.get(0);
        for (int i = 0; i < Math.min(3, first.size()); i++) {
            samples.append("**Prompt:** ").append(first.get(i).get("text_prompts").asText()).append("\n\n")
                    .append("- *reference:* ").append(first.get(i).get("targets").get(0).asText()).append('\n');
            for (int c = 0; c < 2; c++) {
                if (i < raws.get(c).size()) samples.append("- *").append(COLUMNS.get(c).title()).append(":* ").append(raws.get(c).get(i).get("prediction").asText()).append('\n');
            }
            samples.append('\n');
        }
        StringBuilder repetition = new StringBuilder();
        for (int c = 0; c < 2; c++) {
            int[] r = repeats(raws.get(c));
            repetition.append("- ").append(COLUMNS.get(c).title()).append(": ").append(r[0]).append(" of ").append(r[1])
                    .append(" continuations hold the same sentence twice in a row").append(r[2] > 0 ? "; " + r[2] + " stopped early on a repeated concept" : "").append(".\n");
        }
        String reuse = reused.isEmpty() ? "every step was computed in this run" : "reused from an earlier run: " + String.join(", ", reused);
        String md = "# lcm4j demo report\n\n"
                + "Offline run of `./lcm demo" + (quick ? " --quick" : "") + "` (" + String.format(Locale.ROOT, "%.0f s", seconds)
                + "; " + reuse + "). English Europarl documents shipped in a Maven artifact were split"
                + " into sentences (ICU), embedded with the offline MiniLM encoder (384-d), a normalizer was fitted on the"
                + " training split, and two LCMs were trained with early stopping on the validation loss, each evaluated from"
                + " its best checkpoint: the MSE LCM (`demo_base_lcm`, `mse/`) and the two-tower diffusion LCM"
                + " (`demo_two_tower_diffusion_lcm`, `two_tower/`). Both, and four baselines that run no model, were evaluated"
                + " with `./lcm evaluate` on the same held-out documents (`eval_*/`: `metrics.eval.jsonl`, `results/`,"
                + " `raw_results/`). The baselines are `./lcm evaluate` predictors you can run on your own data:"
                + " `baseline_mean` (the training split's mean concept), `baseline_copy` (the previous concept; in generation"
                + " the prompt's last sentence, repeated) and `baseline_random` (random sentences of the training split).\n\n"
                + "## Metrics\n\n" + table
                + "\nTeacher-forced metrics (`lcm_next_sentence`) follow the paper §2.4.1; the round trip decodes with a"
                + " retrieval decoder over the data's sentence bank (SONAR's decoder is the real one) and re-encodes."
                + " Generation (`lcm_generation`): 3-sentence prompts, 3 generated sentences, decoded by retrieval, scored"
                + " with ROUGE against the next 3 sentences.\n\n"
                + "## Against the baselines\n\n" + verdicts + "\n"
                + "## Repeated sentences\n\n" + repetition
                + "\nBoth models' continuations use the reference's `stop_on_repetition_cosine_threshold` ("
                + REPETITION_COSINE + "): a generated concept that close to the previous one ends the continuation and, with `trim_hypotheses`, is"
                + " dropped. Two different concepts can still decode to the same sentence of the bank (the retrieval decoder"
                + " returns the nearest sentence it knows), which the counts above include.\n\n"
                + "## Loss curves\n\n![MSE LCM loss](loss_mse.png)\n\n![two-tower loss](loss_two_tower.png)\n\n"
                + "## Generated continuations\n\n" + samples;
        AtomicFiles.writeString(o.resolve("report.md"), md);
        System.out.println();
        System.out.print(console);
        System.out.println();
        System.out.print(verdicts);
        System.out.println();
        System.out.print(samples.toString().replace("**", "").replace("*", ""));
        System.out.println("report: " + o.resolve("report.md") + " (" + reuse + ")");
    }

    private static String shortTitle(Column c) {
        return switch (c.dump()) {
            case "eval_mse" -> "MSE LCM";
            case "eval_two_tower" -> "two-tower";
            case "eval_baseline_mean" -> "mean";
            case "eval_baseline_copy" -> "copy/repeat";
            default -> "random";
        };
    }

    /**
     * One sentence per model: which baselines it beats on teacher-forced l2 and on CA, and, in plain words, every
     * baseline it does not beat.
     */
    static String verdicts(double[][] v) {
        StringBuilder out = new StringBuilder();
        for (int c = 0; c < COLUMNS.size(); c++) {
            if (!COLUMNS.get(c).model()) continue;
            List<String> lost = new ArrayList<>(), won = new ArrayList<>();
            for (int m : new int[] {0, 2}) { // l2 and paper CA
                boolean lower = (Boolean) METRICS[m][3];
                for (int b = 0; b < COLUMNS.size(); b++) {
                    if (COLUMNS.get(b).model() || Double.isNaN(v[m][b])) continue;
                    boolean beats = lower ? v[m][c] < v[m][b] : v[m][c] > v[m][b];
                    String what = String.format(Locale.ROOT, "%s on %s (%.4f against %.4f)", COLUMNS.get(b).title(), METRICS[m][2], v[m][c], v[m][b]);
                    (beats ? won : lost).add(what);
                }
            }
            out.append("- **").append(COLUMNS.get(c).title()).append("**: ");
            out.append(lost.isEmpty() ? "beats every baseline on teacher-forced l2 and on CA."
                    : "does NOT beat " + String.join("; nor ", lost) + "."
                            + (won.isEmpty() ? " It beats no baseline on these two metrics." : " It beats " + String.join("; ", won) + "."));
            out.append('\n');
        }
        return out.toString();
    }

    /** [continuations with a sentence twice in a row, continuations, continuations shorter than asked]. */
    private static int[] repeats(List<JsonNode> raw) {
        int twice = 0, short_ = 0;
        for (JsonNode r : raw) {
            JsonNode texts = r.get("prediction_texts");
            if (texts == null) continue;
            for (int i = 1; i < texts.size(); i++) {
                if (texts.get(i).asText().strip().equals(texts.get(i - 1).asText().strip())) {
                    twice++;
                    break;
                }
            }
            if (texts.size() < 3) short_++;
        }
        return new int[] {twice, raw.size(), short_};
    }

    private static List<JsonNode> raw(Path dump, String run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path f = dump.resolve("raw_results").resolve(run).resolve(run + ".json");
        if (!Files.exists(f)) throw new LcmException("missing " + f + "; delete " + dump + " and re-run the demo");
        for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }
}
