package dev.lcm4j.bench;

import java.util.List;

/** Summary statistics the benchmarks print. */
final class BenchStats {
    private BenchStats() {
    }

    /** The median of the values (the mean of the middle two for an even count); NaN for none. */
    static double median(List<Double> xs) {
        double[] v = xs.stream().mapToDouble(x -> x).sorted().toArray();
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
