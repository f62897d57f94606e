package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.LcmParquetWriter.Column;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-dataset options and the loader options of the reference, each on a small dataset whose expected rows are
 * worked out by hand in the comments: document d-i has (i % 4) + 1 sentences with vectors [i, j, 0, 1], an int64
 * column n = i, per-sentence quality i + 0.1 j, and an extra sentence column with one sentence [100 + i, 0, 0, 1].
 */
class DatasetOptionsTest {
    private static final DataColumns COLS = DataColumns.sonar("text_sentences").withId("id");

    @TempDir
    Path tmp;

    private record Row(Document doc, Long n, double[] quality, List<String> extraText, float[][] extraVectors) {
    }

    private static Row row(String prefix, int i, int len) {
        List<String> s = new ArrayList<>();
        float[][] e = new float[len][];
        double[] q = new double[len];
        for (int j = 0; j < len; j++) {
            s.add(prefix + i + " s" + j);
            e[j] = new float[] {i, j, 0, 1};
            q[j] = i + 0.1 * j;
        }
        return new Row(new Document(prefix + "-" + i, s, e), (long) i, q, List.of("extra " + i),
                new float[][] {{100 + i, 0, 0, 1}});
    }

    private static void write(Path file, List<Row> rows, int rowGroup) {
        List<Column<Row>> cols = List.of(Column.string("id", r -> r.doc().id()),
                Column.strings("text_sentences", r -> r.doc().sentences()),
                Column.vectors("text_sentences_sonar_emb", r -> r.doc().embeddings()),
                Column.integer("n", Row::n), Column.doubles("quality", Row::quality),
                Column.strings("extra_sentences", Row::extraText),
                Column.vectors("extra_sentences_sonar_emb", Row::extraVectors));
        try (LcmParquetWriter<Row> w = new LcmParquetWriter<>(file, cols, 4, rowGroup)) {
            for (Row r : rows) w.write(r);
        }
    }

    /** 12 documents: d-0..d-5 in lang=en/part-0, d-6..d-11 in lang=fr/part-1, row groups of 3 (4 row groups). */
    private Dataset twelve(DatasetOptions o) {
        Path root = tmp.resolve("twelve");
        List<Row> en = new ArrayList<>(), fr = new ArrayList<>();
        for (int i = 0; i < 12; i++) (i < 6 ? en : fr).add(row("d", i, i % 4 + 1));
        write(root.resolve("lang=en/part-0.parquet"), en, 3);
        write(root.resolve("lang=fr/part-1.parquet"), fr, 3);
        return Dataset.of("twelve", root, COLS, null).withOptions(o);
    }

    private static DatasetOptions filters(String filters, String partitionFilters) {
        return new DatasetOptions(filters == null ? null : RowFilter.parse("filters", filters),
                partitionFilters == null ? null : RowFilter.parse("partition_filters", partitionFilters),
                null, null, null, null, null, null, false);
    }

    private static LoaderOptions.Builder inOrder() {
        return LoaderOptions.builder().expectedDim(4).nbEpochs(1).shuffle(false).orderByLength(false).batchSize(100);
    }

    private static List<List<Document>> batches(LcmDataLoader loader) {
        List<List<Document>> out = new ArrayList<>();
        while (loader.hasNext()) out.add(loader.next());
        return out;
    }

    private static List<String> ids(List<Dataset> ds, LoaderOptions o, AffixVectors v) {
        return batches(new LcmDataLoader(ds, o, v)).stream().flatMap(List::stream).map(Document::id).toList();
    }

    private static List<String> ids(Dataset ds, LoaderOptions o) {
        return ids(List.of(ds), o, AffixVectors.NONE);
    }

    private static List<String> d(int... is) {
        return Arrays.stream(is).mapToObj(i -> "d-" + i).toList();
    }

