package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>Per row group, in the reference's order: {@code filters} ({@code partition_filters} read only partition keys, so
 * {@link Dataset#files()} already dropped the files they reject), {@code drop_null}, the assembled {@code source_sequences}/{@code target_sequences}, rows whose sentence and vector counts differ dropped,
 * [wrapping when {@code wrap_before_affixing}], the quality range, the minimum sentence counts, the sentence length
 * filter, the affixes. Per buffer: shuffle [unless wrapped before affixing], wrapping or packing, batching, the
 * {@code *_after_batching} minimums, {@code min_batch_size}, and with sharding in memory this rank's share.
 */
final class DatasetPipeline {
    private static final int MAX_FRAGMENTS_PER_BUFFER = 100;

    private final Dataset dataset;
    private final LoaderOptions opt;
    private final List<Fragment> fragments;
    private final Affixes.Applier affixes;
    private final DataColumns columns;     // the columns read as the document (the first column part of a sequence)
    private final DatasetOptions dso;
    private final Map<String, float[]> textVectors;
    private final List<String> extraColumns;
    private final int dim;
    private final boolean inMemory;        // every rank reads every row group; batches are sharded instead

    private int epoch;
    private int cursor;       // position (in this epoch's order) of the current buffer's first row group
    private int emitted;      // batches of the current buffer already returned (this rank's share)
    private long offset;      // batches all ranks together made before the current buffer (sharding in memory)
    private boolean done;
    private List<List<Document>> pending;
    private int nextCursor;
    private long nextOffset;

    /** A document with its per-sentence quality scores while the quality range still has to be applied. */
    private record Row(Document doc, double[] quality) {
    }

    DatasetPipeline(Dataset dataset, LoaderOptions opt, List<Fragment> fragments, Affixes.Applier affixes, int dim,
                    Map<String, float[]> textVectors, boolean inMemory) {
        this.dataset = dataset;
        this.opt = opt;
        this.fragments = fragments;
        this.affixes = affixes;
        this.dso = dataset.options();
        this.columns = readColumns(dataset);
        this.textVectors = textVectors;
        this.dim = dim;
        this.inMemory = inMemory;
        Set<String> extra = new LinkedHashSet<>();
        if (dso.filters() != null) extra.addAll(dso.filters().columns());
        if (dso.qualityColumn() != null) extra.add(dso.qualityColumn());
        extra.removeAll(columns.all());
        this.extraColumns = List.copyOf(extra);
        for (String t : dso.sequenceTexts()) {
            float[] v = textVectors.get(t);
            if (v == null) throw new LcmException("dataset " + dataset.name() + ": the text_value '" + t + "' has no vector");
            if (dim > 0 && v.length != dim) {
                throw new LcmException("dataset " + dataset.name() + ": the text_value '" + t + "' was embedded in " + v.length
                        + " dimensions, the data has " + dim);
            }
        }
    }

    /**
     * The columns read as a document: the dataset's, or with assembled sequences the first column item of each side
     * (the other items are read alongside).
     */
    static DataColumns readColumns(Dataset ds) {
        DataColumns c = ds.columns();
        DatasetOptions o = ds.options();
        String src = c.source(), srcText = c.sourceText(), tgt = c.target(), tgtText = c.targetText();
        if (o.sourceSequences() != null) {
            DatasetOptions.SequencePart first = firstColumn(o.sourceSequences(), ds, "source_sequences");
            src = first.sonarColumn();
            srcText = first.textColumn();
        }
        if (o.targetSequences() != null) {
            DatasetOptions.SequencePart first = firstColumn(o.targetSequences(), ds, "target_sequences");
            tgt = first.sonarColumn();
            tgtText = first.textColumn();
        }
        return new DataColumns(src, srcText, tgt, tgtText, c.id());
    }

    private static DatasetOptions.SequencePart firstColumn(List<DatasetOptions.SequencePart> parts, Dataset ds, String key) {
        for (DatasetOptions.SequencePart p : parts) if (p.textColumn() != null) return p;
        throw new LcmException("dataset " + ds.name() + ": " + key + " needs at least one text_column item (with only"
                + " text_value items every document would be the same)");
    }

    LcmDataLoader.DatasetState state() {
        return new LcmDataLoader.DatasetState(dataset.name(), epoch, cursor, emitted, done, offset);
    }

    void restore(LcmDataLoader.DatasetState s) {
        epoch = s.epoch();
        cursor = s.cursor();
        emitted = s.emitted();
        done = s.done();
        offset = s.offset();
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
            offset = nextOffset;
            emitted = 0;
        }
        return null;
    }

    /** This rank's row groups for {@code epoch}: a permutation common to all ranks, then every world_size-th. */
    List<Fragment> epochOrder(int e) {
        List<Fragment> all = new ArrayList<>(fragments);
        if (opt.shuffle()) shuffle(all, new Random(LcmDataLoader.mix(opt.seed(), 0x5eed, e)));
        if (inMemory) return all;
        List<Fragment> mine = new ArrayList<>();
        for (int i = opt.rank(); i < all.size(); i += opt.worldSize()) mine.add(all.get(i));
        return mine;
    }

    private List<List<Document>> buildBuffer(List<Fragment> order) {
        // sharding in memory: every rank builds the same buffer, so the seed must not depend on the rank
        int seedRank = inMemory ? 0 : opt.rank();
        Random rnd = new Random(LcmDataLoader.mix(opt.seed() + seedRank * 100_000L, epoch, cursor));
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
        if (!opt.wrapBeforeAffixing()) {
            // the reference shuffles the rows only on this path: with wrap_before_affixing it keeps their order
            if (opt.shuffle()) shuffle(rows, rnd);
            if (opt.lenToWrapLongSeq() != null) {
                rows = opt.packing() ? pack(rows, opt.lenToWrapLongSeq()) : wrap(rows, opt.lenToWrapLongSeq());
            }
        }
        int[] lengths = rows.stream().mapToInt(Document::length).toArray();
        List<int[]> splits = opt.maxTokens() != null
                ? LengthSplits.compute(lengths, opt.maxTokens(), opt.orderByLength(), true)
                : chunks(opt.orderByLength() ? NumpyArgsort.stable(lengths) : identity(lengths.length), opt.batchSize());
        if (opt.shuffle()) shuffle(splits, rnd);
        List<List<Document>> batches = new ArrayList<>();
        for (int[] s : splits) {
            List<Document> b = new ArrayList<>(s.length);
            for (int i : s) b.add(rows.get(i));
            b = afterBatching(b);
            if (b.isEmpty() || b.size() < opt.minBatchSize()) continue;
            batches.add(b);
        }
        if (!inMemory) {
            nextOffset = offset;
            return batches;
        }
        return myShare(batches, nextCursor >= order.size() && epoch == opt.nbEpochs() - 1);
    }

    /**
     * This rank's batches of a buffer when sharding in memory: batch g of the whole stream goes to rank g % world.
     * With even sharding the last incomplete round is dropped on every rank (so {@code last} says whether this
     * buffer ends the stream).
     */
    private List<List<Document>> myShare(List<List<Document>> batches, boolean last) {
        long total = offset + batches.size();
        long end = opt.evenSharding() && last ? total - total % opt.worldSize() : total;
        List<List<Document>> mine = new ArrayList<>();
        for (int j = 0; j < batches.size(); j++) {
            long g = offset + j;
            if (g < end && g % opt.worldSize() == opt.rank()) mine.add(batches.get(j));
        }
        nextOffset = total;
        return mine;
    }

    /** {@code min_length_of_(target_)sequences_after_batching}: rows with fewer sentences leave the batch. */
    private List<Document> afterBatching(List<Document> batch) {
        return DocumentFilters.byMinSentences(batch, opt.minLengthOfSequencesAfterBatching(),
                columns.hasTarget() ? opt.minLengthOfTargetSequencesAfterBatching() : null);
    }

    /** Reads one row group: filters, nulls and assembled sequences applied (steps 4-5 of the reference). */
    private List<Row> read(Fragment f) {
        Map<String, Object> partitions = dataset.partitionValues(f.file());
        List<String> extra = extraColumns.stream().filter(x -> !partitions.containsKey(x)).toList();
        LcmParquetReader.RowGroup g;
        try (LcmParquetReader r = LcmParquetReader.open(f.file(), columns, dim, extra)) {
            g = r.readRowGroupWithExtras(f.rowGroup());
        }
        List<Document> docs = g.documents();
        List<List<Document>> sourceParts = otherParts(dso.sourceSequences(), f, true);
        List<List<Document>> targetParts = otherParts(dso.targetSequences(), f, false);
        List<Row> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            Document d = docs.get(i);
            int row = i;
            java.util.function.Function<String, Object> value = col -> {
                if (partitions.containsKey(col)) return partitions.get(col);
                if (col.equals(columns.source())) return d.embeddings();
                if (col.equals(columns.sourceText())) return d.sentences();
                if (col.equals(columns.target())) return d.targetEmbeddings();
                if (col.equals(columns.targetText())) return d.targetSentences();
                if (col.equals(columns.id())) return d.id();
                return g.extras().get(col).get(row);
            };
            if (dso.filters() != null && !dso.filters().test(value)) continue;
            double[] quality = dso.qualityColumn() == null ? null : qualityOf(value.apply(dso.qualityColumn()));
            if (opt.dropNull() && (nullText(d) || (dso.qualityColumn() != null && quality == null))) continue;
            Document assembled = assemble(d, sourceParts, targetParts, i);
            // vectors are what training consumes: a row without them cannot be kept even with drop_null false
            if (assembled == null || assembled.embeddings() == null
                    || (columns.hasTarget() && assembled.targetEmbeddings() == null)) continue;
            out.add(new Row(assembled.withDataset(dataset.name()), quality));
        }
        return out;
    }

    private boolean nullText(Document d) {
        return (columns.sourceText() != null && d.sentences() == null)
                || (columns.targetText() != null && d.targetSentences() == null);
    }

    private double[] qualityOf(Object v) {
        if (v == null) return null;
        if (v instanceof double[] d) return d;
        throw new LcmException("dataset " + dataset.name() + ": source_quality_column '" + dso.qualityColumn()
                + "' must be a list of numbers (one score per sentence), got " + v.getClass().getSimpleName());
    }

    /** The documents of the column items after the first, read from the same row group. */
    private List<List<Document>> otherParts(List<DatasetOptions.SequencePart> parts, Fragment f, boolean source) {
        if (parts == null) return null;
        String first = source ? columns.source() : columns.target();
        List<List<Document>> out = new ArrayList<>();
        boolean firstSeen = false;
        for (DatasetOptions.SequencePart p : parts) {
            if (p.textColumn() == null) {
                out.add(null);
            } else if (!firstSeen && p.sonarColumn().equals(first)) {
                firstSeen = true;
                out.add(null);
            } else {
                try (LcmParquetReader r = LcmParquetReader.open(f.file(),
                        new DataColumns(p.sonarColumn(), p.textColumn(), null, null, null), dim)) {
                    out.add(r.readRowGroup(f.rowGroup()));
                }
            }
        }
        return out;
    }

    /** Reference {@code materialize_sequence}: the items of a side concatenated, constant texts as one sentence. */
    private Document assemble(Document d, List<List<Document>> sourceParts, List<List<Document>> targetParts, int row) {
        Document out = d;
        if (sourceParts != null) {
            Part p = concat(dso.sourceSequences(), sourceParts, d.sentences(), d.embeddings(), row);
            if (p == null) return null;
            out = new Document(out.id(), p.sentences, p.vectors, out.targetSentences(), out.targetEmbeddings(), out.dataset());
        }
        if (targetParts != null) {
            Part p = concat(dso.targetSequences(), targetParts, d.targetSentences(), d.targetEmbeddings(), row);
            if (p == null) return null;
            out = new Document(out.id(), out.sentences(), out.embeddings(), p.sentences, p.vectors, out.dataset());
        }
        return out;
    }

    private record Part(List<String> sentences, float[][] vectors) {
    }

    private Part concat(List<DatasetOptions.SequencePart> parts, List<List<Document>> read, List<String> firstText,
                        float[][] firstVectors, int row) {
        List<String> text = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int k = 0; k < parts.size(); k++) {
            DatasetOptions.SequencePart p = parts.get(k);
            List<String> t;
            float[][] v;
            if (p.textValue() != null) {
                t = List.of(p.textValue());
                v = new float[][] {textVectors.get(p.textValue())};
            } else if (read.get(k) == null) {
                t = firstText;
                v = firstVectors;
            } else {
                t = read.get(k).get(row).sentences();
                v = read.get(k).get(row).embeddings();
            }
            if (t == null || v == null) return null;
            text.addAll(t);
            vectors.addAll(Arrays.asList(v));
        }
        return new Part(text, vectors.toArray(new float[0][]));
    }

    /** Steps 6-8 of the reference pipeline: misaligned rows dropped, [wrap], filters, affixes. */
    private List<Document> prepare(List<Row> read) {
        List<Row> kept = new ArrayList<>(read.size());
        for (Row r : read) {
            Document d = r.doc();
            if (d.sentences() != null && d.sentences().size() != d.embeddings().length) continue;
            if (r.quality() != null && r.quality().length != d.embeddings().length) continue;
            if (d.targetSentences() != null && d.targetEmbeddings() != null
                    && d.targetSentences().size() != d.targetEmbeddings().length) continue;
            kept.add(r);
        }
        if (opt.wrapBeforeAffixing() && opt.lenToWrapLongSeq() != null) {
            kept = opt.packing() ? packRows(kept, opt.lenToWrapLongSeq()) : wrapRows(kept, opt.lenToWrapLongSeq());
        }
        if (dso.qualityColumn() != null && dso.qualityRange() != null) {
            kept = DocumentFilters.byQuality(kept, Row::quality, dso.qualityRange().get(0), dso.qualityRange().get(1));
        }
        List<Document> docs = new ArrayList<>(kept.size());
        for (Row r : kept) docs.add(r.doc());
        docs = DocumentFilters.byMinSentences(docs, opt.minLengthOfSequences(),
                columns.hasTarget() ? opt.minLengthOfTargetSequences() : null);
        if (opt.maxSentenceLenInDoc() != null || opt.minSentenceLenInDoc() != null) {
            docs = DocumentFilters.bySentenceLength(docs, Document::sentences, opt.maxSentenceLenInDoc(),
                    opt.minSentenceLenInDoc());
        }
        if (columns.hasTarget() && (opt.maxSentenceLenInTargetDoc() != null || opt.minSentenceLenInTargetDoc() != null)) {
            docs = DocumentFilters.bySentenceLength(docs, Document::targetSentences, opt.maxSentenceLenInTargetDoc(),
                    opt.minSentenceLenInTargetDoc());
        }
        List<Document> out = new ArrayList<>(docs.size());
        for (Document d : docs) out.add(affixes.apply(d));
        return out;
    }

    /** Splits each document into chunks of at most {@code max} sentences, remainder last. */
    static List<Document> wrap(List<Document> docs, int max) {
        List<Row> rows = new ArrayList<>(docs.size());
        for (Document d : docs) rows.add(new Row(d, null));
        return wrapRows(rows, max).stream().map(Row::doc).toList();
    }

    private static List<Row> wrapRows(List<Row> rows, int max) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            Document d = r.doc();
            int n = d.embeddings().length;
            if (n <= max) {
                out.add(r);
                continue;
            }
            for (int from = 0; from < n; from += max) {
                int to = Math.min(n, from + max);
                out.add(new Row(new Document(d.id(), d.sentences() == null ? null : List.copyOf(d.sentences().subList(from, to)),
                        Arrays.copyOfRange(d.embeddings(), from, to), null, null, d.dataset()),
                        r.quality() == null ? null : Arrays.copyOfRange(r.quality(), from, to)));
            }
        }
        return out;
    }

    /**
     * Packing (reference {@code explode_table_with_fixed_length}): all documents' sentences in row order, cut into rows
     * of exactly {@code len} sentences (the last one shorter). A packed row's id lists the ids of the documents it
     * holds pieces of, joined by '+'.
     */
    static List<Document> pack(List<Document> docs, int len) {
        List<Row> rows = new ArrayList<>(docs.size());
        for (Document d : docs) rows.add(new Row(d, null));
        return packRows(rows, len).stream().map(Row::doc).toList();
    }

    private static List<Row> packRows(List<Row> rows, int len) {
        List<Row> out = new ArrayList<>();
        List<String> text = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        List<Double> quality = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        boolean hasText = !rows.isEmpty() && rows.stream().allMatch(r -> r.doc().sentences() != null);
        boolean hasQuality = !rows.isEmpty() && rows.stream().allMatch(r -> r.quality() != null);
        String dataset = rows.isEmpty() ? null : rows.get(0).doc().dataset();
        for (Row r : rows) {
            Document d = r.doc();
            for (int s = 0; s < d.embeddings().length; s++) {
                if (ids.isEmpty() || !ids.get(ids.size() - 1).equals(String.valueOf(d.id()))) ids.add(String.valueOf(d.id()));
                vectors.add(d.embeddings()[s]);
                if (hasText) text.add(d.sentences().get(s));
                if (hasQuality) quality.add(r.quality()[s]);
                if (vectors.size() == len) {
                    out.add(packed(ids, text, vectors, quality, hasText, hasQuality, dataset));
                    ids.clear();
                    text.clear();
                    vectors.clear();
                    quality.clear();
                }
            }
        }
        if (!vectors.isEmpty()) out.add(packed(ids, text, vectors, quality, hasText, hasQuality, dataset));
        return out;
    }

    private static Row packed(List<String> ids, List<String> text, List<float[]> vectors, List<Double> quality,
                              boolean hasText, boolean hasQuality, String dataset) {
        Document d = new Document(String.join("+", ids), hasText ? List.copyOf(text) : null,
                vectors.toArray(new float[0][]), null, null, dataset);
        return new Row(d, hasQuality ? quality.stream().mapToDouble(Double::doubleValue).toArray() : null);
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
