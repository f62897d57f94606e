package dev.lcm4j.prepare;

/**
 * One input document before splitting.
 *
 * @param id     the id column's value, or a position ({@code line 12} of a file, the Europarl line number) when none
 * @param text   the raw (source) text (may be blank: blank documents are skipped and counted by the pipeline)
 * @param target the raw target text when the input has a target column, else {@code null}
 * @param split  the split column's value, or {@code null} to let the seeded hash assign train/validation
 * @param origin where it came from, for error messages ({@code data.jsonl:12})
 *               <p>Serializable: the Spark job (lcm4j-spark) moves documents between its read and prepare stages.
 */
public record SourceDocument(String id, String text, String target, String split, String origin) implements java.io.Serializable {
    /** A document of a one-text input. */
    public SourceDocument(String id, String text, String split, String origin) {
        this(id, text, null, split, origin);
    }
}
