package dev.lcm4j.train;

import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.io.TensorBoardWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Appends one JSON object per published step to {@code metrics.jsonl} (run "Train" or "Valid | name") and mirrors the
 * scalars to TensorBoard under {@code tb/}. Lines are flushed as written; a resumed run appends.
 */
public final class MetricsLog implements AutoCloseable {
    private final Writer jsonl;
    private final TensorBoardWriter tb;

    public MetricsLog(Path outputDir, Path tbDir) {
        this(outputDir, tbDir, Long.MAX_VALUE);
    }

    /**
     * A log that continues a run resumed at {@code resumedStep}: lines of later steps (written after that checkpoint by
     * the run that stopped) are dropped first, so no step is in the file twice.
     */
    public MetricsLog(Path outputDir, Path tbDir, long resumedStep) {
        try {
            Files.createDirectories(outputDir);
            dropLinesAfter(outputDir.resolve("metrics.jsonl"), resumedStep);
            jsonl = Files.newBufferedWriter(outputDir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics.jsonl in " + outputDir, e);
        }
        tb = new TensorBoardWriter(tbDir);
    }

    private static final Pattern STEP = Pattern.compile("\"step\": (\\d+)");

    private static void dropLinesAfter(Path file, long step) throws IOException {
        if (step == Long.MAX_VALUE || !Files.isRegularFile(file)) return;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> kept = new ArrayList<>();
        for (String line : lines) {
            Matcher m = STEP.matcher(line);
            if (m.find() && Long.parseLong(m.group(1)) > step) continue;
            kept.add(line);
        }
        if (kept.size() == lines.size()) return;
        AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    }

    public synchronized void publish(String run, long step, Map<String, Double> values) {
        StringBuilder sb = new StringBuilder("{\"run\": \"").append(run).append("\", \"step\": ").append(step);
        for (Map.Entry<String, Double> e : values.entrySet()) {
            sb.append(", \"").append(e.getKey()).append("\": ").append(json(e.getValue()));
            tb.scalar(run + "/" + e.getKey(), e.getValue().floatValue(), step);
        }
        sb.append("}\n");
        try {
            jsonl.write(sb.toString());
            jsonl.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics.jsonl", e);
        }
    }

    private static String json(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return "null";
        return String.format(Locale.ROOT, "%.8g", v);
    }

    @Override
    public void close() {
        try {
            jsonl.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tb.close();
    }
}
