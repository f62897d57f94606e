package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.retrieval.SentenceBank;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kill (an encoder that fails mid-run) and restart: finished shards stay untouched, the result equals a clean run. */
class PrepareResumeTest {
    static final int DIM = 16;
    @TempDir Path tmp;
    final SentenceSplitter splitter = SentenceSplitters.create(SentenceSplitters.DEFAULT);

    record FileState(byte[] bytes, FileTime mtime) {
    }

    static Map<String, FileState> snapshot(Path dir) throws IOException {
        Map<String, FileState> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".parquet")).toList()) {
                out.put(dir.relativize(p).toString(), new FileState(Files.readAllBytes(p), Files.getLastModifiedTime(p)));
            }
        }
        return out;
    }

    PrepareOptions options(Path in, Path out) {
        // one thread: the encoder's call order, and so the simulated kill point, is deterministic
        return PrepareOptions.defaults(new SourceSpec(in.toString(), "jsonl", "text", "id", null), out, "resume",
                "eng_Latn").withShardSize(6).withThreads(1).withBatching(60, 8).withValidationFraction(0.25);
    }

    @Test
    void killedRunResumesOnlyUnfinishedShards() throws Exception {
        List<String> docs = PrepareTestData.documents(30, 7); // 5 shards of 6 documents
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), docs);

        Path clean = tmp.resolve("clean");
        new Preparer(options(in, clean), new HashingEncoder(DIM), splitter).run((i, d, s, r) -> { });

        Path out = tmp.resolve("out");
        HashingEncoder dying = new HashingEncoder(DIM, 12);
        List<Integer> finished = new java.util.ArrayList<>();
        IllegalStateException kill = assertThrows(IllegalStateException.class,
                () -> new Preparer(options(in, out), dying, splitter).run((i, d, s, r) -> finished.add(i)));
        assertTrue(kill.getMessage().contains("simulated kill"));
        assertFalse(finished.isEmpty(), "the kill must come after at least one shard");
        assertTrue(finished.size() < 5, "the kill must come before the last shard");
        assertFalse(Files.exists(out.resolve("datacard.yaml")), "no datacard for an unfinished dataset");
        // a half-written temporary as a killed writer would leave it
        Files.writeString(out.resolve("split=train/part-00004.parquet.tmp-99999"), "partial");
        Map<String, FileState> before = snapshot(out);
        Thread.sleep(20); // a rewritten file would get a later mtime

        HashingEncoder second = new HashingEncoder(DIM);
        List<Boolean> resumedFlags = new java.util.ArrayList<>();
        Preparer.Result r = new Preparer(options(in, out), second, splitter).run((i, d, s, res) -> resumedFlags.add(res));
        assertEquals(finished.size(), r.resumedShards());
        for (int i = 0; i < 5; i++) assertEquals(i < finished.size(), resumedFlags.get(i));

        // finished shards untouched: same bytes and mtime
        Map<String, FileState> after = snapshot(out);
        for (Map.Entry<String, FileState> e : before.entrySet()) {
            int shard = Integer.parseInt(e.getKey().replaceAll(".*part-(\\d+)\\.parquet", "$1"));
            if (shard < finished.size()) {
                assertArrayEquals(e.getValue().bytes(), after.get(e.getKey()).bytes(), e.getKey());
                assertEquals(e.getValue().mtime(), after.get(e.getKey()).mtime(), e.getKey());
            }
        }
        // the rerun encoded only sentences of unfinished shards
        Set<String> unfinished = new HashSet<>();
        for (int i = finished.size() * 6; i < docs.size(); i++) unfinished.addAll(splitter.split(docs.get(i), "eng_Latn"));
        assertEquals(unfinished, new HashSet<>(second.seen));
        // identical to the uninterrupted run, file for file, and no temporaries left
        Map<String, FileState> ref = snapshot(clean);
        assertEquals(ref.keySet(), after.keySet());
        for (String k : ref.keySet()) assertArrayEquals(ref.get(k).bytes(), after.get(k).bytes(), k);
        try (Stream<Path> s = Files.walk(out)) {
            assertTrue(s.noneMatch(p -> p.toString().contains(".tmp-")));
        }
        assertEquals(Files.readString(clean.resolve("datacard.yaml")).replace(clean.toString(), "X"),
                Files.readString(out.resolve("datacard.yaml")).replace(out.toString(), "X"));
    }

    @Test
    void differentSettingsAreRefusedUnlessOverwrite() throws IOException {
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), PrepareTestData.documents(10, 8));
        Path out = tmp.resolve("out");
        new Preparer(options(in, out), new HashingEncoder(DIM), splitter).run((i, d, s, r) -> { });
        Map<String, FileState> before = snapshot(out);

        LcmException e = assertThrows(LcmException.class, () -> new Preparer(options(in, out).withShardSize(4),
                new HashingEncoder(DIM), splitter).run((i, d, s, r) -> { }));
        assertTrue(e.getMessage().contains("shard_size was 6, now 4"), e.getMessage());
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());

        LcmException dim = assertThrows(LcmException.class, () -> new Preparer(options(in, out),
                new HashingEncoder(DIM + 1), splitter).run((i, d, s, r) -> { }));
        assertTrue(dim.getMessage().contains("dimension differs"), dim.getMessage());
        assertTrue(dim.getMessage().contains("dim was 16, now 17"), dim.getMessage());
        Map<String, FileState> after = snapshot(out);
        for (String k : before.keySet()) assertArrayEquals(before.get(k).bytes(), after.get(k).bytes());

        // --overwrite replaces the dataset, its sentence bank included (it was built from the old data), and nothing else
        Files.writeString(out.resolve(SentenceBank.FILE_NAME), "bank of the old dataset");
        Files.writeString(out.resolve("notes.txt"), "not the dataset's");
        Preparer.Result r = new Preparer(options(in, out).withShardSize(4).withOverwrite(true), new HashingEncoder(DIM + 1),
                splitter).run((i, d, s, x) -> { });
        assertEquals(0, r.resumedShards());
        assertEquals(3, r.shards());
        assertFalse(Files.exists(out.resolve(SentenceBank.FILE_NAME)));
        assertEquals("not the dataset's", Files.readString(out.resolve("notes.txt")));
    }

    @Test
    void encoderDimensionDiffersFromAnExistingDataset() throws IOException {
        Path in = PrepareTestData.jsonl(tmp.resolve("in.jsonl"), PrepareTestData.documents(5, 9));
        Path out = tmp.resolve("synth");
        SyntheticData.write(out, "synth", 6, 32, 1); // a 32-dim dataset made by another command
        LcmException e = assertThrows(LcmException.class,
                () -> new Preparer(options(in, out), new HashingEncoder(DIM), splitter).run((i, d, s, r) -> { }));
        assertTrue(e.getMessage().contains("16-dim vectors") && e.getMessage().contains("dim 32"), e.getMessage());
        LcmException same = assertThrows(LcmException.class,
                () -> new Preparer(options(in, out), new HashingEncoder(32), splitter).run((i, d, s, r) -> { }));
        assertTrue(same.getMessage().contains("not written by a prepare run"), same.getMessage());
    }
}
