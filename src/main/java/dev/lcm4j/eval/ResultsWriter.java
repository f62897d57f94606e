package dev.lcm4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.io.TensorBoardWriter;
import dev.lcm4j.io.TorchFile;
import dev.lcm4j.models.ModelCard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the reference's output layout under {@code dump_dir}:
 * <ul>
 *   <li>{@code results/<run>.json}: {@code {"results": {metric: mean}, "configs": {...}}} (indent 4); an existing file
 *       is reused unless {@code no_resume};</li>
 *   <li>{@code raw_results/<run>/<run>.json}: JSON lines, one per sample (prompt, prediction, targets, scores);</li>
 *   <li>{@code raw_results/<run>/<run>.pt}: the samples' concept tensors, torch.save'd (not with --log_only_text);</li>
 *   <li>{@code metrics.eval.jsonl} (in {@code metric_log_dir} if set): one appended line per run,
 *       {@code {"global_step", "created_at", "<run>/<metric>"}};</li>
 *   <li>{@code tb/} (or {@code tb_log_dir}): TensorBoard scalars {@code eval/<run>/<metric>} at the model's step;</li>
 *   <li>{@code metadata.jsonl}: one appended line per invocation (time, command, config, task configs).</li>
 * </ul>
 * Every file is written to a temporary name and renamed; the appended logs get whole lines. JSON has no NaN, so NaN
 * and infinite values are written as null.
 */
