package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.DataCard;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
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
 * Prompt/answer data ({@code --source-column prompt --target-column answer}): each column is split and embedded on its
 * own, both are written with the reference's names ({@code prompt_sentences_sonar_emb}, {@code answer_sentences_sonar_emb})
 * and the datacard names them as source and target. Checked against the splitter applied to each column's text, the
 * test encoder applied to each sentence alone, and a one-column prepare of the answers.
 */
class PromptAnswerPrepareTest {
    static final int DIM = 24;
    @TempDir Path tmp;
    final SentenceSplitter splitter = SentenceSplitters.create(SentenceSplitters.DEFAULT);

    PrepareOptions options(SourceSpec spec, Path out, String name) {
        return PrepareOptions.defaults(spec, out, name, "eng_Latn").withShardSize(6).withThreads(3)
                .withBatching(40, 5).withValidationFraction(0.25);
    }

    /** {"id", "prompt", "answer"} lines; answers of documents 3 and 7 blank (skipped as empty). */
    Path promptAnswerJsonl(List<String> prompts, List<String> answers) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < prompts.size(); i++) {
            sb.append("{\"id\": \"q").append(i).append("\", \"prompt\": ").append(PrepareTestData.json(prompts.get(i)))
                    .append(", \"answer\": ").append(PrepareTestData.json(answers.get(i))).append("}\n");
        }
        Path in = tmp.resolve("qa.jsonl");
        Files.writeString(in, sb.toString(), StandardCharsets.UTF_8);
        return in;
    }

    static Map<String, Document> rows(Path dir, DataColumns cols, Map<String, String> splitOfId) throws IOException {
        return rows(dir, cols, splitOfId, DIM);
    }

    static Map<String, Document> rows(Path dir, DataColumns cols, Map<String, String> splitOfId, int dim) throws IOException {
        Map<String, Document> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        }
        for (Path f : files) {
            for (Document d : LcmParquetReader.readAll(f, cols, dim)) {
                assertNull(out.put(d.id(), d), "duplicate id " + d.id());
                splitOfId.put(d.id(), f.getParent().getFileName().toString());
            }
        }
        return out;
    }

    @Test
    void bothColumnsAreSplitAndEmbeddedOnTheirOwn() throws IOException {
        List<String> prompts = PrepareTestData.documents(20, 11), answers = new ArrayList<>(PrepareTestData.documents(20, 12));
        answers.set(3, " ");
        answers.set(7, "");
        Path in = promptAnswerJsonl(prompts, answers);
        Path out = tmp.resolve("qa");
        Preparer p = new Preparer(options(new SourceSpec(in.toString(), "jsonl", "prompt", "answer", "id", null), out, "qa"),
                new HashingEncoder(DIM), splitter);
        Preparer.Result r = p.run((i, d, s, resumed) -> { });
        assertEquals(2, r.skippedEmpty(), "rows without an answer are skipped and counted");

        DataCard card = DatacardRegistry.parse(out.resolve("datacard.yaml")).get(0);
        assertEquals("prompt_sentences_sonar_emb", card.sourceColumn());
        assertEquals("prompt_sentences", card.sourceTextColumn());
        assertEquals("answer_sentences_sonar_emb", card.targetColumn());
        assertEquals("answer_sentences", card.targetTextColumn());
        DataColumns cols = card.columns().withId("id");
        assertEquals(cols, p.columns());

        Map<String, String> splitOfId = new HashMap<>();
        Map<String, Document> rows = rows(out, cols, splitOfId);
        assertEquals(18, rows.size());
        Map<String, long[]> perSplit = new TreeMap<>(); // split -> documents, prompt sentences, answer sentences
        SplitAssigner assigner = new SplitAssigner(0, 0.25);
        for (int i = 0; i < prompts.size(); i++) {
            Document d = rows.get("q" + i);
            if (i == 3 || i == 7) {
                assertNull(d);
                continue;
            }
            List<String> ps = splitter.split(prompts.get(i), "eng_Latn"), as = splitter.split(answers.get(i), "eng_Latn");
            assertEquals(ps, d.sentences(), "prompt sentences of q" + i);
            assertEquals(as, d.targetSentences(), "answer sentences of q" + i);
            for (int s = 0; s < ps.size(); s++) assertArrayEquals(HashingEncoder.vector(ps.get(s), DIM), d.embeddings()[s], 0f);
            for (int s = 0; s < as.size(); s++) assertArrayEquals(HashingEncoder.vector(as.get(s), DIM), d.targetEmbeddings()[s], 0f);
            assertEquals("split=" + assigner.assign("q" + i), splitOfId.get("q" + i));
            long[] c = perSplit.computeIfAbsent(assigner.assign("q" + i), k -> new long[3]);
            c[0]++;
            c[1] += ps.size();
            c[2] += as.size();
        }
        List<String> want = new ArrayList<>();
        perSplit.forEach((k, c) -> {
            assertEquals(c[1], r.sentences().get(k), "prompt sentences of " + k);
            assertEquals(c[2], r.targetSentences().get(k), "answer sentences of " + k);
            want.add("split=" + k + " documents=" + c[0] + " sentences=" + c[1] + " target_sentences=" + c[2] + " dim=" + DIM);
        });
        assertEquals(want, PrepareRoundTripTest.stats(out.toString()), "./lcm data stats counts both columns");

        // the raw texts are kept under the input's column names, as the reference's prepared evaluation data
        Path anyPart;
        try (Stream<Path> s = Files.walk(out)) {
            anyPart = s.filter(f -> f.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
        try (StringColumnReader sr = new StringColumnReader(anyPart, List.of("id", "prompt", "answer"))) {
            Map<String, List<String>> g = sr.readRowGroup(0);
            int q = Integer.parseInt(g.get("id").get(0).substring(1));
            assertEquals(prompts.get(q), g.get("prompt").get(0));
            assertEquals(answers.get(q), g.get("answer").get(0));
        }

        // the answers alone, prepared as one-column data, have the same sentences and vectors
        StringBuilder alone = new StringBuilder();
        for (int i = 0; i < answers.size(); i++) {
            if (i == 3 || i == 7) continue;
            alone.append("{\"id\": \"q").append(i).append("\", \"answer\": ").append(PrepareTestData.json(answers.get(i))).append("}\n");
        }
        Path aIn = tmp.resolve("answers.jsonl");
        Files.writeString(aIn, alone.toString(), StandardCharsets.UTF_8);
        Path aOut = tmp.resolve("answers");
        Preparer single = new Preparer(options(new SourceSpec(aIn.toString(), "jsonl", "answer", "id", null), aOut, "answers")
                .withShardSize(4), new HashingEncoder(DIM), splitter);
        single.run((i, d, s, resumed) -> { });
        assertFalse(Files.readString(aOut.resolve(Manifest.FILE)).contains("target_sentences"), "one-text manifests keep their form");
        assertTrue(Files.readString(out.resolve(Manifest.FILE)).contains("\"target_sentences\""));
        Map<String, Document> singleRows = rows(aOut, single.columns(), new HashMap<>());
        assertEquals(rows.keySet(), singleRows.keySet());
        for (Map.Entry<String, Document> e : rows.entrySet()) {
            Document one = singleRows.get(e.getKey());
            assertEquals(one.sentences(), e.getValue().targetSentences());
            for (int s = 0; s < one.embeddings().length; s++) assertArrayEquals(one.embeddings()[s], e.getValue().targetEmbeddings()[s], 0f);
        }
    }

    @Test
    void csvAndParquetInputsReadTheTargetColumn() throws IOException {
        List<String> prompts = PrepareTestData.documents(5, 21), answers = PrepareTestData.documents(5, 22);
        StringBuilder csv = new StringBuilder("answer,key,question\n");
        for (int i = 0; i < 5; i++) {
            csv.append('"').append(answers.get(i).replace("\"", "\"\"")).append("\",k").append(i).append(",\"")
                    .append(prompts.get(i).replace("\"", "\"\"")).append("\"\n");
        }
        Path in = tmp.resolve("qa.csv");
        Files.writeString(in, csv.toString(), StandardCharsets.UTF_8);
        Path out = tmp.resolve("csvqa");
        Preparer p = new Preparer(options(new SourceSpec(in.toString(), "csv", "question", "answer", "key", null), out, "csvqa")
                .withValidationFraction(0), new HashingEncoder(DIM), splitter);
        p.run((i, d, s, resumed) -> { });
        Map<String, Document> rows = rows(out, p.columns(), new HashMap<>());
        assertEquals(5, rows.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(splitter.split(prompts.get(i), "eng_Latn"), rows.get("k" + i).sentences());
            assertEquals(splitter.split(answers.get(i), "eng_Latn"), rows.get("k" + i).targetSentences());
        }
        assertEquals("question_sentences_sonar_emb", p.columns().source());
        assertEquals("answer_sentences_sonar_emb", p.columns().target());
    }

    @Test
    void arrayTasksGiveTheLocalFilesAndAResumeKeepsTheColumns() throws Exception {
        Path in = promptAnswerJsonl(PrepareTestData.documents(12, 31), PrepareTestData.documents(12, 32));
        SourceSpec spec = new SourceSpec(in.toString(), "jsonl", "prompt", "answer", "id", null);
        Path local = tmp.resolve("local"), array = Files.createDirectories(tmp.resolve("array"));
        new Preparer(options(spec, local, "qa").withShardSize(4), new HashingEncoder(DIM), splitter).run((i, d, s, r) -> { });
        Preparer.checkOutputForArray(array, false);
        for (int task : new int[] {1, 0}) {
            new Preparer(options(spec, array, "qa").withShardSize(4), new HashingEncoder(DIM), splitter)
                    .runTask(new Preparer.ArrayTask(task, 2), (i, d, s, r) -> { });
        }
        new Preparer(options(spec, array, "qa").withShardSize(4), new HashingEncoder(DIM), splitter).merge((i, d, s, r) -> { });
        PrepareArrayTest.assertSameFiles(PrepareArrayTest.files(local), PrepareArrayTest.files(array));

        // the same output prepared again with one text column is another dataset: refused, naming the difference
        SourceSpec oneColumn = new SourceSpec(in.toString(), "jsonl", "prompt", "id", null);
        dev.lcm4j.LcmException e = assertThrows(dev.lcm4j.LcmException.class, () -> new Preparer(options(oneColumn, local, "qa")
                .withShardSize(4), new HashingEncoder(DIM), splitter).run((i, d, s, r) -> { }));
        assertTrue(e.getMessage().contains("target_column was answer, now none"), e.getMessage());
    }

    @Test
    void badPromptAnswerInputIsOneLineAndWritesNothing() throws IOException {
        Path in = tmp.resolve("qa.jsonl");
        Files.writeString(in, "{\"prompt\": \"Why?\", \"reply\": \"Because.\"}\n", StandardCharsets.UTF_8);
        Path out = tmp.resolve("out");
        String[] common = {"prepare", "--input", in.toString(), "--output", out.toString(), "--name", "qa"};
        Cli.assertUserError(Cli.exec(concat(common, "--target-column", "answer")), "--target-column answer needs --source-column");
        BadInputTest.assertNothingWritten(out);
        Cli.assertUserError(Cli.exec(concat(common, "--source-column", "prompt", "--target-column", "answer")),
                "qa.jsonl:1 has no field 'answer' (fields: prompt, reply)", "--target-column");
        BadInputTest.assertNothingWritten(out);
        Cli.assertUserError(Cli.exec(concat(common, "--source-column", "prompt", "--target-column", "prompt")),
                "--target-column 'prompt' is also the source column");
        Cli.assertUserError(Cli.exec(concat(common, "--source-column", "prompt", "--target-column", "the answer")),
                "must match [A-Za-z_][A-Za-z0-9_]*");
        Cli.assertUserError(Cli.exec("prepare", "--input", "europarl", "--output", out.toString(), "--name", "qa",
                "--source-column", "text", "--target-column", "answer"), "europarl corpus has one text per document");
        Path csv = tmp.resolve("qa.csv");
        Files.writeString(csv, "prompt,reply\nWhy?,Because.\n", StandardCharsets.UTF_8);
        Cli.assertUserError(Cli.exec("prepare", "--input", csv.toString(), "--format", "csv", "--output", out.toString(),
                "--name", "qa", "--source-column", "prompt", "--target-column", "answer"),
                "qa.csv has no column 'answer' (header: prompt, reply)", "--target-column");
        BadInputTest.assertNothingWritten(out);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
