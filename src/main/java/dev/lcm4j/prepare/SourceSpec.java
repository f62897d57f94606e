package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.util.List;

/**
 * What to read: an input file, a directory of files of one format, or the built-in {@code europarl} corpus, and
 * which columns hold the text, the optional target text, the optional id and the optional split.
 *
 * @param input        a path, or {@code europarl}
 * @param format       jsonl, csv or parquet (ignored for {@code europarl})
 * @param textColumn   the (source) text: the document, or the prompt when there is a target column
 * @param targetColumn optional second text (the answer of prompt/answer data), split and embedded on its own; the
 *                     datacard then names it as the {@code target_column} that supervised finetuning and
 *                     {@code lcm_generation} read
 * @param idColumn     optional; without it a document's id is its position ({@code line 12}, {@code row 3})
 * @param splitColumn  optional; without it the split is assigned by a seeded hash of the id
 */
public record SourceSpec(String input, String format, String textColumn, String targetColumn, String idColumn,
                         String splitColumn) {
    public static final String EUROPARL = "europarl";
    public static final List<String> FORMATS = List.of("jsonl", "csv", "parquet");

    public SourceSpec {
        if (input == null || input.isBlank()) throw new LcmException("--input is required (a file, a directory or 'europarl')");
        if (!isEuroparl(input) && !FORMATS.contains(format)) {
            throw new LcmException("unknown --format '" + format + "'; use one of " + String.join(", ", FORMATS));
        }
        if (textColumn == null || textColumn.isBlank()) throw new LcmException("--text-column must not be empty");
        if (targetColumn != null) {
            if (targetColumn.isBlank()) throw new LcmException("--target-column must not be empty");
            if (isEuroparl(input)) {
                throw new LcmException("--target-column needs an input with a second text column; the europarl corpus has"
                        + " one text per document (build a jsonl with prompt and answer columns instead)");
            }
            if (targetColumn.equals(textColumn)) {
                throw new LcmException("--target-column '" + targetColumn + "' is also the source column; pass the answer's"
                        + " column as --target-column and the prompt's as --source-column");
            }
            if (!OutputColumns.isPlainName(textColumn) || !OutputColumns.isPlainName(targetColumn)) {
                throw new LcmException("with --target-column, --source-column '" + textColumn + "' and --target-column '"
                        + targetColumn + "' name the output columns too, so each must match [A-Za-z_][A-Za-z0-9_]* and not"
                        + " be 'id'; rename the input's columns");
            }
        }
    }

    /** A one-text input (no target column). */
    public SourceSpec(String input, String format, String textColumn, String idColumn, String splitColumn) {
        this(input, format, textColumn, null, idColumn, splitColumn);
    }

    static boolean isEuroparl(String input) {
        return EUROPARL.equals(input);
    }

    public boolean europarl() {
        return isEuroparl(input);
    }

    public boolean hasTarget() {
        return targetColumn != null;
    }
}
