package dev.lcm4j.train;

import dev.lcm4j.io.TensorBoardWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;

/**
 * Appends one JSON object per published step to {@code metrics.jsonl} (run "Train" or "Valid | name") and mirrors the
 * scalars to TensorBoard under {@code tb/}. Lines are flushed as written; a resumed run appends.
 */
public final class MetricsLog implements AutoCloseable {
    private final Writer jsonl;
    private final TensorBoardWriter tb;

    public MetricsLog(Path outputDir, Path tbDir) {
        try {
            Files.createDirectories(outputDir);
            jsonl = Files.newBufferedWriter(outputDir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics.jsonl in " + outputDir, e);
        }
        tb = new TensorBoardWriter(tbDir);
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
