package dev.lcm4j.data;

import java.util.Arrays;
import java.util.Comparator;

/**
 * {@code numpy.argsort} for int arrays, reproducing numpy's portable (scalar) default {@code kind="quicksort"}:
 * an introsort (median-of-3 quicksort, insertion sort for partitions of at most 16 elements, heapsort past a depth
 * limit). It is not stable, and the reference's batching depends on the resulting order of equal lengths.
 *
 * <p>Caveat: numpy builds for x86 with AVX2/AVX-512 dispatch {@code argsort} to x86-simd-sort, which orders ties
 * differently (e.g. {@code [2,1,3,90,2,3,1,1]} gives {@code [1,7,6,0,4,2,5,3]} there and {@code [1,6,7,0,4,2,5,3]}
 * with the scalar code, e.g. {@code NPY_DISABLE_CPU_FEATURES="AVX512_ICL X86_V4 X86_V3"}). The sorted VALUES are the
 * same either way; only which of several equal-length documents lands in which batch differs. Reproducing the SIMD
 * sorting networks would tie results to the CPU, so this class follows the scalar code.
 */
public final class NumpyArgsort {
    private static final int SMALL_QUICKSORT = 16;

    private NumpyArgsort() {}

    /** numpy's default (unstable) argsort. */
    public static int[] quicksort(int[] v) {
        int n = v.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (n < 2) return idx;
        int[] stack = new int[256];
        int[] depthStack = new int[128];
        int sp = 0;
        int dp = 0;
        int pl = 0;
        int pr = n - 1;
        int cdepth = msb(n) * 2;
        while (true) {
            boolean heap = cdepth < 0;
            if (heap) {
                heapsort(v, idx, pl, pr - pl + 1);
            } else {
                while (pr - pl > SMALL_QUICKSORT) {
                    int pm = pl + ((pr - pl) >> 1);
                    if (v[idx[pm]] < v[idx[pl]]) swap(idx, pm, pl);
                    if (v[idx[pr]] < v[idx[pm]]) swap(idx, pr, pm);
                    if (v[idx[pm]] < v[idx[pl]]) swap(idx, pm, pl);
                    int vp = v[idx[pm]];
                    int pi = pl;
                    int pj = pr - 1;
                    swap(idx, pm, pj);
                    while (true) {
                        do { ++pi; } while (v[idx[pi]] < vp);
                        do { --pj; } while (vp < v[idx[pj]]);
                        if (pi >= pj) break;
                        swap(idx, pi, pj);
                    }
                    int pk = pr - 1;
                    swap(idx, pi, pk);
                    // continue with the smaller partition, push the larger one
                    if (pi - pl < pr - pi) {
                        stack[sp++] = pi + 1;
                        stack[sp++] = pr;
                        pr = pi - 1;
                    } else {
                        stack[sp++] = pl;
                        stack[sp++] = pi - 1;
                        pl = pi + 1;
                    }
                    depthStack[dp++] = --cdepth;
                }
                for (int pi = pl + 1; pi <= pr; ++pi) {
                    int vi = idx[pi];
                    int vp = v[vi];
                    int pj = pi;
                    int pk = pi - 1;
                    while (pj > pl && vp < v[idx[pk]]) idx[pj--] = idx[pk--];
                    idx[pj] = vi;
                }
            }
            if (sp == 0) break;
            pr = stack[--sp];
            pl = stack[--sp];
            cdepth = depthStack[--dp];
        }
        return idx;
    }

    /** {@code numpy.argsort(kind="stable")}: ties keep index order. */
    public static int[] stable(int[] v) {
        Integer[] boxed = new Integer[v.length];
        for (int i = 0; i < v.length; i++) boxed[i] = i;
        Arrays.sort(boxed, Comparator.comparingInt(i -> v[i]));
        return Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
    }

    /** numpy's heapsort on {@code idx[start .. start+n)}, 1-based heap indexing as in numpy. */
    private static void heapsort(int[] v, int[] idx, int start, int n) {
        int base = start - 1; // a[k] == idx[base + k]
        for (int l = n >> 1; l > 0; --l) {
            int tmp = idx[base + l];
            int i = l;
            for (int j = l << 1; j <= n; ) {
                if (j < n && v[idx[base + j]] < v[idx[base + j + 1]]) j += 1;
                if (v[tmp] < v[idx[base + j]]) {
                    idx[base + i] = idx[base + j];
                    i = j;
                    j += j;
                } else {
                    break;
                }
            }
            idx[base + i] = tmp;
        }
        for (; n > 1; ) {
            int tmp = idx[base + n];
            idx[base + n] = idx[base + 1];
            n -= 1;
            int i = 1;
            for (int j = 2; j <= n; ) {
                if (j < n && v[idx[base + j]] < v[idx[base + j + 1]]) j++;
                if (v[tmp] < v[idx[base + j]]) {
                    idx[base + i] = idx[base + j];
                    i = j;
                    j += j;
                } else {
                    break;
                }
            }
            idx[base + i] = tmp;
        }
    }

    private static int msb(int n) {
        int depth = 0;
        while ((n >>= 1) != 0) depth++;
        return depth;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
