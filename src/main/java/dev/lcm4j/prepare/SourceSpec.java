package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.util.List;

/**
 * What to read: an input file, a directory of files of one format, or the built-in {@code europarl} corpus, and
 * which columns hold the text, the optional id and the optional split.
 *
 * @param input       a path, or {@code europarl}
 * @param format      jsonl, csv or parquet (ignored for {@code europarl})
 * @param idColumn    optional; without it a document's id is its position ({@code line 12}, {@code row 3})
 * @param splitColumn optional; without it the split is assigned by a seeded hash of the id
 */
public record SourceSpec(String input, String format, String textColumn, String idColumn, String splitColumn) {
    public static final String EUROPARL = "europarl";
    public static final List<String> FORMATS = List.of("jsonl", "csv", "parquet");

    public SourceSpec {
        if (input == null || input.isBlank()) throw new LcmException("--input is required (a file, a directory or 'europarl')");
        if (!isEuroparl(input) && !FORMATS.contains(format)) {
            throw new LcmException("unknown --format '" + format + "'; use one of " + String.join(", ", FORMATS));
        }
        if (textColumn == null || textColumn.isBlank()) throw new LcmException("--text-column must not be empty");
    }

    static boolean isEuroparl(String input) {
        return EUROPARL.equals(input);
    }

    public boolean europarl() {
        return isEuroparl(input);
    }
}
