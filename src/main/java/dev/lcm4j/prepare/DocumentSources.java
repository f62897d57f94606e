package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.io.InputStream;
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
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> isInputFile(p.getFileName().toString(), format))
                    .sorted((a, b) -> inputOrder(dir.relativize(a).toString(), dir.relativize(b).toString())).toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw noFiles(dir.toString(), format);
        return files;
    }

    /** Whether a file in an input directory is read, by its name: the files of {@code --format}. */
    public static boolean isInputFile(String fileName, String format) {
        return fileName.endsWith("." + format);
    }

    /** The order in which a directory's files are read (relative paths compared as strings); it fixes the ids' order. */
    public static int inputOrder(String relativeA, String relativeB) {
        return relativeA.compareTo(relativeB);
    }

    public static LcmException noFiles(String dir, String format) {
        return new LcmException("directory " + dir + " has no *." + format + " files (--format " + format + ")");
    }

    /**
     * The documents of one input file read from a stream (how a Spark task reads a file on a Hadoop file system);
     * {@code name} is the file as errors name it, {@code label} prefixes positional ids: "" for an input that is one
     * file, {@code "relative/path:"} for a file of an input directory, as {@link #open} does. Parquet is read from a
     * local file ({@link #openFile}).
     */
    public static DocumentSource openStream(InputStream in, String name, String label, SourceSpec spec) {
        return switch (spec.format()) {
            case "jsonl" -> new JsonlSource(in, name, label, spec);
            case "csv" -> new CsvSource(in, name, label, spec);
            default -> throw new LcmException("--format " + spec.format() + " is read from a local file, not a stream");
        };
    }

    /** The documents of one local input file, with positional ids prefixed by {@code label} (see {@link #openStream}). */
    public static DocumentSource openFile(Path f, String label, SourceSpec spec) {
        return file(f, label, spec);
    }

    private static DocumentSource file(Path f, String label, SourceSpec spec) {
        return switch (spec.format()) {
            case "jsonl" -> new JsonlSource(f, label, spec);
            case "csv" -> new CsvSource(f, label, spec);
            case "parquet" -> new ParquetSource(f, label, spec);
            default -> throw new LcmException("unknown --format '" + spec.format() + "'");
        };
    }

    static InputStream read(Path file) {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new LcmException("cannot read " + file + ": " + e.getMessage(), e);
        }
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
