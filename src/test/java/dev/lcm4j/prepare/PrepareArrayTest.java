package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shard split behind {@code ./lcm prepare --launcher submitit --nshards N}, run in-process: the tasks of an array
 * (in any order, one failing and rerun) plus the merge give the files of a local run byte for byte.
 */
class PrepareArrayTest {
    static final int DIM = 16;
    @TempDir Path tmp;
    final SentenceSplitter splitter = SentenceSplitters.create(SentenceSplitters.DEFAULT);

    PrepareOptions options(Path in, Path out) {
        return PrepareOptions.defaults(new SourceSpec(in.toString(), "jsonl", "text", "id", null), out, "arr",
                "eng_Latn").withShardSize(4).withThreads(1).withBatching(60, 8).withValidationFraction(0.25);
    }

    Preparer preparer(Path in, Path out) {
        return new Preparer(options(in, out), new HashingEncoder(DIM), splitter);
    }

    /** Every file under {@code dir} but the array's bookkeeping, by relative path. */
    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
        return out;
    }

    static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) assertArrayEquals(expected.get(k), actual.get(k), k);
    }

    @Test
    void tasksThenMergeEqualALocalRun() throws Exception {
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), PrepareTestData.documents(30, 3)); // 8 shards
        Path local = tmp.resolve("local"), array = tmp.resolve("array");
        Preparer.Result ref = preparer(in, local).run((i, d, s, r) -> { });
        assertEquals(8, ref.shards());

        Files.createDirectories(array);
        Preparer.checkOutputForArray(array, false);
        List<Integer> seen = new ArrayList<>();
        // task 2 first: the tasks of an array start in any order and share nothing but the directory
        Preparer.TaskResult t2 = preparer(in, array).runTask(new Preparer.ArrayTask(2, 3), (i, d, s, r) -> seen.add(i));
        assertEquals(List.of(2, 5), seen);
        assertEquals(new Preparer.TaskResult(new Preparer.ArrayTask(2, 3), 8, 2, 2, 0), t2);
        assertFalse(Files.exists(array.resolve(Manifest.FILE)), "tasks never write the shared manifest");
        assertFalse(Files.exists(array.resolve("datacard.yaml")));
        assertTrue(Files.isRegularFile(array.resolve("prepare_tasks/task-00002-of-00003.json")));
        preparer(in, array).runTask(new Preparer.ArrayTask(0, 3), (i, d, s, r) -> { });

        // the merge refuses while task 1's shards are missing, naming the first one and the way out
        LcmException missing = assertThrows(LcmException.class, () -> preparer(in, array).merge((i, d, s, r) -> { }));
        assertTrue(missing.getMessage().contains("shard 1 of"), missing.getMessage());
        assertTrue(missing.getMessage().contains("--launcher submitit command again"), missing.getMessage());
        assertFalse(Files.exists(array.resolve("datacard.yaml")));

        // a rerun of a finished task redoes nothing
        Preparer.TaskResult again = preparer(in, array).runTask(new Preparer.ArrayTask(0, 3), (i, d, s, r) -> assertTrue(r));
        assertEquals(0, again.preparedShards());
        assertEquals(3, again.resumedShards());
        preparer(in, array).runTask(new Preparer.ArrayTask(1, 3), (i, d, s, r) -> { });

        Preparer.Result merged = preparer(in, array).merge((i, d, s, r) -> assertTrue(r, "the merge prepares nothing"));
        assertEquals(8, merged.resumedShards());
        assertEquals(ref.documents(), merged.documents());
        assertFalse(Files.exists(array.resolve(Manifest.TASKS_DIR)), "task files are folded into the manifest and removed");
        assertSameFiles(files(local), files(array));
    }

    @Test
    void aLocalRunFinishesAnInterruptedArray() throws Exception {
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), PrepareTestData.documents(20, 5)); // 5 shards
        Path local = tmp.resolve("local"), array = tmp.resolve("array");
        preparer(in, local).run((i, d, s, r) -> { });
        Files.createDirectories(array);
        preparer(in, array).runTask(new Preparer.ArrayTask(1, 2), (i, d, s, r) -> { });
        List<Boolean> resumed = new ArrayList<>();
        preparer(in, array).run((i, d, s, r) -> resumed.add(r));
        assertEquals(List.of(false, true, false, true, false), resumed);
        assertSameFiles(files(local), files(array));
    }

    @Test
    void taskFilesOfOtherSettingsAndBadTaskNumbersAreRefused() throws Exception {
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), PrepareTestData.documents(12, 2));
        Path array = tmp.resolve("array");
        Files.createDirectories(array);
        preparer(in, array).runTask(new Preparer.ArrayTask(0, 2), (i, d, s, r) -> { });
        Preparer other = new Preparer(options(in, array).withShardSize(5), new HashingEncoder(DIM), splitter);
        LcmException e = assertThrows(LcmException.class, () -> other.runTask(new Preparer.ArrayTask(1, 2), (i, d, s, r) -> { }));
        assertTrue(e.getMessage().contains("task-00000-of-00002.json was written by an array task with other settings"), e.getMessage());
        assertTrue(e.getMessage().contains("shard_size was 4, now 5"), e.getMessage());
        assertEquals("--nshards must be at least 1, got 0", assertThrows(LcmException.class, () -> new Preparer.ArrayTask(0, 0)).getMessage());
        assertEquals("--array-task must be between 0 and 1 (--nshards 2), got 2",
                assertThrows(LcmException.class, () -> new Preparer.ArrayTask(2, 2)).getMessage());

        // --overwrite at submission clears the previous dataset and the task files, once
        Preparer.checkOutputForArray(array, true);
        assertFalse(Files.exists(array.resolve(Manifest.TASKS_DIR)));
        // parquet files of no prepare run are refused as a local run refuses them
        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign.resolve("split=train"));
        Files.writeString(foreign.resolve("split=train/part-00000.parquet"), "x");
        e = assertThrows(LcmException.class, () -> Preparer.checkOutputForArray(foreign, false));
        assertTrue(e.getMessage().contains("not written by a prepare run"), e.getMessage());
    }
}
