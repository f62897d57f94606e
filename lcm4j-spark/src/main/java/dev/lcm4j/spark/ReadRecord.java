package dev.lcm4j.spark;

import dev.lcm4j.prepare.Preparer;
import dev.lcm4j.prepare.SourceDocument;
import java.io.Serializable;
import java.util.LinkedHashMap;

/**
 * What the read stage emits for one input file: a record per document it read, in file order, then one summary.
 * A kept document carries its text; a skipped one only its position, which decides whether {@code ./lcm prepare},
 * stopping at {@code --max-docs}, would have read (and counted) it.
 *
 * @param file       the input file's index
 * @param keptBefore documents of this file kept before this record (for the summary: all of the file's kept documents)
 * @param verdict    kept or skipped as empty / other language; {@code null} for the summary
 * @param document   the kept document (id, text, split, origin); {@code null} otherwise
 * @param counters   summary only: the reader's anomaly counters, in its order
 */
record ReadRecord(int file, long keptBefore, Preparer.Verdict verdict, SourceDocument document,
                  LinkedHashMap<String, Long> counters) implements Serializable {

    boolean summary() {
        return verdict == null;
    }

    boolean kept() {
        return verdict == Preparer.Verdict.KEPT;
    }
}
