package dev.lcm4j.prepare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code DIR/prepare_manifest.json}: the settings a dataset was prepared with (input fingerprint, options, encoder,
 * dimension) and the shards already finished, with their per-split document and sentence counts. It is rewritten
 * atomically after each shard's files are renamed into place, so a shard listed here is complete on disk; a shard
 * not listed is redone (its files, if any, are overwritten).
 *
 * <p>The tasks of a SLURM array ({@code --launcher submitit --nshards N}) run at the same time, so none of them
 * rewrites this file: each records its finished shards in its own file of the same format,
 * {@code DIR/prepare_tasks/task-I-of-N.json}, and the run after them (the merge job, or any local run) folds those
 * into the manifest and deletes them.
 */
final class Manifest {
    static final String FILE = "prepare_manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    record Content(Map<String, String> settings, Map<Integer, Preparer.ShardCounts> shards) {
    }

    private Manifest() {
    }

    static Path path(Path dir) {
        return dir.resolve(FILE);
    }

    /** The folder of the array tasks' files. */
    static final String TASKS_DIR = "prepare_tasks";

    /** The file in which array task {@code index} of {@code count} records its finished shards. */
    static Path taskPath(Path dir, int index, int count) {
        return dir.resolve(TASKS_DIR).resolve(String.format("task-%05d-of-%05d.json", index, count));
    }

    /** The array tasks' files present in {@code dir}, sorted (of any task count: a resubmission may use another N). */
    static List<Path> taskFiles(Path dir) {
        Path tasks = dir.resolve(TASKS_DIR);
        if (!Files.isDirectory(tasks)) return List.of();
        try (Stream<Path> s = Files.list(tasks)) {
            return s.filter(p -> p.getFileName().toString().matches("task-\\d+-of-\\d+\\.json")).sorted().toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + tasks + ": " + e.getMessage(), e);
        }
    }

    static Content read(Path dir) {
        return readFile(path(dir));
    }

    static Content readFile(Path p) {
        if (!Files.isRegularFile(p)) return null;
        try {
            Content c = JSON.readValue(p.toFile(), Content.class);
            return new Content(new TreeMap<>(c.settings()), new TreeMap<>(c.shards()));
        } catch (IOException e) {
            throw new LcmException(p + " is unreadable (" + e.getMessage().lines().findFirst().orElse("")
                    + "); delete it or pass --overwrite to start the dataset afresh", e);
        }
    }

    static void write(Path dir, Content c) {
        writeFile(path(dir), c);
    }

    static void writeFile(Path p, Content c) {
        try {
            byte[] bytes = JSON.writeValueAsBytes(c);
            AtomicFiles.write(p, out -> out.write(bytes));
        } catch (IOException e) {
            throw new LcmException("cannot write " + p + ": " + e.getMessage(), e);
        }
    }
}
