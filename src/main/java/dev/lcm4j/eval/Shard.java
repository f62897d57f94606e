package dev.lcm4j.eval;

/**
 * The part of every run one evaluation process computes. A run's samples are cut into batches of
 * {@code --data_loading.batch_size} exactly as a single process cuts them, and batch b belongs to shard
 * {@code b mod count} (strided, so that a dataset sorted by length still spreads evenly). Whole batches, not single
 * samples, are dealt out because some metrics look at the whole batch (lcm_next_sentence's CA compares a prediction
 * with the other concepts of its batch): each batch is computed exactly as in a single process, and rank 0 puts the
 * batches back in order (see {@link Results}).
 *
 * @param index this process's shard, 0 .. count-1 (its rank)
 * @param count number of shards (processes)
 */
public record Shard(int index, int count) {
    public Shard {
        if (count < 1 || index < 0 || index >= count) throw new IllegalArgumentException("shard " + index + " of " + count);
    }

    /** The one shard of a single process. */
    public static Shard single() {
        return new Shard(0, 1);
    }

    /** Whether batch {@code batch} (0-based, in the run's order) is this shard's. */
    public boolean owns(int batch) {
        return batch % count == index;
    }

    /** How many of {@code samples} samples, in batches of {@code batchSize}, are this shard's. */
    public int samplesOf(int samples, int batchSize) {
        int n = 0;
        for (int b = 0, start = 0; start < samples; b++, start += batchSize) if (owns(b)) n += Math.min(batchSize, samples - start);
        return n;
    }

    /** "" for a single process, else " [shard i/n]" for progress bars and messages. */
    String label() {
        return count == 1 ? "" : " [shard " + (index + 1) + "/" + count + "]";
    }
}
