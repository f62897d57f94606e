package dev.lcm4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;

/**
 * Token-budget batching of the reference ({@code compute_length_splits}): greedily groups documents so that
 * {@code max length in batch × batch size ≤ maxTokens}, i.e. the padded size of the batch fits the budget.
 *
 * <p>Kept from the reference (docs/quirks.md #14): when a batch is closed, the running maximum of the next batch starts from the length of the
 * closed batch's FIRST element instead of 0. With ascending order (the default) this is harmless; unordered it can
 * close batches early ({@code [5,1,1]}, max 5 → {@code [[5],[1],[1]]}). It never lets a batch exceed the budget.
 */
public final class LengthSplits {
    private LengthSplits() {}

    /**
     * @param lengths        per-document token (sentence) counts
     * @param orderByLength  sort by length first (numpy's unstable argsort, see {@link NumpyArgsort})
     * @param dropLongSample drop documents longer than {@code maxTokens}; otherwise each becomes a batch of its own,
     *                       appended at the end
     * @return batches as indices into {@code lengths}
     */
    public static List<int[]> compute(int[] lengths, int maxTokens, boolean orderByLength, boolean dropLongSample) {
        int[] order = orderByLength ? NumpyArgsort.quicksort(lengths) : identity(lengths.length);
        int[] small = new int[order.length];
        int[] big = new int[order.length];
        int nSmall = 0;
        int nBig = 0;
        for (int i : order) {
            if (lengths[i] <= maxTokens) small[nSmall++] = i;
            else big[nBig++] = i;
        }
        List<int[]> splits = new ArrayList<>();
        int begin = 0;
        int end = 0;
        while (end < nSmall) {
            long currentMax = lengths[small[begin]]; // stale: first element of the previous batch
            begin = end;
            while (end < nSmall) {
                currentMax = Math.max(currentMax, lengths[small[end]]);
                if (currentMax * (end + 1 - begin) > maxTokens) {
                    splits.add(Arrays.copyOfRange(small, begin, end));
                    break;
                }
                end++;
            }
        }
        if (begin < nSmall) splits.add(Arrays.copyOfRange(small, begin, nSmall));
        if (!dropLongSample) {
            for (int i = 0; i < nBig; i++) splits.add(new int[] {big[i]});
        }
        return splits;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }
}
