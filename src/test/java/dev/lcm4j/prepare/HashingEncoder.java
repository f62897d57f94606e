package dev.lcm4j.prepare;

import dev.lcm4j.concepts.ConceptEncoder;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic test encoder: a hashed bag of words (each lower-cased word adds +-1 to one of {@code dim}
 * coordinates), scaled to unit norm. Each sentence's vector depends on that sentence only, never on its batch, so
 * "prepare wrote the vectors of exactly these sentences" is checkable by encoding them again. Records every
 * sentence it saw, and can fail on its N-th call to simulate a kill.
 */
final class HashingEncoder implements ConceptEncoder {
    private final int dim;
    private final int failOnCall;
    final AtomicInteger calls = new AtomicInteger();
    final List<String> seen = new CopyOnWriteArrayList<>();

    HashingEncoder(int dim) {
        this(dim, -1);
    }

    /** @param failOnCall the 1-based call that throws (and every later one), or -1 for never */
    HashingEncoder(int dim, int failOnCall) {
        this.dim = dim;
        this.failOnCall = failOnCall;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public String name() {
        return "test_hashing_" + dim;
    }

    @Override
    public float[][] encode(List<String> sentences, String lang) {
        int call = calls.incrementAndGet();
        if (failOnCall > 0 && call >= failOnCall) throw new IllegalStateException("simulated kill at encoder call " + call);
        seen.addAll(sentences);
        float[][] out = new float[sentences.size()][];
        for (int i = 0; i < out.length; i++) out[i] = vector(sentences.get(i), dim);
        return out;
    }

    static float[] vector(String sentence, int dim) {
        float[] v = new float[dim];
        for (String w : sentence.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (w.isEmpty()) continue;
            int h = w.hashCode() * 0x9E3779B1;
            v[Math.floorMod(h, dim)] += (h & 0x10000) == 0 ? 1f : -1f;
        }
        double n = 0;
        for (float x : v) n += x * x;
        if (n == 0) {
            v[0] = 1;
            return v;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int k = 0; k < dim; k++) v[k] *= inv;
        return v;
    }
}
