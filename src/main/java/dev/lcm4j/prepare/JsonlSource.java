package dev.lcm4j.prepare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSON object per line. Blank lines are ignored. A line that is not UTF-8, not JSON, not an object, or lacks
 * the text column stops the run with the file and line number: a corpus with such lines is usually the wrong file
 * or the wrong encoding, and guessing would embed garbage. A {@code null} text is an empty document.
 */
final class JsonlSource implements DocumentSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String file;
    private final String label;
    private final SourceSpec spec;
    private final Utf8Lines lines;

    JsonlSource(Path file, String label, SourceSpec spec) {
        this(DocumentSources.read(file), file.toString(), label, spec);
    }

    /** {@code name}: the file as errors name it (a Spark task reads a Hadoop path through a stream). */
    JsonlSource(InputStream in, String name, String label, SourceSpec spec) {
        this.file = name;
        this.label = label;
        this.spec = spec;
        this.lines = new Utf8Lines(in);
    }

    @Override
    public SourceDocument next() {
        while (true) {
            Utf8Lines.Line line = lines.next();
            if (line == null) return null;
            String where = file + ":" + line.number();
            if (line.text() == null) {
                throw new LcmException(where + " is not valid UTF-8; convert the file (e.g. iconv -f latin1 -t utf-8)"
                        + " or remove the line");
            }
            if (line.text().isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line.text());
            } catch (JsonProcessingException e) {
                throw new LcmException(where + " is not valid JSON (" + e.getOriginalMessage().replaceAll("\\s+", " ")
                        + "); --format jsonl needs one JSON object per line");
            }
            if (node == null || !node.isObject()) {
                throw new LcmException(where + " is not a JSON object; --format jsonl needs one object per line");
            }
            String text = field(node, spec.textColumn(), where, true);
            String target = spec.hasTarget() ? field(node, spec.targetColumn(), where, true) : null;
            String id = spec.idColumn() == null ? label + line.number() : field(node, spec.idColumn(), where, false);
            String split = spec.splitColumn() == null ? null : field(node, spec.splitColumn(), where, false);
            return new SourceDocument(id, text, target, split, where);
        }
    }

    private static String field(JsonNode node, String name, String where, boolean nullable) {
        JsonNode v = node.get(name);
        if (v == null) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            throw new LcmException(where + " has no field '" + name + "' (fields: " + String.join(", ", names)
                    + "); pass the right name with --text-column (--source-column) / --target-column / --id-column / --split-column");
        }
        if (v.isNull()) {
            if (nullable) return null;
            throw new LcmException(where + ": field '" + name + "' is null");
        }
        if (v.isTextual()) return v.textValue();
        if (v.isNumber() || v.isBoolean()) return v.asText();
        throw new LcmException(where + ": field '" + name + "' is " + v.getNodeType().name().toLowerCase()
                + ", expected a string");
    }

    @Override
    public void close() {
        lines.close();
    }
}
