package dev.lcm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.StringColumnReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark {@code local[2]} against the standalone {@code ./lcm prepare} on the same input and seed: the same files
 * under {@code split=train|validation}, the same rows (ids, texts, sentences, vectors within 1e-6), the same
 * datacard and sentence bank; also when the first attempt of a task fails after committing part of its shard.
 */
@Tag("slow")
class SparkPrepareEquivalenceTest {
    @TempDir Path tmp;

    /**
     * Two jsonl files in a directory (read in relative-path order: a.jsonl, then sub/b.jsonl), with a blank line,
     * a blank text and a null text; --max-docs 9 stops inside sub/b.jsonl, before its last blank document, which a
     * standalone run never reads (so it must not be counted as skipped).
     */
    private Path corpus() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("corpus/sub"));
        List<String> a = new ArrayList<>();
        for (int i = 0; i < 5; i++) a.add(doc(i));
        a.add(2, "");
        a.add(4, "{\"text\": \"   \"}");
        Files.write(tmp.resolve("corpus/a.jsonl"), a);
        List<String> b = new ArrayList<>();
        for (int i = 5; i < 12; i++) b.add(doc(i));
        b.add(1, "{\"text\": null}");
        b.add("{\"text\": \"\"}");
        Files.write(dir.resolve("b.jsonl"), b);
        Files.writeString(dir.resolve("ignored.txt"), "not of --format jsonl");
        return tmp.resolve("corpus");
    }

    private static String doc(int i) {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s <= i % 4; s++) {
            sb.append("Document ").append(i).append(" says thing number ").append(s).append(" about the parliament. ");
        }
        return "{\"text\": \"" + sb.toString().strip() + "\"}";
    }

    private static List<String> args(Path input, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("prepare", "--input", input.toString(), "--output", out.toString(),
                "--name", "sparktest", "--shard-size", "3", "--max-docs", "9", "--seed", "7", "--validation-fraction", "0.3"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void sparkWritesTheStandaloneDatasetAlsoWhenATaskIsRetried() throws IOException {
        Path in = corpus();
        Path reference = tmp.resolve("standalone");
        CliRun standalone = CliRun.exec(args(in, reference, "--threads", "2"));
        assertEquals(0, standalone.code(), standalone.err());

        CliRun spark = CliRun.exec(args(in, tmp.resolve("spark"), "--engine", "spark", "--spark-master", "local[2]"));
        assertEquals(0, spark.code(), spark.err());
        assertSameDataset(reference, tmp.resolve("spark"));
        assertTrue(spark.out().contains("3 shards, 2 empty documents skipped"), spark.out());

        System.setProperty(SparkPrepareJob.FAIL_FIRST_ATTEMPT_OF_SHARD, "1");
        try {
            // local[2,2]: two attempts per task; shard 1's first attempt dies after committing its first file
            CliRun retried = CliRun.exec(args(in, tmp.resolve("retried"), "--engine", "spark", "--spark-master", "local[2,2]"));
            assertEquals(0, retried.code(), retried.err());
            assertSameDataset(reference, tmp.resolve("retried"));

            // one attempt per task: the injected failure is real, the job fails, and no shard file stays behind
            CliRun failed = CliRun.exec(args(in, tmp.resolve("failed"), "--engine", "spark", "--spark-master", "local[2,1]"));
            assertEquals(1, failed.code(), failed.out());
            assertTrue(failed.err().contains("injected failure of the first attempt of shard 1"), failed.err());
            assertEquals(List.of(), files(tmp.resolve("failed")));
        } finally {
            System.clearProperty(SparkPrepareJob.FAIL_FIRST_ATTEMPT_OF_SHARD);
        }
    }

    @Test
    void europarlWithTheLanguageFilterGivesTheSameDatasetAndCounters() throws IOException {
        Path reference = tmp.resolve("standalone");
        List<String> common = List.of("prepare", "--input", "europarl", "--name", "eu", "--max-docs", "7", "--shard-size", "4",
                "--no-bank");
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--output", reference.toString()));
        CliRun standalone = CliRun.exec(a);
        assertEquals(0, standalone.code(), standalone.err());
        List<String> b = new ArrayList<>(common);
        b.addAll(List.of("--output", tmp.resolve("spark").toString(), "--engine", "spark", "--spark-master", "local[2]"));
        CliRun spark = CliRun.exec(b);
        assertEquals(0, spark.code(), spark.err());
        assertSameDataset(reference, tmp.resolve("spark"));
        assertTrue(Files.readString(reference.resolve("datacard.yaml")).contains("skipped_other_language: "));
    }

    @Test
    void promptAnswerColumnsGiveTheSameDatasetOnSpark() throws IOException {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            rows.add("{\"prompt\": \"Question " + i + " asks about the budget. It wants a reply.\", \"answer\": \"Answer " + i
                    + " gives the figure. " + "It adds a reason. ".repeat(i % 3) + "\"}");
        }
        rows.add(3, "{\"prompt\": \"A prompt without an answer.\", \"answer\": \" \"}");
        Path in = Files.write(tmp.resolve("qa.jsonl"), rows);
        List<String> common = List.of("prepare", "--input", in.toString(), "--source-column", "prompt", "--target-column",
                "answer", "--name", "qa", "--shard-size", "2", "--validation-fraction", "0.3", "--no-bank");
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--output", tmp.resolve("standalone").toString()));
        CliRun standalone = CliRun.exec(a);
        assertEquals(0, standalone.code(), standalone.err());
        List<String> b = new ArrayList<>(common);
        b.addAll(List.of("--output", tmp.resolve("spark").toString(), "--engine", "spark", "--spark-master", "local[2]"));
        CliRun spark = CliRun.exec(b);
        assertEquals(0, spark.code(), spark.err());
        assertTrue(spark.out().contains("target_sentences="), spark.out());
        assertSameDataset(tmp.resolve("standalone"), tmp.resolve("spark"),
                new DataColumns("prompt_sentences_sonar_emb", "prompt_sentences", "answer_sentences_sonar_emb", "answer_sentences", "id"),
                "prompt");
    }

    static void assertSameDataset(Path reference, Path spark) throws IOException {
        assertSameDataset(reference, spark, new DataColumns("text_sentences_sonar_emb", "text_sentences", null, null, "id"), "text");
    }

    /** The standalone run's files (less its resume manifest) and the Spark run's are the same, row for row. */
    static void assertSameDataset(Path reference, Path spark, DataColumns cols, String textColumn) throws IOException {
        List<String> expected = new ArrayList<>(files(reference));
        expected.remove("prepare_manifest.json");
        assertEquals(expected, files(spark));
        assertTrue(expected.stream().anyMatch(f -> f.startsWith("split=train/part-")), expected.toString());
        assertTrue(expected.stream().anyMatch(f -> f.startsWith("split=validation/part-")), expected.toString());
        assertEquals(Files.readString(reference.resolve("datacard.yaml")), Files.readString(spark.resolve("datacard.yaml")));
        if (Files.exists(reference.resolve("sentence_bank.bin"))) {
            assertEquals(-1L, Files.mismatch(reference.resolve("sentence_bank.bin"), spark.resolve("sentence_bank.bin")));
        }
        for (String f : expected) {
            if (!f.endsWith(".parquet")) continue;
            List<Document> want = LcmParquetReader.readAll(reference.resolve(f), cols, 0);
            List<Document> got = LcmParquetReader.readAll(spark.resolve(f), cols, 0);
            assertEquals(want.size(), got.size(), f);
            assertFalse(want.isEmpty(), f);
            for (int i = 0; i < want.size(); i++) {
                Document w = want.get(i), g = got.get(i);
                assertEquals(w.id(), g.id(), f);
                assertEquals(w.sentences(), g.sentences(), f + " " + w.id());
                assertClose(w.embeddings(), g.embeddings(), f + " " + w.id());
                assertEquals(w.targetSentences(), g.targetSentences(), f + " " + w.id());
                if (cols.target() != null) {
                    assertFalse(w.targetSentences().isEmpty(), f + " " + w.id());
                    assertClose(w.targetEmbeddings(), g.targetEmbeddings(), f + " " + w.id() + " target");
                }
            }
            assertEquals(texts(reference.resolve(f), textColumn), texts(spark.resolve(f), textColumn), f);
        }
    }

    private static void assertClose(float[][] want, float[][] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int s = 0; s < want.length; s++) {
            assertEquals(want[s].length, got[s].length, what);
            for (int k = 0; k < want[s].length; k++) assertEquals(want[s][k], got[s][k], 1e-6, what + " sentence " + s);
        }
    }

    private static List<String> texts(Path parquet, String textColumn) {
        try (StringColumnReader r = new StringColumnReader(parquet, List.of("id", textColumn))) {
            List<String> out = new ArrayList<>();
            for (int g = 0; g < r.rowGroupCount(); g++) {
                var rows = r.readRowGroup(g);
                for (int i = 0; i < rows.get("id").size(); i++) out.add(rows.get("id").get(i) + "\t" + rows.get(textColumn).get(i));
            }
            return out;
        }
    }

    /** Every file under {@code dir}, relative and sorted. */
    static List<String> files(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }
}
