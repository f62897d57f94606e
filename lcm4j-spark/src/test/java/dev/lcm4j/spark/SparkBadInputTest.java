package dev.lcm4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./lcm prepare --engine spark} on bad input: one error line, exit code 2, nothing written. These are checked
 * before Spark starts, so they are quick.
 */
class SparkBadInputTest {
    @TempDir Path tmp;

    private CliRun prepare(Path input, String format, String... extra) {
        List<String> a = new ArrayList<>(List.of("prepare", "--engine", "spark", "--spark-master", "local[1]",
                "--input", input.toString(), "--format", format, "--output", tmp.resolve("out").toString(), "--name", "bad"));
        a.addAll(List.of(extra));
        return CliRun.exec(a);
    }

    @Test
    void missingInputPathIsOneLineAndWritesNothing() {
        prepare(tmp.resolve("nowhere/corpus.jsonl"), "jsonl").assertUserError("input ", "nowhere/corpus.jsonl does not exist", "hdfs://");
        assertFalse(Files.exists(tmp.resolve("out")));
        prepare(Path.of("file:" + tmp.resolve("gone")), "parquet").assertUserError("gone does not exist");
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void absentTextColumnIsOneLineAndWritesNothing() throws IOException {
        Path jsonl = Files.writeString(tmp.resolve("a.jsonl"), "{\"body\": \"Hello there.\", \"n\": 1}\n");
        prepare(jsonl, "jsonl").assertUserError("a.jsonl:1 has no field 'text' (fields: body, n)", "--text-column");
        Path dir = Files.createDirectories(tmp.resolve("csvs/sub"));
        Files.writeString(dir.resolve("b.csv"), "id,body\n1,hello\n");
        prepare(tmp.resolve("csvs"), "csv").assertUserError("b.csv has no column 'text' (header: id, body)");
        prepare(jsonl, "jsonl", "--text-column", "content").assertUserError("has no field 'content'");
        prepare(jsonl, "jsonl", "--target-column", "n").assertUserError("--target-column n needs --source-column");
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void emptyDirectoryAndExistingDatasetAreRefused() throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        prepare(tmp.resolve("empty"), "jsonl").assertUserError("has no *.jsonl files");
        Path jsonl = Files.writeString(tmp.resolve("a.jsonl"), "{\"text\": \"Hello there.\"}\n");
        Path card = Files.createDirectories(tmp.resolve("out")).resolve("datacard.yaml");
        Files.writeString(card, "name: earlier\n");
        prepare(jsonl, "jsonl").assertUserError("already holds a dataset (datacard.yaml)", "--overwrite");
        assertEquals("name: earlier\n", Files.readString(card));
    }

    @Test
    void slurmOptionsAndThreadsOnAClusterAreRefusedByName() throws IOException {
        Path jsonl = Files.writeString(tmp.resolve("a.jsonl"), "{\"text\": \"Hello there.\"}\n");
        prepare(jsonl, "jsonl", "--launcher", "submitit").assertUserError("--launcher submitit", "--engine spark");
        prepare(jsonl, "jsonl", "--nshards", "2").assertUserError("--nshards belongs to --launcher submitit");
        CliRun r = CliRun.exec(List.of("prepare", "--engine", "spark", "--spark-master", "spark://head:7077", "--threads", "4",
                "--input", jsonl.toString(), "--output", tmp.resolve("out").toString(), "--name", "x"));
        r.assertUserError("--threads sets the N of local[N]", "spark.task.cpus");
        prepare(jsonl, "jsonl", "--threads", "2").assertUserError("--threads sets the N of local[N] and --spark-master local[1]");
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void sparkSubmitMainAddsTheEngineUnlessGiven() {
        assertArrayEquals(new String[] {"prepare", "--input", "x", "--engine", "spark"},
                SparkPrepareMain.arguments(new String[] {"--input", "x"}));
        assertArrayEquals(new String[] {"prepare", "--engine=spark", "--input", "x"},
                SparkPrepareMain.arguments(new String[] {"--engine=spark", "--input", "x"}));
        assertTrue(new ShardPartitioner(4, 3).getPartition(11L) == 3 && new ShardPartitioner(4, 3).getPartition(0L) == 0);
    }
}
