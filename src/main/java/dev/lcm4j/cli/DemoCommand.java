package dev.lcm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.eval.LossPlot;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelLoader;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;
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
 * {@code ./lcm demo}, the main job on the embedded default, offline: English Europarl -> sentences -> MiniLM concepts
 * (384-d) -> normalizer -> the MSE LCM and the two-tower diffusion LCM (with {@code --all-families} also a residual
 * quantizer, One-Tower, Quant-LCM-d and Quant-LCM-c; the demo archs, best checkpoint on validation loss, early
 * stopping) -> evaluation of every model and of three trivial baselines on the held-out documents -> side-by-side
 * table, plain-word verdicts, the paper's Table 3, generated continuations and {@code report.md} with loss-curve PNGs.
 * Every step is an ordinary {@code ./lcm} command run in-process, so re-running resumes or reuses what is done.
 */
@Command(name = "demo", description = {"Offline end-to-end demo: prepare English Europarl, fit a normalizer, train the",
        "MSE LCM and the two-tower diffusion LCM (demo archs, best checkpoint on validation), evaluate both and three",
        "trivial baselines, print a table and write report.md (about 3 min on 2 cores; --quick: tiny data and models,",
        "under a minute; --all-families: all five predictors of the LCM paper). Re-running reuses what is done."})
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Option(names = "--quick", description = "Tiny data and models (the test suite's smoke run)") boolean quick;
    @Option(names = "--output", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE})") Path out;
    @Option(names = "--docs", description = "English Europarl documents to prepare (default 0 = all 1,272; --quick 40)") Integer docs;
    @Option(names = "--mse_steps", description = "Most MSE LCM training steps; early stopping usually ends sooner (default 800; --quick 3)") Integer mseSteps;
    @Option(names = "--two_tower_steps", description = "Most two-tower training steps; early stopping usually ends sooner (default 800; --quick 3)") Integer ttSteps;
    @Option(names = "--eval_docs", description = "Held-out documents evaluated (default 0 = all; --quick 4)") Integer evalDocs;
    @Option(names = "--all-families", description = {"Also fit a residual quantizer (8 x 256) and train One-Tower, Quant-LCM-d and Quant-LCM-c:",
            "the paper's five predictors side by side, beside its Table 3 (about twice the time)"}) boolean allFamilies;
    @Option(names = "--one_tower_steps", description = "With --all-families: most One-Tower training steps (default 800; --quick 3)") Integer otSteps;
    @Option(names = "--quant_steps", description = "With --all-families: most training steps of each Quant-LCM (default 800; --quick 3)") Integer quantSteps;

    private static final String DATA = "demo_europarl_en";
    private static final String NORM = "demo_europarl_en_normalizer";
    private static final String GEN_RUN = "lcm_generation.prompt_len_3.max_gen_len_3";
    /** The demo's quantizer: the minilm_demo preset of {@code ./lcm rvq fit} (M codebooks x K units). */
    private static final int RVQ_CODEBOOKS = 8, RVQ_UNITS = 256, QUICK_RVQ_CODEBOOKS = 2, QUICK_RVQ_UNITS = 16;

    /** A predictor the report compares: its column title, short console title, evaluation dump directory, and whether it is a model. */
    record Column(String title, String shortTitle, String dump, boolean model) {}

    /**
     * One model the demo trains and evaluates: where it trains, its arch and recipe, the overrides that shrink it for
     * {@code --quick}, and the flags its evaluation passes.
     */
    private record ModelRun(Column column, String dir, String arch, String recipe, String predictor, boolean bf16, int steps,
                            String quickOverrides, String extraOverrides, String evalNote, List<String> evalArgs) {
        /** The arch overrides this run trains with (YAML flow-mapping entries, without braces). */
        String overrides(boolean quick) {
            return "sonar_normalizer_name: " + NORM + extraOverrides + (quick ? ", " + quickOverrides : "");
        }
    }

    /** A baseline the demo evaluates: its report column, its {@code --predictor}, what it predicts, whether it reads the training split. */
    private record BaselineRun(Column column, String predictor, String description, boolean readsTrainingSplit) {}

    private static final List<BaselineRun> BASELINE_RUNS = List.of(
            new BaselineRun(new Column("mean of train", "mean", "eval_baseline_mean", false), "baseline_mean",
                    "the mean concept of the training split", true),
            new BaselineRun(new Column("copy previous / repeat last", "copy/repeat", "eval_baseline_copy", false), "baseline_copy",
                    "copy the previous concept / repeat the prompt's last sentence", false),
            new BaselineRun(new Column("random from train", "random", "eval_baseline_random", false), "baseline_random",
                    "random sentences of the training split", true));
    private static final List<Column> BASELINES = BASELINE_RUNS.stream().map(BaselineRun::column).toList();
    static final List<Column> DEFAULT_COLUMNS = List.of(
            new Column("MSE LCM", "MSE LCM", "eval_mse", true),
            new Column("two-tower LCM", "two-tower", "eval_two_tower", true),
            BASELINES.get(0), BASELINES.get(1), BASELINES.get(2));

    private final List<String> reused = new ArrayList<>();
    private int stepNo, stepCount;

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        if (!allFamilies && (otSteps != null || quantSteps != null)) {
            throw new LcmException((otSteps != null ? "--one_tower_steps" : "--quant_steps") + " trains a model only --all-families adds;"
                    + " add --all-families or drop the option");
        }
        Path o = out.toAbsolutePath();
        Files.createDirectories(o.resolve("cards"));
        int nDocs = docs != null ? docs : quick ? 40 : 0;
        int mse = mseSteps != null ? mseSteps : quick ? 3 : 800;
        int tt = ttSteps != null ? ttSteps : quick ? 3 : 800;
        int ot = otSteps != null ? otSteps : quick ? 3 : 800;
        int qs = quantSteps != null ? quantSteps : quick ? 3 : 800;
        int nEval = evalDocs != null ? evalDocs : quick ? 4 : 0;
        int validEvery = quick ? 1 : 10;
        int codebooks = quick ? QUICK_RVQ_CODEBOOKS : RVQ_CODEBOOKS, units = quick ? QUICK_RVQ_UNITS : RVQ_UNITS;
        Path rvq = o.resolve("rvq").resolve("rvq.pt");
        List<ModelRun> models = models(mse, tt, ot, qs, rvq, codebooks, units);
        stepCount = 2 + models.size() * 2 + BASELINES.size() + (allFamilies ? 1 : 0);
        String cards = o.resolve("data") + File.pathSeparator + o.resolve("cards");
        String old = System.getProperty("LCM_CARDS_PATH");
        System.setProperty("LCM_CARDS_PATH", cards + (old == null ? "" : File.pathSeparator + old));
        try {
            noteReuse(o.resolve("data/datacard.yaml"), "prepared data");
            step(next() + " prepare " + (nDocs == 0 ? "all" : nDocs) + " English Europarl documents with the offline default concept space (all_minilm_l6_v2_q, 384-d)",
                    "prepare", "--input", "europarl", "--lang", "eng_Latn", "--output", o.resolve("data").toString(), "--name", DATA,
                    "--max-docs", String.valueOf(nDocs));
            Path norm = o.resolve("cards").resolve(NORM + ".pt");
            if (!Files.exists(norm)) {
                step(next() + " fit the normalizer on the training split", "fit-normalizer", "--ds", DATA + "=train", "--save_path", norm.toString(),
                        "--max_nb_samples", "100000", "--card_name", NORM);
            } else {
                reused.add("normalizer");
                System.out.println("== " + next() + " normalizer " + norm + " exists; reused");
            }
            if (allFamilies) {
                if (!Files.exists(rvq)) {
                    step(next() + " fit a residual vector quantizer (" + codebooks + " codebooks x " + units + " units) on the training split, for Quant-LCM",
                            "rvq", "fit", "--ds", DATA + "=train", "--codebooks", String.valueOf(codebooks), "--units", String.valueOf(units),
                            "--output", rvq.toString());
                } else {
                    reused.add("quantizer");
                    System.out.println("== " + next() + " quantizer " + rvq + " exists; reused");
                }
            }
            List<String> common = List.of("++trainer.training_data=[{name: " + DATA + "=train}]",
                    "++trainer.validation_data=[{name: " + DATA + "=validation}]", "++trainer.num_lr_warmup_steps=" + Math.min(20, mse),
                    "++trainer.checkpoint_every_n_steps=100000", "++trainer.save_model_every_n_steps=100000",
                    "++trainer.validate_every_n_steps=" + validEvery, "++trainer.publish_metrics_every_n_steps=" + validEvery,
                    "++trainer.keep_best_checkpoint=true", "++trainer.early_stopping_patience=5", "++trainer.keep_last_n_checkpoints=1",
                    "++trainer.data_loading_config.max_tokens=512",
                    // the pretrain recipes carry this key as the reference's do, where it has no effect; dropping it
                    // keeps the demo free of a warning about a setting its user never made
                    "~trainer.data_loading_config.min_length_after_batching");
            for (ModelRun m : models) {
                noteReuse(o.resolve(m.dir()).resolve("model_card.yaml"), m.column().title() + " training");
                train(next() + " train " + m.arch() + " for at most " + m.steps() + " steps" + (m.bf16() && !quick ? " (bf16)" : "")
                                + ", keeping the checkpoint with the lowest validation loss",
                        common, m.recipe(), "++trainer.output_dir=" + o.resolve(m.dir()), "++trainer.model_arch=" + m.arch(),
                        "++trainer.model_arch_overrides={" + m.overrides(quick) + "}",
                        "++trainer.dtype=" + (m.bf16() && !quick ? "torch.bfloat16" : "torch.float32"), "++trainer.max_steps=" + m.steps(),
                        "++trainer.lr=0.0005");
            }
            String taskArgs = "{\"lcm_generation\": {\"prompt_len\": 3, \"max_gen_len\": 3}}";
            List<String> data = new ArrayList<>(List.of("--tasks", "lcm_next_sentence,lcm_generation", "--task_args", taskArgs,
                    "--dataset.name", DATA + "=validation", "--data_loading.batch_size", "8"));
            if (nEval > 0) data.addAll(List.of("--data_loading.max_samples", String.valueOf(nEval)));
            String docsText = nEval > 0 ? nEval + " held-out documents" : "every held-out document";
            for (ModelRun m : models) {
                List<String> args = new ArrayList<>(List.of("--predictor", m.predictor(), "--model_card", o.resolve(m.dir()).toString()));
                args.addAll(m.evalArgs());
                args.addAll(List.of("--stop_on_repetition_cosine_threshold", String.valueOf(REPETITION_COSINE), "--trim_hypotheses", "true"));
                evaluate(next() + " evaluate the " + m.column().title() + " on " + docsText + " (" + m.evalNote() + ")", m.column().dump(), data,
                        args.toArray(String[]::new));
            }
            // baselines: no model; the MSE run's card only names the concept encoder and the sentence-bank decoder
            for (BaselineRun b : BASELINE_RUNS) {
                List<String> args = new ArrayList<>(List.of("--predictor", b.predictor(), "--model_card", o.resolve("mse").toString()));
                if (b.readsTrainingSplit()) args.addAll(List.of("--baseline_data", DATA + "=train"));
                evaluate(next() + " evaluate the baseline " + b.predictor() + " (" + b.description() + ")", b.column().dump(), data,
                        args.toArray(String[]::new));
            }
        } catch (StepFailed f) {
            return f.code;
        } finally {
            if (old == null) System.clearProperty("LCM_CARDS_PATH");
            else System.setProperty("LCM_CARDS_PATH", old);
        }
        report(o, models, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** The models of this run: the MSE and two-tower LCMs, and with {@code --all-families} One-Tower and both Quant-LCMs. */
    private List<ModelRun> models(int mse, int tt, int ot, int qs, Path rvq, int codebooks, int units) {
        String tinyStack = "num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 128";
        List<ModelRun> m = new ArrayList<>();
        m.add(new ModelRun(DEFAULT_COLUMNS.get(0), "mse", "demo_base_lcm", "+pretrain=mse", "base_lcm", false, mse,
                "model_dim: 64, lcm: {" + tinyStack + "}", "", "a continuation stops when a concept repeats the previous one",
                List.of("--sample_latent_variable", "false")));
        m.add(new ModelRun(DEFAULT_COLUMNS.get(1), "two_tower", "demo_two_tower_diffusion_lcm", "+pretrain=two_tower", "two_tower_diffusion_lcm", true, tt,
                "model_dim: 64, context_encoder: {" + tinyStack + "}, denoiser: {" + tinyStack + ", timestep_embed_dim: 64}", "",
                "40 DDIM steps, guidance 3, as the reference README",
                List.of("--inference_timesteps", "40", "--initial_noise_scale", "0.6", "--guidance_scale", "3", "--guidance_rescale", "0.7")));
        if (!allFamilies) return m;
        m.add(new ModelRun(new Column("One-Tower LCM", "one-tower", "eval_one_tower", true), "one_tower", "demo_one_tower_diffusion_lcm",
                "+pretrain=one_tower", "one_tower_diffusion_lcm", false, ot,
                "model_dim: 64, timestep_embed_dim: 64, lcm: {" + tinyStack + "}", "",
                "the paper's decoding: 40 DDIM steps, guidance 3, rescale 0.7, initial noise 0.6", List.of()));
        String quant = ", quantizer_path: " + rvq + ", num_codebooks: " + codebooks + ", num_units: " + units;
        String tinyQuant = "model_dim: 64, codebook_embed_dim: 64, lcm: {" + tinyStack + "}";
        m.add(new ModelRun(new Column("Quant-LCM-d", "quant-d", "eval_quant_lcm_d", true), "quant_lcm_d", "demo_quant_lcm_d",
                "+pretrain=quant_lcm_d", "quant_lcm_d", false, qs, tinyQuant, quant,
                "the paper's single-sentence setting: top_k 1, guidance 2",
                List.of("--guidance_scale", "2", "--sampling_option", "top_k=1")));
        m.add(new ModelRun(new Column("Quant-LCM-c", "quant-c", "eval_quant_lcm_c", true), "quant_lcm_c", "demo_quant_lcm_c",
                "+pretrain=quant_lcm_c", "quant_lcm_c", false, qs, tinyQuant, quant,
                "the paper's single-sentence setting: top_k 1, guidance 3",
                List.of("--guidance_scale", "3", "--sampling_option", "top_k=1")));
        return m;
    }

    private String next() {
        return ++stepNo + "/" + stepCount;
    }

    /** Cosine above which a continuation stops (the reference's stop_on_repetition_cosine_threshold). */
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

    /**
     * The LCM paper's Table 3 (teacher-forced pre-training evaluation of its five 1.6B models in the SONAR space,
     * pre-trained on Fineweb-edu): l2 / round-trip l2 / PAR / CA on ROC-stories, C4, Wikipedia-en and Gutenberg.
     */
    private static final String[][] PAPER_TABLE3 = {
            {"Base-LCM", "0.177 / 0.237 / 1.847 / 72.4%", "0.204 / 0.261 / 1.964 / 69.1%", "0.229 / 0.283 / 1.770 / 69.6%", "0.207 / 0.264 / 1.780 / 67.8%"},
            {"One-Tower", "0.236 / 0.236 / 1.939 / 80.2%", "0.279 / 0.273 / 2.239 / 77.1%", "0.324 / 0.311 / 2.087 / 80.9%", "0.284 / 0.281 / 2.051 / 75.1%"},
            {"Two-Tower", "0.233 / 0.231 / 2.088 / 80.6%", "0.265 / 0.261 / 2.265 / 75.4%", "0.307 / 0.297 / 2.079 / 78.8%", "0.267 / 0.267 / 2.077 / 73.0%"},
            {"Quant-LCM-c", "0.236 / 0.237 / 1.683 / 76.0%", "0.279 / 0.283 / 2.013 / 77.2%", "0.306 / 0.317 / 1.842 / 79.5%", "0.269 / 0.281 / 1.774 / 72.1%"},
            {"Quant-LCM-d", "0.240 / 0.246 / 1.871 / 81.1%", "0.270 / 0.282 / 1.808 / 75.0%", "0.295 / 0.311 / 1.592 / 76.0%", "0.276 / 0.290 / 1.599 / 72.0%"}};

    static String paperTable() {
        StringBuilder t = new StringBuilder("| model (paper: SONAR 1024-d, 1.6B, Fineweb-edu) | ROC-stories | C4 | Wikipedia-en | Gutenberg |\n|---|---|---|---|---|\n");
        for (String[] row : PAPER_TABLE3) t.append("| ").append(String.join(" | ", row)).append(" |\n");
        return t.toString();
    }

    /** Exact parameter count of a run's model: its arch with the overrides this run trained it with. */
    private long parameters(ModelRun m) {
        Map<String, Object> ov = new Yaml().load("{" + m.overrides(quick) + "}");
        return ModelFamilies.parameterCount(ModelLoader.config(ModelFamilies.arch(m.arch()).family(), m.arch(), ov, "demo"));
    }

    private void report(Path o, List<ModelRun> models, double seconds) throws IOException {
        List<Column> columns = new ArrayList<>();
        for (ModelRun m : models) columns.add(m.column());
        columns.addAll(BASELINES);
        double[][] v = new double[METRICS.length][columns.size()];
        for (int m = 0; m < METRICS.length; m++) {
            for (int c = 0; c < columns.size(); c++) v[m][c] = metric(o.resolve(columns.get(c).dump()), (String) METRICS[m][0], (String) METRICS[m][1]);
        }
        StringBuilder table = new StringBuilder("| metric |");
        StringBuilder sep = new StringBuilder("|---|");
        StringBuilder params = new StringBuilder("| parameters |");
        for (int c = 0; c < columns.size(); c++) {
            Column col = columns.get(c);
            table.append(' ').append(col.title()).append(col.model() ? "" : " (baseline)").append(" |");
            sep.append("---|");
            params.append(c < models.size() ? String.format(Locale.ROOT, " %,d |", parameters(models.get(c))) : " 0 |");
        }
        table.append('\n').append(sep).append('\n').append(params).append('\n');
        StringBuilder console = new StringBuilder(String.format(Locale.ROOT, "%-36s", "metric"));
        for (Column c : columns) console.append(String.format(Locale.ROOT, " %12s", c.shortTitle()));
        console.append('\n');
        for (int m = 0; m < METRICS.length; m++) {
            Boolean lower = (Boolean) METRICS[m][3];
            String arrow = lower == null ? "" : lower ? " ↓" : " ↑";
            table.append("| ").append(METRICS[m][2]).append(arrow).append(" |");
            console.append(String.format(Locale.ROOT, "%-36s", METRICS[m][2]));
            for (int c = 0; c < columns.size(); c++) {
                table.append(String.format(Locale.ROOT, " %.4f |", v[m][c]));
                console.append(String.format(Locale.ROOT, " %12.4f", v[m][c]));
            }
            table.append('\n');
            console.append('\n');
        }
        String verdicts = verdicts(columns, v);
        StringBuilder plots = new StringBuilder();
        for (ModelRun m : models) {
            String png = "loss_" + m.dir() + ".png";
            LossPlot.write(m.arch() + ": loss per step", o.resolve(m.dir()).resolve("metrics.jsonl"), o.resolve(png));
            plots.append("![").append(m.column().title()).append(" loss](").append(png).append(")\n\n");
        }
        List<List<JsonNode>> raws = new ArrayList<>();
        for (Column c : columns) raws.add(raw(o.resolve(c.dump()), GEN_RUN));
        StringBuilder samples = new StringBuilder();
        List<JsonNode> first = raws.get(0);
        for (int i = 0; i < Math.min(3, first.size()); i++) {
            samples.append("**Prompt:** ").append(first.get(i).get("text_prompts").asText()).append("\n\n")
                    .append("- *reference:* ").append(first.get(i).get("targets").get(0).asText()).append('\n');
            for (int c = 0; c < models.size(); c++) {
                if (i < raws.get(c).size()) samples.append("- *").append(columns.get(c).title()).append(":* ").append(raws.get(c).get(i).get("prediction").asText()).append('\n');
            }
            samples.append('\n');
        }
        StringBuilder repetition = new StringBuilder();
        for (int c = 0; c < models.size(); c++) {
            int[] r = repeats(raws.get(c));
            repetition.append("- ").append(columns.get(c).title()).append(": ").append(r[0]).append(" of ").append(r[1])
                    .append(" continuations hold the same sentence twice in a row").append(r[2] > 0 ? "; " + r[2] + " stopped early on a repeated concept" : "").append(".\n");
        }
        StringBuilder trained = new StringBuilder();
        for (int c = 0; c < models.size(); c++) {
            ModelRun m = models.get(c);
            trained.append(c == 0 ? "" : c == models.size() - 1 ? " and " : ", ").append("the ").append(m.column().title())
                    .append(" (`").append(m.arch()).append("`, `").append(m.dir()).append("/`)");
        }
        String reuse = reused.isEmpty() ? "every step was computed in this run" : "reused from an earlier run: " + String.join(", ", reused);
        String md = "# lcm4j demo report\n\n"
                + "Offline run of `./lcm demo" + (quick ? " --quick" : "") + (allFamilies ? " --all-families" : "") + "` ("
                + String.format(Locale.ROOT, "%.0f s", seconds)
                + "; " + reuse + "). English Europarl documents shipped in a Maven artifact were split"
                + " into sentences (ICU), embedded with the offline MiniLM encoder (384-d), a normalizer was fitted on the"
                + " training split" + (allFamilies ? ", a residual vector quantizer (`rvq/rvq.pt`) was fitted on it for the Quant-LCMs" : "")
                + ", and " + models.size() + " LCMs were trained with early stopping on the validation loss, each evaluated from"
                + " its best checkpoint: " + trained + ". They, and three baselines that run no model, were evaluated"
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
                + (verdicts.contains("does NOT beat") ? WHY_A_MODEL_LOSES + "\n\n" : "")
                + "## The paper's Table 3, for orientation only\n\n"
                + "The LCM paper's teacher-forced evaluation of its five predictors (l2 / round-trip l2 / PAR / CA). It is a"
                + " different setting: the SONAR space (1024-d, where distances are on another scale than in the 384-d MiniLM"
                + " space here), 1.6B-parameter models pre-trained on Fineweb-edu, and four other evaluation sets, with"
                + " round trips through SONAR's decoder. Compare the ordering of the models, not the numbers.\n\n"
                + paperTable() + "\n"
                + "## Repeated sentences\n\n" + repetition
                + "\nEvery model's continuations use the reference's `stop_on_repetition_cosine_threshold` ("
                + REPETITION_COSINE + "): a generated concept that close to the previous one ends the continuation and, with `trim_hypotheses`, is"
                + " dropped. Two different concepts can still decode to the same sentence of the bank (the retrieval decoder"
                + " returns the nearest sentence it knows), which the counts above include.\n\n"
                + "## Loss curves\n\n" + plots
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

    /** Why a trained model can lose to a trivial baseline on this data; measured by bench/run_demo_frontier.sh. */
    static final String WHY_A_MODEL_LOSES = "Why a model can lose to a trivial baseline here: a model trained on the"
            + " MSE loss predicts the average next concept given its context. On these speeches the context explains"
            + " little of the next sentence, so that average lies near the mean concept: it wins on l2, but the pull"
            + " towards the mean costs contrast, and copying the previous sentence keeps more of it. A diffusion model"
            + " samples instead, so its l2 adds the spread of its samples, which the mean baseline does not pay."
            + " `bench/run_demo_frontier.sh` measures, independently of lcm4j, where predictors fitted in closed form"
            + " land on this data: the l2-optimal linear predictor also loses to copy-previous on CA, a sampler of its"
            + " own residuals loses to the mean on l2, and only a linear predictor tuned to trade l2 for contrast"
            + " beats both baselines.";

    /**
     * One sentence per model: which baselines it beats on teacher-forced l2 and on CA, and, in plain words, every
     * baseline it does not beat. Rows of {@code v} are {@link #METRICS}, columns the MSE LCM, the two-tower LCM and
     * the three baselines.
     */
    static String verdicts(double[][] v) {
        return verdicts(DEFAULT_COLUMNS, v);
    }

    static String verdicts(List<Column> columns, double[][] v) {
        StringBuilder out = new StringBuilder();
        for (int c = 0; c < columns.size(); c++) {
            if (!columns.get(c).model()) continue;
            List<String> lost = new ArrayList<>(), won = new ArrayList<>();
            for (int m : new int[] {0, 2}) { // l2 and paper CA
                boolean lower = (Boolean) METRICS[m][3];
                for (int b = 0; b < columns.size(); b++) {
                    if (columns.get(b).model() || Double.isNaN(v[m][b])) continue;
                    boolean beats = lower ? v[m][c] < v[m][b] : v[m][c] > v[m][b];
                    String what = String.format(Locale.ROOT, "%s on %s (%.4f against %.4f)", columns.get(b).title(), METRICS[m][2], v[m][c], v[m][b]);
                    (beats ? won : lost).add(what);
                }
            }
            out.append("- **").append(columns.get(c).title()).append("**: ");
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
