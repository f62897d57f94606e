package dev.lcm4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The batch stream of one dataset (reference: {@code SingleParquetDatasetDataloader}): per epoch, a seeded
 * permutation of all row groups (the same on every rank), sharded by {@code index % world_size == rank}; row groups
 * are read in that order and their rows, after dropping and filtering, gathered until the buffer holds
 * {@link LoaderOptions#bufferSentences()} sentences (at most 100 row groups); the buffer's rows are shuffled, wrapped,
 * batched and the batch order shuffled.
 *
 * <p>Resumable by construction: all randomness of a buffer comes from a generator seeded with (seed, rank, epoch,
 * cursor of the buffer's first row group), so a buffer can be rebuilt from its cursor and the batches already
 * emitted skipped. Differences from the reference: a full permutation per epoch instead of a windowed shuffle, and
 * Random instead of numpy's RandomState (same structure, different draws; docs/quirks.md #15).
 */
final class DatasetPipeline {
    private static final int MAX_FRAGMENTS_PER_BUFFER = 100;

    private final Dataset dataset;
    private final LoaderOptions opt;
    private final List<Fragment> fragments;
    private final Affixes.Applier affixes;
    private final DataColumns columns;
    private final int dim;

    private int epoch;
    private int cursor;       // position (in this epoch's sharded order) of the current buffer's first row group
    private int emitted;      // batches of the current buffer already returned
    private boolean done;
    private List<List<Document>> pending;
    private int nextCursor;

    DatasetPipeline(Dataset dataset, LoaderOptions opt, List<Fragment> fragments, Affixes.Applier affixes, int dim) {
        this.dataset = dataset;
        this.opt = opt;
        this.fragments = fragments;
        this.affixes = affixes;
        this.columns = dataset.columns();
        this.dim = dim;
    }

    LcmDataLoader.DatasetState state() {
        return new LcmDataLoader.DatasetState(dataset.name(), epoch, cursor, emitted, done);
    }

    void restore(LcmDataLoader.DatasetState s) {
        epoch = s.epoch();
        cursor = s.cursor();
        emitted = s.emitted();
        done = s.done();
        pending = null;
    }

    boolean done() {
        return done;
    }

    /** The next batch, or {@code null} once all epochs are consumed. */
    List<Document> next() {
        while (!done) {
            if (pending == null) {
                if (epoch >= opt.nbEpochs()) {
                    done = true;
                    break;
                }
                List<Fragment> order = epochOrder(epoch);
                if (cursor >= order.size()) {
                    epoch++;
                    cursor = 0;
                    emitted = 0;
                    continue;
                }
                pending = buildBuffer(order);
            }
            if (emitted < pending.size()) return pending.get(emitted++);
            pending = null;
            cursor = nextCursor;
            emitted = 0;
        }
        return null;
    }

    /** This rank's row groups for {@code epoch}: a permutation common to all ranks, then every world_size-th. */
    List<Fragment> epochOrder(int e) {
        List<Fragment> all = new ArrayList<>(fragments);
        if (opt.shuffle()) shuffle(all, new Random(LcmDataLoader.mix(opt.seed(), 0x5eed, e)));
        List<Fragment> mine = new ArrayList<>();
        for (int i = opt.rank(); i < all.size(); i += opt.worldSize()) mine.add(all.get(i));
        return mine;
    }

    private List<List<Document>> buildBuffer(List<Fragment> order) {
        Random rnd = new Random(LcmDataLoader.mix(opt.seed() + opt.rank() * 100_000L, epoch, cursor));
        List<Document> rows = new ArrayList<>();
        long sentences = 0;
        int c = cursor;
        while (c < order.size() && c - cursor < MAX_FRAGMENTS_PER_BUFFER && sentences < opt.bufferSentences()) {
            for (Document d : prepare(read(order.get(c++)))) {
                rows.add(d);
                sentences += d.length();
            }
        }
        nextCursor = c;
        if (opt.shuffle()) shuffle(rows, rnd);
        if (opt.lenToWrapLongSeq() != null) rows = wrap(rows, opt.lenToWrapLongSeq());
        int[] lengths = rows.stream().mapToInt(Document::length).toArray();
        List<int[]> splits = opt.maxTokens() != null
                ? LengthSplits.compute(lengths, opt.maxTokens(), opt.orderByLength(), true)
                : chunks(opt.orderByLength() ? NumpyArgsort.stable(lengths) : identity(lengths.length), opt.batchSize());
        if (opt.shuffle()) shuffle(splits, rnd);
        List<List<Document>> batches = new ArrayList<>();
        for (int[] s : splits) {
            if (s.length < opt.minBatchSize()) continue;
            List<Document> b = new ArrayList<>(s.length);
            for (int i : s) b.add(rows.get(i));
            batches.add(b);
        }
        return batches;
    }

    private List<Document> read(Fragment f) {
        try (LcmParquetReader r = LcmParquetReader.open(f.file(), columns, dim)) {
            return r.readRowGroup(f.rowGroup());
        }
    }

    /** Steps 4-8 of the reference pipeline: drop nulls and misaligned rows, filter, add affixes. */
    private List<Document> prepare(List<Document> docs) {
        List<Document> kept = new ArrayList<>(docs.size());
        for (Document d : docs) {
            if (d.embeddings() == null || (columns.sourceText() != null && d.sentences() == null)) continue;
            if (columns.hasTarget() && (d.targetEmbeddings() == null
                    || (columns.targetText() != null && d.targetSentences() == null))) continue;
            if (d.sentences() != null && d.sentences().size() != d.embeddings().length) continue;
            if (d.targetSentences() != null && d.targetEmbeddings() != null
                    && d.targetSentences().size() != d.targetEmbeddings().length) continue;
            kept.add(d.withDataset(dataset.name()));
        }
        if (opt.maxSentenceLenInDoc() != null || opt.minSentenceLenInDoc() != null) {
            kept = DocumentFilters.bySentenceLength(kept, Document::sentences, opt.maxSentenceLenInDoc(),
                    opt.minSentenceLenInDoc());
        }
        if (columns.hasTarget() && (opt.maxSentenceLenInTargetDoc() != null || opt.minSentenceLenInTargetDoc() != null)) {
            kept = DocumentFilters.bySentenceLength(kept, Document::targetSentences, opt.maxSentenceLenInTargetDoc(),
                    opt.minSentenceLenInTargetDoc());
        }
        kept = DocumentFilters.byMinSentences(kept, opt.minLengthOfSequences(),
                columns.hasTarget() ? opt.minLengthOfTargetSequences() : null);
        List<Document> out = new ArrayList<>(kept.size());
        for (Document d : kept) out.add(affixes.apply(d));
        return out;
    }

    /** Splits each document into chunks of at most {@code max} sentences, remainder last. */
    static List<Document> wrap(List<Document> docs, int max) {
        List<Document> out = new ArrayList<>();
        for (Document d : docs) {
            int n = d.embeddings().length;
            if (n <= max) {
                out.add(d);
                continue;
            }
            for (int from = 0; from < n; from += max) {
                int to = Math.min(n, from + max);
                out.add(new Document(d.id(), d.sentences() == null ? null : List.copyOf(d.sentences().subList(from, to)),
                        Arrays.copyOfRange(d.embeddings(), from, to), null, null, d.dataset()));
            }
        }
        return out;
    }

    private static List<int[]> chunks(int[] order, int size) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < order.length; i += size) out.add(Arrays.copyOfRange(order, i, Math.min(order.length, i + size)));
        return out;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    /** Fisher-Yates with the given generator (Collections.shuffle's algorithm, spelled out to pin it down). */
    private static <T> void shuffle(List<T> list, Random rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
