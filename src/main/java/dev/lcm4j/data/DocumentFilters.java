package dev.lcm4j.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Row filters of the reference data pipeline, with their observable behaviour kept on purpose:
 * <ul>
 *   <li>{@link #bySentenceLength}: ({@code filter_long_short_sentence_document}) sentence lengths are UTF-8 BYTES
 *       and the minimum bound is never applied (the reference compares the shortest sentence with the MAXIMUM;
 *       docs/quirks.md #13);</li>
 *   <li>{@link #byQuality}: keeps rows whose per-sentence scores lie in [min, max];</li>
 *   <li>both drop null and empty rows (their verdict is null) — except that when every non-null verdict is true the
 *       reference returns the input unchanged ({@code pc.all} skips nulls), empty rows included;</li>
 *   <li>{@link #byMinSentences}: ({@code min_length_of_sequences}) at least n sentences.</li>
 * </ul>
 */
public final class DocumentFilters {
    private DocumentFilters() {}

    /**
     * @param maxSentenceLen maximum UTF-8 byte length of every sentence, {@code null} for 2^32
     * @param minSentenceLen accepted for parity with the reference; it has no effect there either
     */
    public static <T> List<T> bySentenceLength(List<T> rows, Function<T, List<String>> sentences,
                                               Integer maxSentenceLen, Integer minSentenceLen) {
        if (maxSentenceLen == null && minSentenceLen == null) {
            throw new IllegalArgumentException("a maximum or minimum sentence length is required");
        }
        long max = maxSentenceLen == null ? 1L << 32 : maxSentenceLen;
        return keep(rows, row -> {
            List<String> s = sentences.apply(row);
            if (s == null || s.isEmpty()) return null;
            long longest = Long.MIN_VALUE;
            long shortest = Long.MAX_VALUE;
            for (String x : s) {
                if (x == null) continue;
                int n = x.getBytes(StandardCharsets.UTF_8).length;
                longest = Math.max(longest, n);
                shortest = Math.min(shortest, n);
            }
            if (longest == Long.MIN_VALUE) return null;
            return longest <= max && shortest <= max; // sic: the reference never checks shortest >= min
        });
    }

    /** Keeps rows whose scores all lie in {@code [minScore, maxScore]} (a null bound is unbounded). */
    public static <T> List<T> byQuality(List<T> rows, Function<T, double[]> scores, Double minScore, Double maxScore) {
        if (minScore == null && maxScore == null) return rows;
        double lo = minScore == null ? Double.NEGATIVE_INFINITY : minScore;
        double hi = maxScore == null ? Double.POSITIVE_INFINITY : maxScore;
        return keep(rows, row -> {
            double[] s = scores.apply(row);
            if (s == null || s.length == 0) return null;
            double mx = Double.NEGATIVE_INFINITY;
            double mn = Double.POSITIVE_INFINITY;
            for (double x : s) {
                mx = Math.max(mx, x);
                mn = Math.min(mn, x);
            }
            return mx <= hi && mn >= lo;
        });
    }

    /** Keeps documents with at least {@code minSource} source and {@code minTarget} target sentences (null: no bound). */
    public static List<Document> byMinSentences(List<Document> docs, Integer minSource, Integer minTarget) {
        List<Document> out = new ArrayList<>(docs.size());
        for (Document d : docs) {
            if (minSource != null && d.sourceLength() < minSource) continue;
            if (minTarget != null && d.hasTarget() && d.targetLength() < minTarget) continue;
            out.add(d);
        }
        return out;
    }

    /** Applies a three-valued verdict (true, false, null = unknown) the way pyarrow's filter + pc.all do. */
    private static <T> List<T> keep(List<T> rows, Function<T, Boolean> verdict) {
        List<T> out = new ArrayList<>(rows.size());
        boolean allTrue = true;
        for (T row : rows) {
            Boolean v = verdict.apply(row);
            if (Boolean.FALSE.equals(v)) allTrue = false;
            if (Boolean.TRUE.equals(v)) out.add(row);
        }
        return allTrue ? rows : out;
    }
}