    @Test
    void filtersKeepTheRowsTheExpressionIsTrueFor() {
        assertEquals(d(4, 5, 6, 7, 8), ids(twelve(filters("(pc.field('n') >= 4) & (pc.field('n') < 9)", null)), inOrder().build()));
        // lengths (i % 4) + 1 < 3: i % 4 in {0, 1}
        assertEquals(d(0, 1, 4, 5, 8, 9), ids(twelve(filters(
                "pa.compute.less(pa.compute.list_value_length(pa.dataset.field(\"text_sentences\")), 3)", null)), inOrder().build()));
        // a partition column can be read by filters too
        assertEquals(d(6, 7, 8, 9, 10, 11), ids(twelve(filters("pc.field('lang') == 'fr'", null)), inOrder().build()));
    }

    @Test
    void partitionFiltersSelectFilesAndRefuseOtherColumns() {
        assertEquals(d(6, 7, 8, 9, 10, 11), ids(twelve(filters(null, "pc.field('lang') == 'fr'")), inOrder().build()));
        assertEquals(d(0, 1, 2, 3, 4, 5), ids(twelve(filters(null, "[('lang', 'in', ['en', 'de'])]")), inOrder().build()));
        // both: a row must pass the two
        assertEquals(d(6, 7), ids(twelve(filters("pc.field('n') < 8", "pc.field('lang') == 'fr'")), inOrder().build()));
        LcmException e = assertThrows(LcmException.class,
                () -> ids(twelve(filters(null, "pc.field('n') < 3")), inOrder().build()));
        assertTrue(e.getMessage().contains("reads column 'n', which is not a partition"), e.getMessage());
        e = assertThrows(LcmException.class, () -> ids(twelve(filters(null, "pc.field('lang') == 'de'")), inOrder().build()));
        assertTrue(e.getMessage().contains("rejects every file"), e.getMessage());
    }

    private static DatasetOptions limit(Double fraction, Integer files, Integer fragments, Long rows) {
        return new DatasetOptions(null, null, new DatasetOptions.Limit(fraction, files, fragments, rows), null, null,
                null, null, null, false);
    }

    @Test
    void limitTakesTheFirstFilesRowGroupsAndRows() {
        // row groups of 3 rows: nb_rows 4 stops after the second row group (3 < 4 <= 6)
        assertEquals(d(0, 1, 2, 3, 4, 5), ids(twelve(limit(null, null, null, 4L)), inOrder().build()));
        assertEquals(d(0, 1, 2), ids(twelve(limit(null, null, null, 3L)), inOrder().build()));
        assertEquals(d(0, 1, 2, 3, 4, 5, 6, 7, 8), ids(twelve(limit(null, null, 3, null)), inOrder().build()));
        assertEquals(d(0, 1, 2, 3, 4, 5), ids(twelve(limit(null, 1, null, null)), inOrder().build()));
        // max(1, round(0.2 * 2 files)) = 1 file; round(0.75 * 2) = 2 files
        assertEquals(d(0, 1, 2, 3, 4, 5), ids(twelve(limit(0.2, null, null, null)), inOrder().build()));
        assertEquals(12, ids(twelve(limit(0.75, null, null, null)), inOrder().build()).size());
        assertThrows(LcmException.class, () -> limit(1.5, null, null, null));
    }

    private static DatasetOptions quality(Double lo, Double hi) {
        return new DatasetOptions(null, null, null, "quality", Arrays.asList(lo, hi), null, null, null, false);
    }

    @Test
    void qualityRangeKeepsDocumentsWhoseScoresAllLieInIt() {
        // scores of d-i: i, i + 0.1, ... i + 0.1 (len - 1); [3, 7.2] keeps d-3 (max 3.3), d-4 (4), d-5 (5.1), d-6 (6.2);
        // d-7 has 7.3 > 7.2, d-0..d-2 have a score below 3
        assertEquals(d(3, 4, 5, 6), ids(twelve(quality(3.0, 7.2)), inOrder().build()));
        // an open lower bound: d-0 (0), d-1 (1.1); d-2 reaches 2.2
        assertEquals(d(0, 1), ids(twelve(quality(null, 2.05)), inOrder().build()));
        assertThrows(LcmException.class, () -> new DatasetOptions(null, null, null, null, Arrays.asList(1.0, 2.0),
                null, null, null, false));
    }

