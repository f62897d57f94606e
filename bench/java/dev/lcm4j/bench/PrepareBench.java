package dev.lcm4j.bench;

import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.prepare.PrepareOptions;
import dev.lcm4j.prepare.Preparer;
import dev.lcm4j.prepare.SourceSpec;
import dev.lcm4j.text.SentenceSplitters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Comparator;

/**
 * {@code prepare} throughput on the built-in Europarl corpus (English subset): documents/s and sentences/s end to
 * end (read, language filter, split, embed, write). {@code --encoder hashing} (default) is a cheap hashed
 * bag-of-words encoder, so the figure is the pipeline's own cost; {@code --encoder CARD} measures a real encoder.
 * {@code --docs N --threads T --dim D}. Prints one JSON line.
 */
public final class PrepareBench {
    public static void main(String[] args) throws Exception {
        String encoderName = "hashing";
        int docs = 2000, threads = Runtime.getRuntime().availableProcessors(), dim = 1024;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--encoder" -> encoderName = args[i + 1];
                case "--docs" -> docs = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--dim" -> dim = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        Path out = Files.createTempDirectory("prepare-bench");
        ConceptEncoder enc = encoderName.equals("hashing") ? new Hashing(dim) : ConceptModels.encoder(encoderName);
        PrepareOptions opt = PrepareOptions.defaults(new SourceSpec("europarl", null, "text", null, null), out, "bench",
                "eng_Latn").withMaxDocs(docs).withThreads(threads).withShardSize(500);
        long t0 = System.nanoTime();
        Preparer.Result r = new Preparer(opt, enc, SentenceSplitters.create(SentenceSplitters.DEFAULT)).run((i, d, s, x) -> { });
        double sec = (System.nanoTime() - t0) / 1e9;
        long n = r.documents().values().stream().mapToLong(Long::longValue).sum();
        long s = r.sentences().values().stream().mapToLong(Long::longValue).sum();
        System.out.printf(Locale.ROOT, "{\"bench\":\"prepare\",\"encoder\":\"%s\",\"dim\":%d,\"threads\":%d,\"documents\":%d,"
                        + "\"sentences\":%d,\"seconds\":%.2f,\"docs_per_s\":%.1f,\"sentences_per_s\":%.1f}%n",
                enc.name(), enc.dim(), threads, n, s, sec, n / sec, s / sec);
        enc.close();
        try (var w = Files.walk(out)) {
            for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** Hashed bag of words, unit norm: costs about as much as tokenizing, so the pipeline dominates. */
    static final class Hashing implements ConceptEncoder {
        private final int dim;

        Hashing(int dim) {
            this.dim = dim;
        }

        @Override
        public int dim() {
            return dim;
        }

        @Override
        public String name() {
            return "hashing_bench";
        }

        @Override
        public float[][] encode(List<String> sentences, String lang) {
            float[][] out = new float[sentences.size()][dim];
            for (int i = 0; i < out.length; i++) {
                for (String w : sentences.get(i).toLowerCase(Locale.ROOT).split("\\W+")) {
                    int h = w.hashCode() * 0x9E3779B1;
                    out[i][Math.floorMod(h, dim)] += (h & 0x10000) == 0 ? 1 : -1;
                }
                double n = 1e-9;
                for (float x : out[i]) n += x * x;
                for (int k = 0; k < dim; k++) out[i][k] /= (float) Math.sqrt(n);
            }
            return out;
        }
    }
}
