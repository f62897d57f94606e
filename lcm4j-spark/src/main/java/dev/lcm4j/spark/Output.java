package dev.lcm4j.spark;

import dev.lcm4j.LcmException;
import dev.lcm4j.prepare.Preparer;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The dataset directory on its Hadoop file system. Checked before the job: a file there, or a dataset without
 * {@code --overwrite}, is one error line (the Spark engine does not resume: Spark retries failed tasks, and a
 * rerun starts afresh); with {@code --overwrite} the previous dataset's entries are removed as a local run removes them.
 *
 * @param location {@code --output} as written
 * @param dir      its qualified path
 */
record Output(String location, Path dir, FileSystem fs) {
    /** Where {@code --output} is; nothing is read or written yet. */
    static Output locate(String location, Configuration conf) {
        try {
            Path p = new Path(location);
            FileSystem fs = fileSystem(p, conf);
            return new Output(location, fs.makeQualified(p), fs);
        } catch (IOException e) {
            throw new LcmException("cannot use --output " + location + ": " + e.getMessage(), e);
        }
    }

    /** Refuses a file or (without {@code overwrite}) a dataset here; with {@code overwrite} removes the dataset's entries. */
    void checkOrClear(boolean overwrite) {
        try {
            if (!fs.exists(dir)) return;
            if (fs.getFileStatus(dir).isFile()) throw new LcmException("--output " + location + " is a file; pass a directory");
            for (FileStatus f : fs.listStatus(dir)) {
                if (!Preparer.isDatasetEntry(f.getPath().getName())) continue;
                if (!overwrite) {
                    throw new LcmException("--output " + location + " already holds a dataset (" + f.getPath().getName()
                            + "); --engine spark does not resume: pass --overwrite to replace it, or choose another --output");
                }
                fs.delete(f.getPath(), true);
            }
        } catch (IOException e) {
            throw new LcmException("cannot use --output " + location + ": " + e.getMessage(), e);
        }
    }

    /** The file system of {@code p}; a local one without Hadoop's {@code .crc} side files, which a local run has not. */
    static FileSystem fileSystem(Path p, Configuration conf) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        return fs instanceof LocalFileSystem l ? l.getRaw() : fs;
    }

    boolean local() {
        return "file".equals(dir.toUri().getScheme());
    }

    /** The dataset as a local path (as written when it has no scheme, so messages show what the user typed). */
    java.nio.file.Path localDir() {
        return location.equals(dir.toUri().getPath()) || !location.contains(":") ? java.nio.file.Path.of(location)
                : java.nio.file.Path.of(dir.toUri());
    }

    /** Where the driver writes the datacard: in the dataset when it is local, else in a temporary directory first. */
    java.nio.file.Path localDatacard() {
        if (local()) return localDir().resolve("datacard.yaml");
        try {
            return Files.createTempDirectory("lcm4j-datacard-").resolve("datacard.yaml");
        } catch (IOException e) {
            throw new LcmException("cannot create a temporary directory for the datacard: " + e.getMessage(), e);
        }
    }

    String datacardLocation() {
        return local() ? localDir().resolve("datacard.yaml").toString() : new Path(dir, "datacard.yaml").toString();
    }

    /** Copies a datacard written locally into a non-local dataset (by temporary name and rename). */
    void publishDatacard(java.nio.file.Path card) {
        if (local()) return;
        try {
            Path tmp = new Path(dir, "datacard.yaml.tmp-upload"), target = new Path(dir, "datacard.yaml");
            fs.copyFromLocalFile(true, true, new Path(card.toUri()), tmp);
            if (fs.exists(target)) fs.delete(target, false);
            if (!fs.rename(tmp, target)) throw new IOException("cannot rename " + tmp + " to " + target);
        } catch (IOException e) {
            throw new LcmException("cannot write " + datacardLocation() + ": " + e.getMessage(), e);
        }
    }

    /** After a failed job: removes the split directories this run wrote (the directory held no dataset before). */
    void removeDataset() {
        try {
            if (!fs.exists(dir)) return;
            for (FileStatus f : fs.listStatus(dir)) {
                if (Preparer.isDatasetEntry(f.getPath().getName())) fs.delete(f.getPath(), true);
            }
        } catch (IOException e) {
            throw new LcmException("cannot clean up --output " + location + " after the failed job: " + e.getMessage(), e);
        }
    }
}
