package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Opens the {@link DocumentSource} a {@link SourceSpec} names, and fingerprints its input for resume checks. */
public final class DocumentSources {
    private DocumentSources() {
    }

    public static DocumentSource open(SourceSpec spec) {
        if (spec.europarl()) return new EuroparlSource();
        Path in = Path.of(spec.input());
        if (Files.isDirectory(in)) return new Concatenated(in, files(in, spec.format()), spec);
        if (!Files.isRegularFile(in)) {
            throw new LcmException("input " + in + " does not exist; pass a " + spec.format() + " file, a directory of"
                    + " them, or 'europarl' (the built-in corpus)");
        }
        return file(in, "", spec);
    }

    /** Opens the input and reads its first document, so a wrong path, format or column fails fast. */
    public static void check(SourceSpec spec) {
        try (DocumentSource s = open(spec)) {
            s.next();
        }
    }

    /**
     * What the input is, for the manifest: every file's path (relative for a directory), size and modification time;
     * a changed input then refuses to resume instead of mixing two inputs in one dataset.
     */
    public static String fingerprint(SourceSpec spec) {
        if (spec.europarl()) return EuroparlSource.FINGERPRINT;
        Path in = Path.of(spec.input()).toAbsolutePath();
        List<Path> files = Files.isDirectory(in) ? files(in, spec.format()) : List.of(in);
        StringBuilder sb = new StringBuilder(in.toString());
        try {
            for (Path f : files) {
                sb.append('|').append(Files.isDirectory(in) ? in.relativize(f) : f.getFileName()).append(':')
                        .append(Files.size(f)).append(':').append(Files.getLastModifiedTime(f).toMillis());
            }
        } catch (IOException e) {
            throw new LcmException("cannot read " + in + ": " + e.getMessage(), e);
        }
        return sb.toString();
    }

    /** The files of {@code format} under {@code dir} (recursively), sorted by relative path for a fixed order. */
    static List<Path> files(Path dir, String format) {
        String ext = "." + format;
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(ext))
                    .sorted((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString())).toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new LcmException("directory " + dir + " has no *" + ext + " files (--format " + format + ")");
        return files;
    }

    private static DocumentSource file(Path f, String label, SourceSpec spec) {
        return switch (spec.format()) {
            case "jsonl" -> new JsonlSource(f, label, spec);
            case "csv" -> new CsvSource(f, label, spec);
            case "parquet" -> new ParquetSource(f, label, spec);
            default -> throw new LcmException("unknown --format '" + spec.format() + "'");
        };
    }

    /** The files of a directory one after another; ids without an id column are {@code relative/path:line}. */
    private static final class Concatenated implements DocumentSource {
        private final Path dir;
        private final List<Path> files;
        private final SourceSpec spec;
        private final Map<String, Long> counters = new TreeMap<>();
        private int index;
        private DocumentSource current;

        Concatenated(Path dir, List<Path> files, SourceSpec spec) {
            this.dir = dir;
            this.files = new ArrayList<>(files);
            this.spec = spec;
        }

        @Override
        public SourceDocument next() {
            while (true) {
                if (current == null) {
                    if (index == files.size()) return null;
                    Path f = files.get(index++);
                    current = file(f, dir.relativize(f) + ":", spec);
                }
                SourceDocument d = current.next();
                if (d != null) return d;
                current.counters().forEach((k, v) -> counters.merge(k, v, Long::sum));
                current.close();
                current = null;
            }
        }

        @Override
        public Map<String, Long> counters() {
            return counters;
        }

        @Override
        public void close() {
            if (current != null) current.close();
        }
    }
}
