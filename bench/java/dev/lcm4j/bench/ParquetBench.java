package dev.lcm4j.bench;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.LcmParquetWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Arrays;

/**
 * Parquet write and read throughput of the project's LCM writer/reader for 1024-dim embeddings:
 * {@code --docs N --sentences T --dim D --rounds R}. MB/s counts the embedding payload (docs x sentences x dim x 4
 * bytes), the figure the loader cares about. Prints one JSON line with the median of the rounds.
 */
public final class ParquetBench {
    public static void main(String[] args) throws Exception {
        int docs = 256, sentences = 32, dim = 1024, rounds = 5;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--docs" -> docs = Integer.parseInt(args[i + 1]);
                case "--sentences" -> sentences = Integer.parseInt(args[i + 1]);
                case "--dim" -> dim = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        DataColumns cols = DataColumns.sonar("text_sentences").withId("id");
        Random r = new Random(0);
        List<Document> data = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            float[][] v = new float[sentences][dim];
            List<String> s = new ArrayList<>();
            for (int t = 0; t < sentences; t++) {
                for (int k = 0; k < dim; k++) v[t][k] = (float) (0.006 * r.nextGaussian());
                s.add("sentence " + t + " of document " + d);
            }
            data.add(new Document("doc-" + d, s, v));
        }
        double mb = (double) docs * sentences * dim * 4 / 1e6;
        Path dir = Files.createTempDirectory("parquet-bench");
        Path file = dir.resolve("part-0.parquet");
        double[] w = new double[rounds], rd = new double[rounds];
        long checksum = 0;
        for (int round = 0; round < rounds + 1; round++) { // round 0 warms up the JIT
            long t0 = System.nanoTime();
            LcmParquetWriter.write(file, cols, dim, 64, data);
            long t1 = System.nanoTime();
            long n = 0;
            try (LcmParquetReader in = LcmParquetReader.open(file, cols, dim)) {
                for (int g = 0; g < in.rowGroupCount(); g++) for (Document d : in.readRowGroup(g)) n += d.embeddings().length;
            }
            long t2 = System.nanoTime();
            checksum += n;
            if (round > 0) {
                w[round - 1] = mb / ((t1 - t0) / 1e9);
                rd[round - 1] = mb / ((t2 - t1) / 1e9);
            }
        }
        Arrays.sort(w);
        Arrays.sort(rd);
        System.out.printf("{\"bench\":\"parquet\",\"docs\":%d,\"sentences\":%d,\"dim\":%d,\"payload_mb\":%.1f,\"file_mb\":%.1f,"
                        + "\"write_mb_s\":%.1f,\"read_mb_s\":%.1f,\"read_mb_s_best\":%.1f,\"rounds\":%d,\"vectors_read\":%d}%n",
                docs, sentences, dim, mb, Files.size(file) / 1e6, w[rounds / 2], rd[rounds / 2], rd[rounds - 1], rounds, checksum);
        Files.delete(file);
        Files.delete(dir);
    }
}
