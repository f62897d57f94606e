package dev.lcm4j.bench;

import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.concepts.retrieval.RetrievalDecoder;
import dev.lcm4j.concepts.retrieval.SentenceBank;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import dev.lcm4j.prepare.DocumentSource;
import dev.lcm4j.prepare.DocumentSources;
import dev.lcm4j.prepare.SourceDocument;
import dev.lcm4j.prepare.SourceSpec;

/**
 * Concept-space figures (splitting has its own bench, SplitBench): MiniLM encoding sentences/s on Europarl
 * sentences, and retrieval decoding over a synthetic bank (build time, size, queries/s).
 * Args: --bank-rows N (default 1000000) --dim D (384) --encode N (2000 sentences).
 */
public final class ConceptsBench {
    public static void main(String[] args) throws Exception {
        int bankRows = 1_000_000, dim = 384, encodeN = 2000;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--bank-rows" -> bankRows = Integer.parseInt(args[i + 1]);
                case "--dim" -> dim = Integer.parseInt(args[i + 1]);
                case "--encode" -> encodeN = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        List<String> texts = europarl();
        List<String> sentences = new ArrayList<>();
        SentenceSplitter icu = SentenceSplitters.create("icu");
        for (String t : texts) {
            sentences.addAll(icu.split(t, "eng_Latn"));
            if (sentences.size() >= encodeN) break;
        }
        sentences = sentences.subList(0, Math.min(encodeN, sentences.size()));
        try (ConceptEncoder enc = ConceptModels.encoder(ConceptModels.DEFAULT_ENCODER)) {
            enc.encode(sentences.subList(0, 50), "eng_Latn");
            long t0 = System.nanoTime();
            enc.encode(sentences, "eng_Latn");
            double sec = (System.nanoTime() - t0) / 1e9;
            double chars = sentences.stream().mapToInt(String::length).average().orElse(0);
            System.out.printf("encode all_minilm_l6_v2_q %.0f sentences/s (%d sentences of %.0f chars on average, %d threads)%n",
                    sentences.size() / sec, sentences.size(), chars, Runtime.getRuntime().availableProcessors());
        }

        Path dir = Files.createTempDirectory("bankbench");
        Random r = new Random(0);
        SentenceBank.Builder b = new SentenceBank.Builder(dim);
        for (int i = 0; i < bankRows; i++) {
            float[] v = new float[dim];
            for (int j = 0; j < dim; j++) v[j] = (float) r.nextGaussian();
            b.add("sentence number " + i, v);
        }
        long t0 = System.nanoTime();
        b.write(dir.resolve(SentenceBank.FILE_NAME));
        double writeSec = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        SentenceBank bank = SentenceBank.open(dir);
        double openSec = (System.nanoTime() - t0) / 1e9;
        RetrievalDecoder dec = new RetrievalDecoder("bench", bank);
        for (int q : new int[] {1, 64, 256}) {
            float[][] queries = new float[q][dim];
            for (float[] v : queries) for (int j = 0; j < dim; j++) v[j] = (float) r.nextGaussian();
            dec.nearest(queries); // warm-up
            t0 = System.nanoTime();
            int reps = q == 1 ? 5 : 2;
            for (int k = 0; k < reps; k++) dec.nearest(queries);
            double sec = (System.nanoTime() - t0) / 1e9 / reps;
            System.out.printf("retrieve %d x %d bank, batch %d: %.1f ms per batch, %.0f queries/s%n", bankRows, dim, q, sec * 1e3, q / sec);
        }
        System.out.printf("bank file %.0f MB, written in %.1f s, opened in %.1f s%n", Files.size(dir.resolve(SentenceBank.FILE_NAME)) / 1e6, writeSec, openSec);
        Files.delete(dir.resolve(SentenceBank.FILE_NAME));
        Files.delete(dir);
    }

    static List<String> europarl() throws Exception {
        List<String> docs = new ArrayList<>();
        // the corpus exactly as prepare reads it (the built-in source of dev.lcm4j.prepare)
        try (DocumentSource src = DocumentSources.open(
                new SourceSpec(SourceSpec.EUROPARL, null, "text", null, null))) {
            for (SourceDocument d = src.next(); d != null; d = src.next()) docs.add(d.text());
        }
        return docs;
    }
}
