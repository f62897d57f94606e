package dev.lcm4j.spark;

import dev.lcm4j.LcmException;
import dev.lcm4j.prepare.DocumentSource;
import dev.lcm4j.prepare.DocumentSources;
import dev.lcm4j.prepare.SourceSpec;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * One file of the input, on any Hadoop file system, in the order and with the id prefix that {@code ./lcm prepare}
 * gives it: an input that is one file has the label "", the files of a directory (recursively, those of
 * {@code --format}) are sorted by relative path and labelled {@code relative/path:}. The built-in Europarl corpus is
 * one pseudo-file.
 *
 * @param index position in the input order
 * @param uri   the qualified path ({@code file:/...}, {@code hdfs://...}), or {@code europarl}
 * @param name  the file as error lines name it (a local file by its path)
 * @param label prefix of positional ids ({@code relative/path:line})
 */
record InputFile(int index, String uri, String name, String label) implements Serializable {

    /** The input's files; a missing path or an empty directory is one error line, before anything is written. */
    static List<InputFile> list(SourceSpec spec, Configuration conf) {
        if (spec.europarl()) return List.of(new InputFile(0, SourceSpec.EUROPARL, SourceSpec.EUROPARL, ""));
        try {
            Path in = new Path(spec.input());
            FileSystem fs = in.getFileSystem(conf);
            if (!fs.exists(in)) {
                throw new LcmException("input " + spec.input() + " does not exist; pass a " + spec.format() + " file or a "
                        + "directory of them on any Hadoop file system (a local path, file:, hdfs://, s3a://), or 'europarl'");
            }
            Path dir = fs.makeQualified(in);
            FileStatus st = fs.getFileStatus(dir);
            if (st.isFile()) return List.of(new InputFile(0, dir.toString(), display(dir), ""));
            String base = dir.toUri().getPath();
            List<String[]> found = new ArrayList<>(); // relative path, uri
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
            while (it.hasNext()) {
                LocatedFileStatus f = it.next();
                if (!f.isFile() || !DocumentSources.isInputFile(f.getPath().getName(), spec.format())) continue;
                String rel = f.getPath().toUri().getPath().substring(base.endsWith("/") ? base.length() : base.length() + 1);
                found.add(new String[] {rel, f.getPath().toString()});
            }
            if (found.isEmpty()) throw DocumentSources.noFiles(spec.input(), spec.format());
            found.sort((a, b) -> DocumentSources.inputOrder(a[0], b[0]));
            List<InputFile> files = new ArrayList<>();
            for (String[] f : found) files.add(new InputFile(files.size(), f[1], display(new Path(f[1])), f[0] + ":"));
            return files;
        } catch (IOException e) {
            throw new LcmException("cannot list --input " + spec.input() + ": " + e.getMessage(), e);
        }
    }

    private static String display(Path p) {
        return "file".equals(p.toUri().getScheme()) ? p.toUri().getPath() : p.toString();
    }

    /**
     * Checks, before Spark starts, that this file reads as {@code spec} says (format, text column): its first document
     * is read. A parquet file on a remote file system is not checked here, since the core's parquet reader would need the
     * whole file copied to the driver first; its read task reports a bad column instead.
     */
    void checkReadable(SourceSpec spec, Configuration conf) {
        if (!spec.europarl() && spec.format().equals("parquet") && !"file".equals(new Path(uri).toUri().getScheme())) return;
        try (DocumentSource first = open(spec, conf)) {
            first.next(); // a missing text column or a wrong format fails here
        }
    }

    /**
     * Opens this file with the core's reader of {@code spec.format()}: jsonl and csv stream from the file system,
     * parquet is read from a local file (copied to a temporary file first when the file system is not local).
     */
    DocumentSource open(SourceSpec spec, Configuration conf) {
        if (spec.europarl()) return DocumentSources.open(spec);
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            if (!spec.format().equals("parquet")) return DocumentSources.openStream(fs.open(p), name, label, spec);
            if ("file".equals(p.toUri().getScheme())) return DocumentSources.openFile(java.nio.file.Path.of(p.toUri()), label, spec);
            java.nio.file.Path local = Files.createTempFile("lcm4j-input-", ".parquet");
            fs.copyToLocalFile(false, p, new Path(local.toUri()), true);
            return new DeletingSource(DocumentSources.openFile(local, label, spec), local);
        } catch (IOException e) {
            throw new LcmException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    /** A source over a temporary local copy, deleted when the source closes. */
    private record DeletingSource(DocumentSource inner, java.nio.file.Path copy) implements DocumentSource {
        @Override
        public dev.lcm4j.prepare.SourceDocument next() {
            return inner.next();
        }

        @Override
        public Map<String, Long> counters() {
            return inner.counters();
        }

        @Override
        public void close() {
            inner.close();
            try {
                Files.deleteIfExists(copy);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
