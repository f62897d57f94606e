package dev.lcm4j.prepare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code DIR/prepare_manifest.json}: the settings a dataset was prepared with (input fingerprint, options, encoder,
 * dimension) and the shards already finished, with their per-split document and sentence counts. It is rewritten
 * atomically after each shard's files are renamed into place, so a shard listed here is complete on disk; a shard
 * not listed is redone (its files, if any, are overwritten).
 */
final class Manifest {
    static final String FILE = "prepare_manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Counts of one finished shard: split -> documents, split -> sentences. */
    record Shard(Map<String, Long> documents, Map<String, Long> sentences) {
    }

    record Content(Map<String, String> settings, Map<Integer, Shard> shards) {
    }

    private Manifest() {
    }

    static Path path(Path dir) {
        return dir.resolve(FILE);
    }

    static Content read(Path dir) {
        Path p = path(dir);
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
        try {
            byte[] bytes = JSON.writeValueAsBytes(c);
            AtomicFiles.write(path(dir), out -> out.write(bytes));
        } catch (IOException e) {
            throw new LcmException("cannot write " + path(dir) + ": " + e.getMessage(), e);
        }
    }
}
