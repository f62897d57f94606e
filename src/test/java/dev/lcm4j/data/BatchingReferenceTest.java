package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Acceptance cases of the reference's tests (tests/units/datapipeline/test_parquet_utils.py) for batching and row filters. */
class BatchingReferenceTest {
    private static final int[] EDGE = {2, 1, 3, 90, 2, 3, 1, 1};

    private static List<List<Integer>> values(int[] lengths, List<int[]> splits) {
        return splits.stream().map(s -> Arrays.stream(s).map(i -> lengths[i]).boxed().toList()).toList();
    }

    private static List<List<Integer>> indices(List<int[]> splits) {
        return splits.stream().map(s -> Arrays.stream(s).boxed().toList()).toList();
    }

    @Test
    void edgeCaseValuesMatchTheReferenceTest() {
        assertEquals(List.of(List.of(2, 1, 3), List.of(2, 3, 1), List.of(1), List.of(90)),
                values(EDGE, LengthSplits.compute(EDGE, 10, false, false)));
        assertEquals(List.of(List.of(2, 1), List.of(3, 2), List.of(3, 1), List.of(1), List.of(90)),
                values(EDGE, LengthSplits.compute(EDGE, 8, false, false)));
        assertEquals(List.of(List.of(1, 1, 1, 2), List.of(2, 3), List.of(3), List.of(90)),
                values(EDGE, LengthSplits.compute(EDGE, 8, true, false)));
        assertEquals(List.of(List.of(1, 1, 1, 2, 2), List.of(3, 3), List.of(90)),
                values(EDGE, LengthSplits.compute(EDGE, 10, true, false)));
        // default drop_long_sample=True drops the 90
        assertEquals(List.of(List.of(1, 1, 1, 2, 2), List.of(3, 3)),
                values(EDGE, LengthSplits.compute(EDGE, 10, true, true)));
    }

    @Test
    void unorderedIndicesAndStaleMaxQuirk() {
        assertEquals(List.of(List.of(0, 1), List.of(2, 4), List.of(5, 6), List.of(7), List.of(3)),
                indices(LengthSplits.compute(EDGE, 8, false, false)));
        // verified by running the reference's compute_length_splits (stale running max, docs/quirks.md #14)
        int[] a = {5, 1, 1};
        assertEquals(List.of(List.of(5), List.of(1), List.of(1)), values(a, LengthSplits.compute(a, 5, false, true)));
        int[] b = {4, 1, 1, 1};
        assertEquals(List.of(List.of(4), List.of(1), List.of(1, 1)), values(b, LengthSplits.compute(b, 4, false, true)));
    }

    @Test
    void orderedIndicesFollowNumpyScalarArgsort() {
        // numpy 2.4 with SIMD disabled (NPY_DISABLE_CPU_FEATURES="AVX512_ICL X86_V4 X86_V3"): [1,6,7,0,4,2,5,3]
        assertEquals(List.of(List.of(1, 6, 7, 0), List.of(4, 2), List.of(5), List.of(3)),
                indices(LengthSplits.compute(EDGE, 8, true, false)));
    }

    @Test
    void argsortMatchesNumpyScalarQuicksort() {
        assertArrayEquals(new int[] {1, 6, 7, 0, 4, 2, 5, 3}, NumpyArgsort.quicksort(EDGE));
        // np.random.RandomState(7).randint(0, 10, 60) and its np.argsort (scalar numpy, 60 > 16 exercises partitioning)
        int[] v = {4, 9, 6, 3, 3, 7, 7, 9, 7, 8, 9, 8, 7, 6, 4, 0, 7, 0, 7, 6, 3, 5, 8, 8, 7, 5, 0, 0, 2, 8, 9, 6, 4, 9,
                7, 3, 3, 8, 3, 0, 1, 0, 0, 6, 7, 7, 9, 3, 0, 7, 7, 7, 0, 5, 4, 3, 1, 3, 1, 3};
        int[] expected = {26, 17, 15, 39, 27, 41, 52, 48, 42, 58, 40, 56, 28, 55, 4, 38, 3, 36, 35, 20, 57, 47, 59, 54,
                32, 0, 14, 21, 53, 25, 2, 31, 19, 43, 13, 24, 45, 44, 50, 12, 16, 49, 18, 34, 6, 5, 51, 8, 29, 11, 37,
                22, 23, 9, 46, 7, 33, 30, 1, 10};
        assertArrayEquals(expected, NumpyArgsort.quicksort(v));
        assertArrayEquals(new int[] {1, 6, 7, 0, 4, 2, 5, 3}, NumpyArgsort.stable(EDGE));
    }

    @Test
    void randomCaseProperties() {
        Random rnd = new Random(42);
        int[] lengths = new int[1000];
        for (int i = 0; i < lengths.length; i++) lengths[i] = rnd.nextInt(10);
        List<int[]> ordered = LengthSplits.compute(lengths, 37, true, true);
        List<int[]> unordered = LengthSplits.compute(lengths, 37, false, true);
        for (List<int[]> splits : List.of(ordered, unordered)) {
            boolean[] seen = new boolean[lengths.length];
            for (int[] s : splits) {
                int max = Arrays.stream(s).map(i -> lengths[i]).max().orElse(0);
                assertTrue(max * s.length <= 37, "split over budget: " + Arrays.toString(s));
                for (int i : s) {
                    assertTrue(!seen[i], "index twice: " + i);
                    seen[i] = true;
                }
            }
            for (boolean b : seen) assertTrue(b, "every index covered");
        }
        assertTrue(unordered.size() > 1.5 * ordered.size(), unordered.size() + " vs " + ordered.size());
    }

    @Test
    void sentenceLengthFilterReferenceCase() {
        List<List<String>> rows = new ArrayList<>(Arrays.asList(List.of("aaaaa", "bbbbbbbbbb"), List.of("aa", "bbb"),
                null, List.of(), List.of("ccc"), List.of("d", "eeeeeeeeee"), List.of("ff", "iiii")));
        assertEquals(List.of(List.of("aa", "bbb"), List.of("ccc"), List.of("ff", "iiii")),
                DocumentFilters.bySentenceLength(rows, r -> r, 5, 2));
        // UTF-8 bytes: "é" is 2 bytes, so "ééé" (6 bytes) exceeds 5
        assertEquals(List.of(List.of("ab")), DocumentFilters.bySentenceLength(
                List.of(List.of("ééé"), List.of("ab")), r -> r, 5, null));
    }

    @Test
    void qualityFilterReferenceCases() {
        List<double[]> scores = new ArrayList<>(Arrays.asList(new double[] {1, 2, -3, 5}, new double[] {2, 3, 4}, null,
                new double[0], new double[] {3, 2, 1}, new double[] {10, 10, 10}, new double[] {-2, 1, 2}));
        assertEquals(List.of("[2.0, 3.0, 4.0]", "[3.0, 2.0, 1.0]"),
                DocumentFilters.byQuality(scores, s -> s, 0.0, 4.9).stream().map(Arrays::toString).toList());
        assertEquals(List.of("[2.0, 3.0, 4.0]", "[3.0, 2.0, 1.0]", "[-2.0, 1.0, 2.0]"),
                DocumentFilters.byQuality(scores, s -> s, null, 4.8).stream().map(Arrays::toString).toList());
    }

    @Test
    void minSentencesFilter() {
        Document one = new Document("a", null, new float[1][4]);
        Document three = new Document("b", null, new float[3][4]);
        assertEquals(List.of(three), DocumentFilters.byMinSentences(List.of(one, three), 2, null));
    }
}
