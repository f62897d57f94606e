package dev.lcm4j.prepare;

import dev.lcm4j.concepts.ConceptEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Embeds many sentences with token-budgeted batches: sentences are sorted by length (longest first) so a batch
 * holds similar lengths and pads little, and a batch grows while {@code (sentences + 1) x longest <= budget}
 * (tokens estimated as chars/4 + 1) and the sentence cap allows. Batches run concurrently on the pool; each
 * vector lands at its sentence's original index, so the result does not depend on batching or scheduling.
 */
final class Embedder {
    private final ConceptEncoder encoder;
    private final String lang;
    private final int tokenBudget;
    private final int maxSentences;
    private final ExecutorService pool;

    Embedder(ConceptEncoder encoder, String lang, int tokenBudget, int maxSentences, ExecutorService pool) {
        this.encoder = encoder;
        this.lang = lang;
        this.tokenBudget = tokenBudget;
        this.maxSentences = maxSentences;
        this.pool = pool;
    }

    static int tokens(String s) {
        return s.length() / 4 + 1;
    }

    /** The batches (as index lists into {@code sentences}) that {@link #embed} sends to the encoder. */
    List<int[]> batches(List<String> sentences) {
        Integer[] order = new Integer[sentences.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -sentences.get(i).length()).thenComparingInt(i -> i));
        List<int[]> out = new ArrayList<>();
        int start = 0;
        while (start < order.length) {
            int longest = tokens(sentences.get(order[start])); // sorted: the first is the longest
            int n = 1;
            while (start + n < order.length && n < maxSentences && (long) (n + 1) * longest <= tokenBudget) n++;
            int[] b = new int[n];
            for (int k = 0; k < n; k++) b[k] = order[start + k];
            out.add(b);
            start += n;
        }
        return out;
    }

    float[][] embed(List<String> sentences) {
        float[][] out = new float[sentences.size()][];
        List<Future<?>> running = new ArrayList<>();
        for (int[] batch : batches(sentences)) {
            running.add(pool.submit(() -> {
                List<String> texts = new ArrayList<>(batch.length);
                for (int i : batch) texts.add(sentences.get(i));
                float[][] v = encoder.encode(texts, lang);
                if (v.length != batch.length) {
                    throw new IllegalStateException("encoder " + encoder.name() + " returned " + v.length
                            + " vectors for " + batch.length + " sentences");
                }
                for (int k = 0; k < batch.length; k++) {
                    if (v[k].length != encoder.dim()) {
                        throw new IllegalStateException("encoder " + encoder.name() + " returned a vector of "
                                + v[k].length + " values, its dim() is " + encoder.dim());
                    }
                    out[batch[k]] = v[k];
                }
            }));
        }
        Parallel.await(running);
        return out;
    }
}
