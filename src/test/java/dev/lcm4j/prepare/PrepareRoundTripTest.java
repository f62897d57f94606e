package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.DataCard;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.LcmParquetWriter;
import dev.lcm4j.data.StringColumnReader;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text in -> parquet out: every kept document is in the split its id hashes to, its sentences are exactly the
 * splitter's output for its text, and its vectors are exactly the encoder's vectors for those sentences, encoded
 * here one sentence at a time (prepare encodes them in sorted, token-budgeted, concurrent batches).
 */
class PrepareRoundTripTest {
    static final int DIM = 24;
    @TempDir Path tmp;
    final SentenceSplitter splitter = SentenceSplitters.create(SentenceSplitters.DEFAULT);

    PrepareOptions options(SourceSpec spec, Path out, String name) {
        return PrepareOptions.defaults(spec, out, name, "eng_Latn").withShardSize(7).withThreads(3)
                .withBatching(40, 5).withValidationFraction(0.2);
    }

    /** id -> (split, document) of every row under {@code dir}, read with the project's LCM reader. */
    static Map<String, Document> readBack(Path dir, DataColumns cols, Map<String, String> splitOfId) throws IOException {
        Map<String, Document> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        }
        for (Path f : files) {
            String split = f.getParent().getFileName().toString().substring("split=".length());
            for (Document d : LcmParquetReader.readAll(f, cols, DIM)) {
                assertNull(out.put(d.id(), d), "duplicate id " + d.id());
                splitOfId.put(d.id(), split);
            }
        }
        return out;
    }

    void assertRoundTrip(Path out, DataColumns cols, Map<String, String> textOfId, SplitAssigner assigner) throws IOException {
        Map<String, String> splitOfId = new HashMap<>();
        Map<String, Document> rows = readBack(out, cols, splitOfId);
        assertEquals(textOfId.keySet(), rows.keySet());
        for (Map.Entry<String, String> e : textOfId.entrySet()) {
            Document d = rows.get(e.getKey());
            List<String> expected = splitter.split(e.getValue(), "eng_Latn");
            assertEquals(expected, d.sentences(), "sentences of " + e.getKey());
            assertEquals(expected.size(), d.embeddings().length);
            for (int s = 0; s < expected.size(); s++) {
                assertArrayEquals(HashingEncoder.vector(expected.get(s), DIM), d.embeddings()[s], 0f,
                        e.getKey() + " sentence " + s);
            }
            if (assigner != null) assertEquals(assigner.assign(e.getKey()), splitOfId.get(e.getKey()));
        }
    }

    @Test
    void jsonlRoundTripWithEmptyDocumentsCounted() throws IOException {
        List<String> docs = PrepareTestData.documents(40, 1);
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), docs);
        // three empty documents (empty, blank, null) and a blank line, appended
        Files.writeString(in, "{\"id\": \"e1\", \"text\": \"\"}\n\n{\"id\": \"e2\", \"text\": \"  \\n \"}\n"
                + "{\"id\": \"e3\", \"text\": null}\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        Path out = tmp.resolve("out");
        PrepareOptions opt = options(new SourceSpec(in.toString(), "jsonl", "text", "id", null), out, "rt_jsonl");
        Preparer p = new Preparer(opt, new HashingEncoder(DIM), splitter);
        Preparer.Result r = p.run((i, d, s, resumed) -> { });
        assertEquals(3, r.skippedEmpty());
        assertEquals(6, r.shards()); // 40 kept documents in shards of 7
        Map<String, String> textOfId = new TreeMap<>();
        for (int i = 0; i < docs.size(); i++) textOfId.put("doc" + i, docs.get(i));
        assertRoundTrip(out, p.columns(), textOfId, new SplitAssigner(0, 0.2));
        // the raw text column holds the input text
        try (StringColumnReader sr = new StringColumnReader(out.resolve("split=train/part-00000.parquet"), List.of("id", "text"))) {
            Map<String, List<String>> g = sr.readRowGroup(0);
            for (int i = 0; i < g.get("id").size(); i++) assertEquals(textOfId.get(g.get("id").get(i)), g.get("text").get(i));
        }
        // counts in the datacard and the result agree with an independent tally of the input
        long sentences = textOfId.values().stream().mapToLong(t -> splitter.split(t, "eng_Latn").size()).sum();
        assertEquals(sentences, r.sentences().values().stream().mapToLong(Long::longValue).sum());
        DataCard card = DatacardRegistry.parse(out.resolve("datacard.yaml")).get(0);
        assertEquals("rt_jsonl", card.name());
        assertEquals("test_hashing_24", card.extra().get("concept_encoder"));
        assertEquals(out.toAbsolutePath().normalize(), card.root("local"));
        assertEquals(p.columns().source(), card.sourceColumn());
    }

    @Test
    void dataStatsByDirectoryAndByName() throws IOException {
        List<String> docs = PrepareTestData.documents(25, 2);
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), docs);
        Path out = tmp.resolve("stats");
        PrepareOptions opt = options(new SourceSpec(in.toString(), "jsonl", "text", "id", null), out, "rt_stats");
        new Preparer(opt, new HashingEncoder(DIM), splitter).run((i, d, s, resumed) -> { });
        // expected lines from the input alone: the hash split of each id and the splitter's sentence count
        SplitAssigner a = new SplitAssigner(0, 0.2);
        Map<String, long[]> expected = new TreeMap<>();
        for (int i = 0; i < docs.size(); i++) {
            long[] c = expected.computeIfAbsent(a.assign("doc" + i), k -> new long[2]);
            c[0]++;
            c[1] += splitter.split(docs.get(i), "eng_Latn").size();
        }
        List<String> want = new ArrayList<>();
        expected.forEach((k, c) -> want.add("split=" + k + " documents=" + c[0] + " sentences=" + c[1] + " dim=" + DIM));
        assertEquals(want, stats(out.toString()));
        System.setProperty("LCM_CARDS_PATH", out.toString());
        try {
            assertEquals(want, stats("rt_stats"));
        } finally {
            System.clearProperty("LCM_CARDS_PATH");
        }
    }

    static List<String> stats(String target) {
        Cli.Outcome o = Cli.exec("data", "stats", target);
        assertEquals(0, o.code(), o.err());
        return o.out().lines().toList();
    }

    @Test
    void csvWithQuotingAndSplitColumn() throws IOException {
        List<String> docs = new ArrayList<>(PrepareTestData.documents(12, 3));
        docs.set(0, "He said \"no\", twice. Then, he left.");
        docs.set(1, "First line, with comma.\nSecond line \"quoted\".");
        StringBuilder csv = new StringBuilder("key,body,part\r\n");
        Map<String, String> textOfId = new TreeMap<>();
        Map<String, String> partOfId = new TreeMap<>();
        for (int i = 0; i < docs.size(); i++) {
            String part = i % 3 == 0 ? "validation" : "train";
            csv.append("k").append(i).append(",\"").append(docs.get(i).replace("\"", "\"\"")).append("\",").append(part).append("\r\n");
            textOfId.put("k" + i, docs.get(i));
            partOfId.put("k" + i, part);
        }
        Path in = tmp.resolve("in.csv");
        Files.writeString(in, csv.toString(), StandardCharsets.UTF_8);
        Path out = tmp.resolve("csvout");
        Preparer p = new Preparer(options(new SourceSpec(in.toString(), "csv", "body", "key", "part"), out, "rt_csv"),
                new HashingEncoder(DIM), splitter);
        p.run((i, d, s, resumed) -> { });
        assertRoundTrip(out, p.columns(), textOfId, null);
        Map<String, String> splitOfId = new HashMap<>();
        readBack(out, p.columns(), splitOfId);
        assertEquals(partOfId, new TreeMap<>(splitOfId));
        assertEquals("body_sentences_sonar_emb", p.columns().source());
    }

    @Test
    void parquetInputAndDirectoryOfJsonl() throws IOException {
        List<String> docs = PrepareTestData.documents(15, 4);
        // a parquet file with one string column 'body', written with parquet-java through the project's writer
        DataColumns holder = new DataColumns("unused_emb", null, null, null, "body");
        List<Document> rows = new ArrayList<>();
        for (String d : docs) rows.add(new Document(d, null, null));
        Path pq = tmp.resolve("in.parquet");
        LcmParquetWriter.write(pq, holder, 4, 6, rows);
        Path out = tmp.resolve("pqout");
        Preparer p = new Preparer(options(new SourceSpec(pq.toString(), "parquet", "body", null, null), out, "rt_pq"),
                new HashingEncoder(DIM), splitter);
        p.run((i, d, s, resumed) -> { });
        Map<String, String> textOfId = new TreeMap<>();
        for (int i = 0; i < docs.size(); i++) textOfId.put(Integer.toString(i + 1), docs.get(i)); // id = row number
        assertRoundTrip(out, p.columns(), textOfId, new SplitAssigner(0, 0.2));

        Path dir = tmp.resolve("dir");
        PrepareTestData.jsonl(dir.resolve("b/2.jsonl"), docs.subList(0, 5));
        PrepareTestData.jsonl(dir.resolve("a.jsonl"), docs.subList(5, 15));
        Path out2 = tmp.resolve("dirout");
        Preparer p2 = new Preparer(options(new SourceSpec(dir.toString(), "jsonl", "text", null, null), out2, "rt_dir"),
                new HashingEncoder(DIM), splitter);
        p2.run((i, d, s, resumed) -> { });
        Map<String, String> byPos = new TreeMap<>();
        for (int i = 0; i < 10; i++) byPos.put("a.jsonl:" + (i + 1), docs.get(5 + i));
        for (int i = 0; i < 5; i++) byPos.put("b/2.jsonl:" + (i + 1), docs.get(i));
        assertRoundTrip(out2, p2.columns(), byPos, new SplitAssigner(0, 0.2));
    }

    @Test
    void batchesStayWithinTheTokenBudgetAndCoverEverySentenceOnce() {
        List<String> sentences = new ArrayList<>();
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 500; i++) sentences.add("x".repeat(1 + r.nextInt(300)));
        Embedder e = new Embedder(new HashingEncoder(DIM), "eng_Latn", 200, 16, null);
        int[] seen = new int[sentences.size()];
        for (int[] b : e.batches(sentences)) {
            int longest = 0;
            for (int i : b) {
                seen[i]++;
                longest = Math.max(longest, sentences.get(i).length() / 4 + 1);
            }
            assertTrue(b.length <= 16);
            assertTrue(b.length == 1 || b.length * longest <= 200, "batch of " + b.length + " x " + longest);
        }
        for (int c : seen) assertEquals(1, c);
    }
}
