package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LcmDataLoaderTest {
    private static final DataColumns COLS = DataColumns.sonar("text_sentences").withId("id");

    @TempDir
    Path tmp;

    /** {@code n} documents "p-i" of (i % 13) + 1 sentences, vectors [i, j, 0, 1]; two files, row groups of 16. */
    private Dataset dataset(String name, String prefix, int n) {
        Path root = tmp.resolve(name);
        List<Document> a = new ArrayList<>();
        List<Document> b = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = i % 13 + 1;
            List<String> s = new ArrayList<>();
            float[][] e = new float[len][];
            for (int j = 0; j < len; j++) {
                s.add(prefix + " " + i + " s" + j);
                e[j] = new float[] {i, j, 0, 1};
            }
            (i < n / 2 ? a : b).add(new Document(prefix + "-" + i, s, e));
        }
        LcmParquetWriter.write(root.resolve("split=train/part-0.parquet"), COLS, 4, 16, a);
        LcmParquetWriter.write(root.resolve("split=train/part-1.parquet"), COLS, 4, 16, b);
        return Dataset.of(name, root, COLS, "train");
    }

    private static LoaderOptions.Builder opts() {
        return LoaderOptions.builder().expectedDim(4).nbEpochs(1);
    }

    private static List<List<String>> ids(LcmDataLoader loader, int limit) {
        List<List<String>> out = new ArrayList<>();
        while (out.size() < limit && loader.hasNext()) out.add(loader.next().stream().map(Document::id).toList());
        return out;
    }

    private static List<String> flat(List<List<String>> batches) {
        return batches.stream().flatMap(List::stream).toList();
    }

    private static Set<String> expectedIds(String prefix, int n) {
        Set<String> s = new HashSet<>();
        for (int i = 0; i < n; i++) s.add(prefix + "-" + i);
        return s;
    }

    @Test
    void oneEpochYieldsEveryDocumentOnceWithinTheTokenBudget() {
        Dataset ds = dataset("d", "p", 200);
        for (boolean shuffle : new boolean[] {false, true}) {
            LcmDataLoader loader = new LcmDataLoader(List.of(ds), opts().maxTokens(30).shuffle(shuffle).build(), AffixVectors.NONE);
            List<String> seen = new ArrayList<>();
            while (loader.hasNext()) {
                List<Document> batch = loader.next();
                int max = batch.stream().mapToInt(Document::length).max().orElseThrow();
                assertTrue(max * batch.size() <= 30, "padded batch size " + max * batch.size());
                batch.forEach(d -> seen.add(d.id()));
                assertEquals("d=train", batch.get(0).dataset());
            }
            assertEquals(200, seen.size());
            assertEquals(expectedIds("p", 200), new HashSet<>(seen));
        }
    }

    @Test
    void shuffleChangesOrderAndSeedMatters() {
        Dataset ds = dataset("d", "p", 200);
        List<String> plain = flat(ids(new LcmDataLoader(List.of(ds), opts().batchSize(8).shuffle(false).build(), AffixVectors.NONE), 1000));
        List<String> s1 = flat(ids(new LcmDataLoader(List.of(ds), opts().batchSize(8).seed(1).build(), AffixVectors.NONE), 1000));
        List<String> s1again = flat(ids(new LcmDataLoader(List.of(ds), opts().batchSize(8).seed(1).build(), AffixVectors.NONE), 1000));
        List<String> s2 = flat(ids(new LcmDataLoader(List.of(ds), opts().batchSize(8).seed(2).build(), AffixVectors.NONE), 1000));
        assertEquals(s1, s1again);
        assertNotEquals(plain, s1);
        assertNotEquals(s1, s2);
        assertEquals(new HashSet<>(plain), new HashSet<>(s1));
    }

    @Test
    void batchSizeModeOrderedByLengthWithoutShuffle() {
        Dataset ds = dataset("d", "p", 26); // one file of 13 docs (lengths 1..13), one of 13
        List<List<String>> b = ids(new LcmDataLoader(List.of(ds),
                opts().batchSize(5).shuffle(false).orderByLength(true).build(), AffixVectors.NONE), 100);
        // buffer = both files (26 docs, 182 sentences < 10,000); stable sort: lengths 1,1,2,2,3 -> p-0,p-13,p-1,p-14,p-2
        assertEquals(List.of("p-0", "p-13", "p-1", "p-14", "p-2"), b.get(0));
        assertEquals(6, b.size()); // 26 = 5 * 5 + 1
        assertEquals(List.of("p-10", "p-23", "p-11", "p-24", "p-12"), b.get(4));
        assertEquals(List.of("p-25"), b.get(5));
    }

    @Test
    void ranksPartitionTheRowGroups() {
        Dataset ds = dataset("d", "p", 200);
        Set<String> all = new HashSet<>();
        int total = 0;
        for (int rank = 0; rank < 3; rank++) {
            List<String> mine = flat(ids(new LcmDataLoader(List.of(ds),
                    opts().maxTokens(40).rank(rank).worldSize(3).build(), AffixVectors.NONE), 1000));
            total += mine.size();
            all.addAll(mine);
            assertTrue(mine.size() > 0 && mine.size() < 200);
        }
        assertEquals(200, total);
        assertEquals(expectedIds("p", 200), all);
    }

    @Test
    void restoredLoaderContinuesExactly() {
        Dataset a = dataset("a", "a", 150);
        Dataset b = dataset("b", "b", 90);
        List<Dataset> both = List.of(a, b.withWeight(0.5));
        LoaderOptions o = opts().maxTokens(30).nbEpochs(3).seed(7).build();
        List<List<String>> full = ids(new LcmDataLoader(both, o, AffixVectors.NONE), 100_000);
        assertTrue(full.size() > 60, "enough batches: " + full.size());
        assertTrue(flat(full).stream().anyMatch(x -> x.startsWith("b-")), "both datasets sampled");
        for (int k : new int[] {0, 1, 13, 29, full.size() - 1, full.size()}) {
            LcmDataLoader first = new LcmDataLoader(both, o, AffixVectors.NONE);
            List<List<String>> head = ids(first, k);
            first.hasNext(); // a peek must not leak into the state
            Map<String, Object> saved = first.state().toMap();
            LcmDataLoader second = new LcmDataLoader(both, o, AffixVectors.NONE);
            second.restore(LcmDataLoader.State.fromMap(saved));
            List<List<String>> tail = ids(second, 100_000);
            assertEquals(full.subList(0, k), head);
            assertEquals(full.subList(k, full.size()), tail, "resume after " + k);
        }
    }

    @Test
    void maxIterationStepsAndMinBatchSize() {
        Dataset ds = dataset("d", "p", 200);
        assertEquals(5, ids(new LcmDataLoader(List.of(ds), opts().batchSize(4).maxIterationSteps(5L).build(), AffixVectors.NONE),
                1000).size());
        List<List<String>> big = ids(new LcmDataLoader(List.of(ds), opts().batchSize(7).minBatchSize(7).build(), AffixVectors.NONE),
                1000);
        assertTrue(big.stream().allMatch(x -> x.size() == 7));
        assertTrue(flat(big).size() < 200, "the short last batches were dropped");
    }

    @Test
    void wrapsLongDocumentsRemainderLast() {
        Path f = tmp.resolve("w/part-0.parquet");
        float[][] e = new float[13][];
        List<String> s = new ArrayList<>();
        for (int j = 0; j < 13; j++) {
            e[j] = new float[] {j, 0, 0, 0};
            s.add("s" + j);
        }
        LcmParquetWriter.write(f, COLS, 4, 10, List.of(new Document("long", s, e)));
        LcmDataLoader loader = new LcmDataLoader(List.of(Dataset.of("w", f, COLS, null)),
                opts().batchSize(10).shuffle(false).orderByLength(false).lenToWrapLongSeq(5).build(), AffixVectors.NONE);
        List<Document> batch = loader.next();
        assertEquals(List.of(5, 5, 3), batch.stream().map(Document::length).toList());
        assertEquals(List.of("s10", "s11", "s12"), batch.get(2).sentences());
        assertEquals(10f, batch.get(2).embeddings()[0][0]);
    }

    @Test
    void dropsMisalignedRowsAndAppliesFilters() {
        Path f = tmp.resolve("m/part-0.parquet");
        float[][] two = {{1, 0, 0, 0}, {2, 0, 0, 0}};
        LcmParquetWriter.write(f, COLS, 4, 10, List.of(
                new Document("misaligned", List.of("a", "b", "c"), two),
                new Document("ok", List.of("a", "b"), two),
                new Document("long-sentence", List.of("a", "abcdefghijk"), two),
                new Document("single", List.of("a"), new float[][] {{1, 0, 0, 0}})));
        LcmDataLoader loader = new LcmDataLoader(List.of(Dataset.of("m", f, COLS, null)),
                opts().batchSize(10).shuffle(false).maxSentenceLenInDoc(10).minLengthOfSequences(2).build(), AffixVectors.NONE);
        assertEquals(List.of(List.of("ok")), ids(loader, 10));
    }

    @Test
    void affixVectorsAreAppended() {
        Dataset ds = DatasetOptionsTest.withAffixes(dataset("d", "p", 20), new Affixes(null, "End of text.", null, null));
        LoaderOptions o = opts().batchSize(4).build();
        AffixVectors vectors = new AffixVectors(Map.of(ds.name(), Map.of("End of text.", new float[] {9, 9, 9, 9})));
        LcmDataLoader loader = new LcmDataLoader(List.of(ds), o, vectors);
        int docs = 0;
        while (loader.hasNext()) {
            for (Document d : loader.next()) {
                docs++;
                assertArrayEquals(new float[] {9, 9, 9, 9}, d.embeddings()[d.length() - 1]);
                assertEquals("End of text.", d.sentences().get(d.sentences().size() - 1));
                int i = Integer.parseInt(d.id().substring(2));
                assertEquals(i % 13 + 2, d.length());
            }
        }
        assertEquals(20, docs);
    }

    @Test
    void userErrors() {
        Dataset ds = dataset("d", "p", 20);
        Dataset affixed = DatasetOptionsTest.withAffixes(ds, new Affixes(null, "End of text.", null, null));
        LcmException e = assertThrows(LcmException.class, () -> new LcmDataLoader(List.of(affixed),
                opts().batchSize(4).build(), AffixVectors.NONE));
        assertTrue(e.getMessage().contains("source_suffix_text 'End of text.' needs a concept encoder"), e.getMessage());
        e = assertThrows(LcmException.class, () -> new LcmDataLoader(List.of(affixed),
                opts().batchSize(4).build(),
                new AffixVectors(Map.of(ds.name(), Map.of("End of text.", new float[3])))));
        assertTrue(e.getMessage().contains("makes 3-d vectors but the data has 4-d vectors"), e.getMessage());
        assertThrows(LcmException.class, () -> opts().build());
        assertThrows(LcmException.class, () -> opts().batchSize(1).maxTokens(3).build());
        assertThrows(LcmException.class, () -> opts().batchSize(1).rank(2).worldSize(2).build());
        Dataset sup = Dataset.of("s", ds.root(), COLS.withTarget("text_sentences_sonar_emb", "text_sentences"), null);
        e = assertThrows(LcmException.class, () -> new LcmDataLoader(List.of(sup),
                opts().batchSize(4).lenToWrapLongSeq(3).build(), AffixVectors.NONE));
        assertTrue(e.getMessage().contains("len_to_wrap_long_seq"), e.getMessage());
        Consumer<LcmDataLoader> drain = l -> { while (l.hasNext()) l.next(); };
        e = assertThrows(LcmException.class, () -> drain.accept(
                new LcmDataLoader(List.of(ds), opts().batchSize(4).expectedDim(8).build(), AffixVectors.NONE)));
        assertTrue(e.getMessage().contains(".parquet: document ") && e.getMessage().contains("dimension 4")
                && e.getMessage().contains("expected 8"), e.getMessage());
    }

    @Test
    void supervisedDocumentsCountSourceAndTargetSentences() {
        Dataset ds = dataset("d", "p", 26);
        Dataset sup = Dataset.of("s", ds.root(), COLS.withTarget("text_sentences_sonar_emb", "text_sentences"), null);
        LcmDataLoader loader = new LcmDataLoader(List.of(sup), opts().maxTokens(26).shuffle(false).build(), AffixVectors.NONE);
        int docs = 0;
        while (loader.hasNext()) {
            for (Document d : loader.next()) {
                docs++;
                assertEquals(2 * d.sourceLength(), d.length());
            }
        }
        assertEquals(26, docs); // lengths 2..26 all fit the budget of 26
    }
}