final class ResultsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern STEP = Pattern.compile("step_(\\d+)");

    private final Evaluator.Options opt;
    private final long globalStep;

    /** @param card the evaluated model's card (its checkpoint path gives the step), or null for the dummy predictor and the baselines */
    ResultsWriter(Evaluator.Options opt, ModelCard card) {
        this.opt = opt;
        this.globalStep = globalStep(card);
    }

    /** The training step of the card's checkpoint: the last {@code step_N} in its path, else -1. */
    static long globalStep(ModelCard card) {
        if (card == null || card.checkpoint() == null) return -1;
        Matcher m = STEP.matcher(card.checkpoint());
        long step = -1;
        while (m.find()) step = Long.parseLong(m.group(1));
        return step;
    }

    private Path resultFile(Run run) {
        return opt.dumpDir().resolve("results").resolve(run.name() + ".json");
    }

    /** The metrics of an earlier run of the same name, from its results file; empty when there is none or with no_resume. */
    Optional<Map<String, Double>> cached(Run run) {
        Path resultFile = resultFile(run);
        if (!Files.exists(resultFile) || opt.noResume()) return Optional.empty();
        try {
            Map<String, Double> cached = new LinkedHashMap<>();
            JSON.readTree(resultFile.toFile()).get("results").fields().forEachRemaining(e -> cached.put(e.getKey(), e.getValue().asDouble()));
            System.err.println("evaluate: " + run.name() + " already done (" + resultFile + "); reusing it (--no_resume to redo)");
            return Optional.of(cached);
        } catch (IOException | RuntimeException e) {
            throw new LcmException(resultFile + " is not a readable results file; delete it or pass --no_resume", e);
        }
    }

    /** Appends this invocation's line to {@code metadata.jsonl}. */
    void writeMetadata(List<Run> runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timestamp", DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss").format(Instant.now().atOffset(ZoneOffset.UTC)));
        m.put("command", opt.command());
        m.put("lcm4j_version", "0.1.0");
        m.put("config", opt.config());
        Map<String, Object> tc = new LinkedHashMap<>();
        for (Run r : runs) tc.put(r.name(), r.args());
        m.put("task_configs", tc);
        appendLine(opt.dumpDir().resolve("metadata.jsonl"), m);
    }

    /** Writes one finished run: raw lines, results file, metrics log line and TensorBoard scalars, in that order. */
    void write(Run run, DatasetOptions d, List<Map<String, Object>> raw, Map<String, Double> metrics) {
        try {
            writeRaw(run, raw);
            writeResult(run, d, metrics);
            appendMetricsLine(run, metrics);
            writeScalars(run, metrics);
        } catch (IOException e) {
            throw new LcmException("cannot write evaluation results under " + opt.dumpDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The raw results as the reference's {@code log_raw_results} writes them: the tensor fields of each sample
     * ({@link #TENSOR_FIELDS}) go to {@code <run>.pt}, a torch.save'd list with one dict per sample that has any
     * (written even when empty, as the reference does, unless {@code --log_only_text}); the other fields to the
     * JSON lines of {@code <run>.json}.
     */
    private void writeRaw(Run run, List<Map<String, Object>> raw) throws IOException {
        Path dir = opt.dumpDir().resolve("raw_results").resolve(run.name());
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder();
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (Map<String, Object> line : raw) {
            Map<String, Object> text = new LinkedHashMap<>(), tensor = new LinkedHashMap<>();
            line.forEach((k, v) -> {
                if (TENSOR_FIELDS.contains(k)) tensor.put(k, toTensor(k, v));
                else text.put(k, v);
            });
            if (!text.isEmpty()) sb.append(JSON.writeValueAsString(sanitize(text))).append('\n');
            if (!tensor.isEmpty()) tensors.add(tensor);
        }
        AtomicFiles.writeString(dir.resolve(run.name() + ".json"), sb.toString());
        if (!opt.logOnlyText()) TorchFile.write(dir.resolve(run.name() + ".pt"), tensors);
    }

    /**
     * Raw-result fields that hold a sample's concepts [N][D]: the reference's renamed source and target embedding
     * columns. They reach rank 0 as float[][] (one process) or as nested JSON lists (from another shard).
     */
    static final Set<String> TENSOR_FIELDS = Set.of("_source_column", "_target_column");

    /** A [N][D] float32 tensor of a float[][] or of nested lists of numbers. */
    private static StoredTensor toTensor(String field, Object v) {
        List<float[]> rows = new ArrayList<>();
        if (v instanceof float[][] a) rows.addAll(List.of(a));
        else if (v instanceof List<?> l) {
            for (Object r : l) {
                List<?> row = (List<?>) r;
                float[] f = new float[row.size()];
                for (int i = 0; i < f.length; i++) f[i] = ((Number) row.get(i)).floatValue();
                rows.add(f);
            }
        } else {
            throw new IllegalStateException("raw field " + field + " is not a matrix: " + v);
        }
        int d = rows.isEmpty() ? 0 : rows.get(0).length;
        float[] flat = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i), 0, flat, i * d, d);
        return StoredTensor.ofFloats(flat, rows.size(), d);
    }

    private void writeResult(Run run, DatasetOptions d, Map<String, Double> metrics) throws IOException {
        Map<String, Object> configs = new LinkedHashMap<>();
        configs.put("task", run.spec().name());
        configs.put("task_args", run.args());
        configs.put("dataset", d.asMap());
        configs.put("max_samples", opt.maxSamples());
        configs.put("batch_size", opt.batchSize());
        configs.put("seed", opt.seed());
        configs.put("predictor", opt.config());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("results", sanitize(metrics));
        result.put("configs", configs);
        Path resultFile = resultFile(run);
        Files.createDirectories(resultFile.getParent());
        AtomicFiles.writeString(resultFile, PRETTY.writeValueAsString(result));
    }

    private void appendMetricsLine(Run run, Map<String, Double> metrics) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("global_step", globalStep);
        line.put("created_at", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC)));
        metrics.forEach((k, v) -> line.put(run.name() + "/" + k, v));
        Path logDir = opt.metricLogDir() != null ? opt.metricLogDir() : opt.dumpDir();
        appendLine(logDir.resolve("metrics.eval.jsonl"), line);
    }

    private void writeScalars(Run run, Map<String, Double> metrics) throws IOException {
        Path tb = opt.tbLogDir() != null ? opt.tbLogDir() : opt.dumpDir().resolve("tb");
        try (TensorBoardWriter w = new TensorBoardWriter(tb)) {
            for (Map.Entry<String, Double> e : metrics.entrySet()) {
                // a model without a step in its checkpoint path (-1) is logged at step 0
                if (!Double.isNaN(e.getValue())) w.scalar("eval/" + run.name() + "/" + e.getKey(), e.getValue().floatValue(), Math.max(globalStep, 0));
            }
        }
    }

    /** NaN and infinities become null, in maps and lists at any depth. */
    @SuppressWarnings("unchecked")
    private static <T> T sanitize(T v) {
        if (v instanceof Double x && (x.isNaN() || x.isInfinite())) return null;
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, sanitize(x)));
            return (T) out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) out.add(sanitize(x));
            return (T) out;
        }
        return v;
    }

    /** Appends one complete line (a single write of the whole line, so a kill never leaves half a line). */
    private static synchronized void appendLine(Path file, Object json) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = (JSON.writeValueAsString(sanitize(json)) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LcmException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }
}
