package dev.lcm4j.bench;

import dev.lcm4j.io.Npy;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code bench/gpu_check.sh}'s comparison of two {@code .npy} outputs (e.g. {@code predict} on the CPU and on a GPU):
 * same shape, largest absolute difference at most the tolerance. Prints one JSON line; exit status 1 when they differ.
 *
 * <pre>java -cp ... dev.lcm4j.bench.NpyCompare A.npy B.npy TOLERANCE</pre>
 */
public final class NpyCompare {
    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: NpyCompare A.npy B.npy TOLERANCE");
            System.exit(2);
        }
        Npy.Array a = Npy.read(Path.of(args[0])), b = Npy.read(Path.of(args[1]));
        double tol = Double.parseDouble(args[2]);
        boolean sameShape = Arrays.equals(a.shape(), b.shape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double maxAbs = sameShape ? 0 : Double.POSITIVE_INFINITY;
        boolean finite = true;
        if (sameShape) {
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(x[i]) || !Float.isFinite(y[i])) finite = false;
                maxAbs = Math.max(maxAbs, Math.abs((double) x[i] - y[i]));
            }
        }
        boolean ok = sameShape && finite && maxAbs <= tol;
        System.out.printf(Locale.ROOT, "{\"a\": \"%s\", \"b\": \"%s\", \"shape\": \"%s\", \"values\": %d, \"max_abs_diff\": %.3e,"
                        + " \"tolerance\": %.1e, \"ok\": %b}%n", args[0], args[1], Arrays.toString(a.shape()), x.length, maxAbs, tol, ok);
        System.exit(ok ? 0 : 1);
    }
}