    @Test
    void sourceSequencesConcatenateConstantTextsAndColumns() {
        float[] title = {-1, -1, -1, -1};
        List<DatasetOptions.SequencePart> parts = List.of(new DatasetOptions.SequencePart("Title.", null, null),
                new DatasetOptions.SequencePart(null, "text_sentences", null),
                new DatasetOptions.SequencePart(null, "extra_sentences", "extra_sentences_sonar_emb"));
        Dataset ds = twelve(new DatasetOptions(null, null, null, null, null, parts, null, null, false));
        AffixVectors v = new AffixVectors(Map.of("twelve", Map.of("Title.", title)));
        List<Document> docs = batches(new LcmDataLoader(List.of(ds), inOrder().build(), v)).get(0);
        assertEquals(12, docs.size());
        Document d5 = docs.get(5); // 5 % 4 + 1 = 2 sentences of its own
        assertEquals(List.of("Title.", "d5 s0", "d5 s1", "extra 5"), d5.sentences());
        assertArrayEquals(new float[][] {title, {5, 0, 0, 1}, {5, 1, 0, 1}, {105, 0, 0, 1}}, d5.embeddings());

        // a target assembled the same way makes the data supervised: target = extra sentence + "End."
        float[] end = {-2, -2, -2, -2};
        List<DatasetOptions.SequencePart> target = List.of(new DatasetOptions.SequencePart(null, "extra_sentences", null),
                new DatasetOptions.SequencePart("End.", null, null));
        Dataset sup = twelve(new DatasetOptions(null, null, null, null, null, null, target, null, false));
        Document t5 = batches(new LcmDataLoader(List.of(sup), inOrder().build(),
                new AffixVectors(Map.of("twelve", Map.of("End.", end))))).get(0).get(5);
        assertEquals(List.of("d5 s0", "d5 s1"), t5.sentences());
        assertEquals(List.of("extra 5", "End."), t5.targetSentences());
        assertArrayEquals(new float[][] {{105, 0, 0, 1}, end}, t5.targetEmbeddings());
    }

    @Test
    void eachDatasetHasItsOwnAffixes() {
        Path a = tmp.resolve("a.parquet"), b = tmp.resolve("b.parquet");
        write(a, List.of(row("a", 0, 1)), 10);
        write(b, List.of(row("b", 0, 2)), 10);
        Dataset da = Dataset.of("a", a, COLS, null).withOptions(new DatasetOptions(null, null, null, null, null, null, null,
                new Affixes(null, "End A.", null, null), false));
        Dataset db = Dataset.of("b", b, COLS, null).withOptions(new DatasetOptions(null, null, null, null, null, null, null,
                new Affixes("Begin B.", null, null, null), false));
        AffixVectors v = new AffixVectors(Map.of("a", Map.of("End A.", new float[] {7, 7, 7, 7}),
                "b", Map.of("Begin B.", new float[] {8, 8, 8, 8})));
        List<List<Document>> got = batches(new LcmDataLoader(List.of(da, db),
                inOrder().chaining(LoaderOptions.Chaining.CONCAT).build(), v));
        assertEquals(List.of("a0 s0", "End A."), got.get(0).get(0).sentences());
        assertEquals(List.of("Begin B.", "b0 s0", "b0 s1"), got.get(1).get(0).sentences());
        assertArrayEquals(new float[] {8, 8, 8, 8}, got.get(1).get(0).embeddings()[0]);
    }

