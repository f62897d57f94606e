package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Comma-separated values as RFC 4180 defines them: a header row names the columns, fields may be quoted with
 * {@code "}, a quote inside a quoted field is doubled, and quoted fields may span lines. Each record must have as
 * many fields as the header. Errors name the line where the offending record starts.
 */
final class CsvSource implements DocumentSource {
    private final String file;
    private final String label;
    private final Utf8Lines lines;
    private final int text;
    private final int target;
    private final int id;
    private final int split;
    private final int width;

    CsvSource(Path file, String label, SourceSpec spec) {
        this(DocumentSources.read(file), file.toString(), label, spec);
    }

    /** {@code name}: the file as errors name it (a Spark task reads a Hadoop path through a stream). */
    CsvSource(InputStream in, String name, String label, SourceSpec spec) {
        this.file = name;
        this.label = label;
        this.lines = new Utf8Lines(in);
        Record header = record();
        if (header == null) throw new LcmException(file + " is empty; --format csv needs a header row naming the columns");
        List<String> names = header.fields();
        if (!names.isEmpty() && names.get(0).startsWith("\uFEFF")) names.set(0, names.get(0).substring(1)); // BOM
        width = names.size();
        text = column(names, spec.textColumn(), "--text-column (--source-column)");
        target = spec.hasTarget() ? column(names, spec.targetColumn(), "--target-column") : -1;
        id = spec.idColumn() == null ? -1 : column(names, spec.idColumn(), "--id-column");
        split = spec.splitColumn() == null ? -1 : column(names, spec.splitColumn(), "--split-column");
    }

    private int column(List<String> header, String name, String option) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new LcmException(file + " has no column '" + name + "' (header: " + String.join(", ", header)
                    + "); pass the right name with " + option);
        }
        return i;
    }

    @Override
    public SourceDocument next() {
        while (true) {
            Record r = record();
            if (r == null) return null;
            if (r.fields().size() == 1 && r.fields().get(0).isEmpty() && width > 1) continue; // blank line
            String where = file + ":" + r.line();
            if (r.fields().size() != width) {
                throw new LcmException(where + " has " + r.fields().size() + " fields, the header has " + width
                        + "; quote fields that contain commas, quotes or line breaks (RFC 4180)");
            }
            return new SourceDocument(id < 0 ? label + r.line() : r.fields().get(id), r.fields().get(text),
                    target < 0 ? null : r.fields().get(target), split < 0 ? null : r.fields().get(split), where);
        }
    }

    private record Record(long line, List<String> fields) {
    }

    /** Parses one record, pulling further lines while a quoted field is open; {@code null} at the end. */
    private Record record() {
        Utf8Lines.Line first = nextLine();
        if (first == null) return null;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        String s = first.text();
        int i = 0;
        boolean quoted = false;
        boolean afterQuote = false; // a quoted field just closed: only a comma or the line end may follow
        while (true) {
            if (i == s.length()) {
                if (!quoted) break;
                Utf8Lines.Line more = nextLine();
                if (more == null) {
                    throw new LcmException(file + ":" + first.number() + ": a quoted field is never closed"
                            + " (missing \" before the end of the file)");
                }
                field.append('\n');
                s = more.text();
                i = 0;
                continue;
            }
            char c = s.charAt(i++);
            if (quoted) {
                if (c != '"') {
                    field.append(c);
                } else if (i < s.length() && s.charAt(i) == '"') {
                    field.append('"');
                    i++;
                } else {
                    quoted = false;
                    afterQuote = true;
                }
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                afterQuote = false;
            } else if (afterQuote) {
                throw new LcmException(file + ":" + first.number() + ": unexpected '" + c + "' after a closing quote"
                        + " (a quote inside a quoted field must be doubled: \"\")");
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return new Record(first.number(), fields);
    }

    private Utf8Lines.Line nextLine() {
        Utf8Lines.Line l = lines.next();
        if (l != null && l.text() == null) {
            throw new LcmException(file + ":" + l.number() + " is not valid UTF-8; convert the file"
                    + " (e.g. iconv -f latin1 -t utf-8) or remove the line");
        }
        return l;
    }

    @Override
    public void close() {
        lines.close();
    }
}
