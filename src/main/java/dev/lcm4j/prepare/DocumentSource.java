package dev.lcm4j.prepare;

import java.util.Map;
import dev.lcm4j.LcmException;

/**
 * A stream of input documents in a fixed, deterministic order (resume relies on it: shard i is always the same
 * documents). Sources report bad input as {@link LcmException}s naming the file and line or row.
 */
public interface DocumentSource extends AutoCloseable {
    /** The next document, or {@code null} at the end. */
    SourceDocument next();

    /** Counts of input anomalies the source handled itself (e.g. Europarl lines with replacement characters). */
    default Map<String, Long> counters() {
        return Map.of();
    }

    @Override
    void close();
}