    /** d-0..d-3 with 1, 2, 3, 4 sentences in one file. */
    /** {@code ds} with its own affix texts {@code a}, its other options kept. */
    static Dataset withAffixes(Dataset ds, Affixes a) {
        DatasetOptions o = ds.options();
        return ds.withOptions(new DatasetOptions(o.filters(), o.partitionFilters(), o.limit(), o.qualityColumn(),
                o.qualityRange(), o.sourceSequences(), o.targetSequences(), a, o.shardingInMemory()));
    }

    private Dataset four() {
        Path f = tmp.resolve("four.parquet");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) rows.add(row("d", i, i + 1));
        write(f, rows, 10);
        return Dataset.of("four", f, COLS, null);
    }

    private static List<String> sentences(List<List<Document>> batches) {
        List<String> out = new ArrayList<>();
        for (List<Document> b : batches) for (Document d : b) out.add(String.join("|", d.sentences()));
        return out;
    }

    @Test
    void packingCutsTheConcatenatedDocumentsIntoFixedRows() {
        // 1 + 2 + 3 + 4 = 10 sentences in rows of 3: [d0 s0, d1 s0, d1 s1] [d2 s0..s2] [d3 s0..s2] [d3 s3]
        List<List<Document>> got = batches(new LcmDataLoader(List.of(four()),
                inOrder().lenToWrapLongSeq(3).packing(true).build(), AffixVectors.NONE));
        assertEquals(List.of("d0 s0|d1 s0|d1 s1", "d2 s0|d2 s1|d2 s2", "d3 s0|d3 s1|d3 s2", "d3 s3"), sentences(got));
        assertEquals(List.of("d-0+d-1", "d-2", "d-3", "d-3"), got.get(0).stream().map(Document::id).toList());
        assertArrayEquals(new float[] {1, 1, 0, 1}, got.get(0).get(0).embeddings()[2]);
        // without packing each document is wrapped on its own
        got = batches(new LcmDataLoader(List.of(four()), inOrder().lenToWrapLongSeq(3).build(), AffixVectors.NONE));
        assertEquals(List.of("d0 s0", "d1 s0|d1 s1", "d2 s0|d2 s1|d2 s2", "d3 s0|d3 s1|d3 s2", "d3 s3"), sentences(got));
        LcmException e = assertThrows(LcmException.class, () -> inOrder().packing(true).build());
        assertTrue(e.getMessage().startsWith("packing: true needs len_to_wrap_long_seq"), e.getMessage());
    }

    @Test
    void wrapBeforeAffixingPutsTheSuffixOnEveryPiece() {
        Affixes end = new Affixes(null, "E.", null, null);
        AffixVectors v = new AffixVectors(Map.of("four", Map.of("E.", new float[] {9, 9, 9, 9})));
        // d2 (3 sentences) wrapped at 2: after affixing [s0 s1] [s2 E.]; before affixing [s0 s1 E.] [s2 E.]
        List<String> after = sentences(batches(new LcmDataLoader(List.of(withAffixes(four(), end)),
                inOrder().lenToWrapLongSeq(2).build(), v)));
        assertEquals(List.of("d0 s0|E.", "d1 s0|d1 s1", "E.", "d2 s0|d2 s1", "d2 s2|E.", "d3 s0|d3 s1", "d3 s2|d3 s3", "E."), after);
        List<String> before = sentences(batches(new LcmDataLoader(List.of(withAffixes(four(), end)),
                inOrder().lenToWrapLongSeq(2).wrapBeforeAffixing(true).build(), v)));
        assertEquals(List.of("d0 s0|E.", "d1 s0|d1 s1|E.", "d2 s0|d2 s1|E.", "d2 s2|E.", "d3 s0|d3 s1|E.", "d3 s2|d3 s3|E."), before);
    }

    @Test
    void afterBatchingMinimumsDropShortRowsThenEmptyBatches() {
        // batches of 2 in order: [d0 d1] [d2 d3]; at least 2 sentences: [d1] [d2 d3]; at least 3: [d2 d3]
        List<List<String>> two = batches(new LcmDataLoader(List.of(four()),
                inOrder().batchSize(2).minLengthOfSequencesAfterBatching(2).build(), AffixVectors.NONE))
                .stream().map(b -> b.stream().map(Document::id).toList()).toList();
        assertEquals(List.of(d(1), d(2, 3)), two);
        List<List<String>> three = batches(new LcmDataLoader(List.of(four()),
                inOrder().batchSize(2).minLengthOfSequencesAfterBatching(3).build(), AffixVectors.NONE))
                .stream().map(b -> b.stream().map(Document::id).toList()).toList();
        assertEquals(List.of(d(2, 3)), three);
        // min_batch_size applies after: [d1] has one row
        assertEquals(List.of(d(2, 3)), batches(new LcmDataLoader(List.of(four()),
                inOrder().batchSize(2).minLengthOfSequencesAfterBatching(2).minBatchSize(2).build(), AffixVectors.NONE))
                .stream().map(b -> b.stream().map(Document::id).toList()).toList());
    }

    @Test
    void concatAndRoundRobinChainDatasetsStartingAtTheRank() {
        Path a = tmp.resolve("ca.parquet"), b = tmp.resolve("cb.parquet");
        write(a, List.of(row("a", 0, 1), row("a", 1, 1), row("a", 2, 1)), 10);
        write(b, List.of(row("b", 0, 1)), 10);
        List<Dataset> both = List.of(Dataset.of("a", a, COLS, null), Dataset.of("b", b, COLS, null));
        LoaderOptions.Builder one = inOrder().batchSize(1);
        assertEquals(List.of("a-0", "a-1", "a-2", "b-0"),
                ids(both, one.chaining(LoaderOptions.Chaining.CONCAT).build(), AffixVectors.NONE));
        // round robin: a b a a (b is exhausted after its turn)
        assertEquals(List.of("a-0", "b-0", "a-1", "a-2"),
                ids(both, one.chaining(LoaderOptions.Chaining.ROUND_ROBIN).build(), AffixVectors.NONE));
        // rank 1 of 2 starts at the second dataset; a single row group each is too few to shard by row group, so both
        // ranks read it all and batch g goes to rank g % 2: rank 1 gets a-1, a-3 and b-1, b-3
        Path a4 = tmp.resolve("a4.parquet"), b4 = tmp.resolve("b4.parquet");
        write(a4, List.of(row("a", 0, 1), row("a", 1, 1), row("a", 2, 1), row("a", 3, 1)), 10);
        write(b4, List.of(row("b", 0, 1), row("b", 1, 1), row("b", 2, 1), row("b", 3, 1)), 10);
        List<Dataset> four = List.of(Dataset.of("a", a4, COLS, null), Dataset.of("b", b4, COLS, null));
        LoaderOptions.Builder r1 = inOrder().batchSize(1).rank(1).worldSize(2);
        assertEquals(List.of("b-1", "b-3", "a-1", "a-3"),
                ids(four, r1.chaining(LoaderOptions.Chaining.CONCAT).build(), AffixVectors.NONE));
        assertEquals(List.of("b-1", "a-1", "b-3", "a-3"),
                ids(four, r1.chaining(LoaderOptions.Chaining.ROUND_ROBIN).build(), AffixVectors.NONE));
    }

    private List<String> rank(int rank, int world, boolean inMemory, boolean even, Integer maxTokens) {
        LoaderOptions.Builder o = inOrder().rank(rank).worldSize(world).evenSharding(even);
        if (maxTokens != null) o.batchSize(null).maxTokens(maxTokens);
        else o.batchSize(1);
        return ids(twelve(new DatasetOptions(null, null, null, null, null, null, null, null, inMemory)), o.build());
    }

    @Test
    void shardingInMemoryDealsBatchesAndEvenShardingDropsTheLastRound() {
        // one batch per document, d-0..d-11 in order; in memory batch g goes to rank g % world
        assertEquals(d(0, 2, 4, 6, 8, 10), rank(0, 2, true, false, null));
        assertEquals(d(1, 3, 5, 7, 9, 11), rank(1, 2, true, false, null));
        // by row groups (of 3 documents) instead: rank 0 reads groups 0 and 2, rank 1 groups 1 and 3
        assertEquals(d(0, 1, 2, 6, 7, 8), rank(0, 2, false, false, null));
        assertEquals(d(3, 4, 5, 9, 10, 11), rank(1, 2, false, false, null));
        // 12 batches over 5 ranks: 4 row groups < 2 * 5, so in memory anyway; uneven: ranks 0, 1 get 3, the others 2
        assertEquals(d(0, 5, 10), rank(0, 5, false, false, null));
        assertEquals(d(4, 9), rank(4, 5, false, false, null));
        // even: only the first 10 batches are dealt, 2 per rank
        assertEquals(d(0, 5), rank(0, 5, false, true, null));
        assertEquals(d(1, 6), rank(1, 5, false, true, null));
        assertEquals(d(4, 9), rank(4, 5, false, true, null));
    }

    @Test
    void shardingInMemoryResumesExactlyAcrossBuffers() {
        // max_tokens 4: buffers of 16 sentences, so the stream spans several buffers and the offset matters
        for (boolean even : new boolean[] {false, true}) {
            LoaderOptions o = LoaderOptions.builder().expectedDim(4).nbEpochs(2).maxTokens(4).seed(7).rank(1)
                    .worldSize(3).evenSharding(even).build();
            Dataset ds = twelve(DatasetOptions.NONE);
            List<List<Document>> full = batches(new LcmDataLoader(List.of(ds), o, AffixVectors.NONE));
            List<String> fullIds = full.stream().map(b -> b.stream().map(Document::id).toList().toString()).toList();
            // the three ranks together see every batch of the stream once: 2 epochs x 12 documents
            int docs = 0;
            for (int r = 0; r < 3; r++) {
                LoaderOptions or = LoaderOptions.builder().expectedDim(4).nbEpochs(2).maxTokens(4).seed(7).rank(r)
                        .worldSize(3).evenSharding(even).build();
                docs += batches(new LcmDataLoader(List.of(ds), or, AffixVectors.NONE)).stream().mapToInt(List::size).sum();
            }
            if (!even) assertEquals(24, docs);
            else assertTrue(docs <= 24 && docs > 24 - 3 * 4, "even sharding drops at most one round: " + docs);
            for (int k = 0; k <= full.size(); k++) {
                LcmDataLoader first = new LcmDataLoader(List.of(ds), o, AffixVectors.NONE);
                for (int i = 0; i < k; i++) first.next();
                LcmDataLoader second = new LcmDataLoader(List.of(ds), o, AffixVectors.NONE);
                second.restore(LcmDataLoader.State.fromMap(first.state().toMap()));
                List<String> rest = batches(second).stream().map(b -> b.stream().map(Document::id).toList().toString()).toList();
                assertEquals(fullIds.subList(k, fullIds.size()), rest, "resume after " + k + " batches, even=" + even);
            }
        }
    }

    @Test
    void dropNullFalseKeepsRowsWithoutText() {
        Path f = tmp.resolve("nulls.parquet");
        Row withText = row("d", 0, 1);
        Row noText = new Row(new Document("d-1", null, new float[][] {{1, 0, 0, 1}}), 1L, new double[] {1}, null, null);
        write(f, List.of(withText, noText), 10);
        Dataset ds = Dataset.of("nulls", f, COLS, null);
        assertEquals(d(0), ids(ds, inOrder().build()));
        assertEquals(d(0, 1), ids(ds, inOrder().dropNull(false).build()));
    }
}
