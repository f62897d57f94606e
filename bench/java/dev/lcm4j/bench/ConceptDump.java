package dev.lcm4j.bench;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the concept vectors of a prepared dataset as .npy files, so that a NumPy script can study them without a
 * parquet reader: for each split, {@code <split>_concepts.npy} (float32, [sentences, D], documents one after another
 * in file order) and {@code <split>_lengths.npy} (int64, sentences per document).
 *
 * <pre>java -cp ... dev.lcm4j.bench.ConceptDump DATASET_DIR OUT_DIR [split ...]   (default: train validation)</pre>
 */
public final class ConceptDump {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ConceptDump DATASET_DIR OUT_DIR [split ...]");
            System.exit(2);
        }
        Path root = Path.of(args[0]), out = Path.of(args[1]);
        List<String> splits = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("train", "validation");
        Files.createDirectories(out);
        DataColumns columns = DataColumns.sonar("text_sentences");
        for (String split : splits) {
            List<float[]> rows = new ArrayList<>();
            List<Long> lengths = new ArrayList<>();
            for (Path file : Dataset.of("dump", root, columns, split).files()) {
                for (Document d : LcmParquetReader.readAll(file, columns, 0)) {
                    lengths.add((long) d.length());
                    for (float[] r : d.embeddings()) rows.add(r);
                }
            }
            if (rows.isEmpty()) throw new IllegalStateException("no documents in split " + split + " of " + root);
            int dim = rows.get(0).length;
            float[] flat = new float[rows.size() * dim];
            for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i), 0, flat, i * dim, dim);
            Npy.write(out.resolve(split + "_concepts.npy"), Npy.Array.ofFloats(flat, rows.size(), dim));
            long[] lens = lengths.stream().mapToLong(Long::longValue).toArray();
            Npy.write(out.resolve(split + "_lengths.npy"), Npy.Array.ofLongs(lens, lens.length));
            System.out.println(split + ": " + lens.length + " documents, " + rows.size() + " sentences, " + dim + "-d");
        }
    }
}
