package dev.lcm4j.bench;

import dev.lcm4j.concepts.sonar.SonarEncoderConfig;
import dev.lcm4j.concepts.sonar.SonarTextEncoder;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * SONAR text encoder throughput (sentences/s) on random weights: the basic arch (24 layers, 1024 dims, 16 heads,
 * FFN 8192) with a smaller embedding table (--vocab, default 32000: the embedding lookup costs the same for any
 * vocabulary, only memory changes). Sentences have token lengths 8 + (i * 37 mod 53), are sorted by length and encoded
 * in batches of --batch with right padding, as SonarConceptEncoder does. Same workload as
 * bench/python/bench_sonar_encoder.py. Prints one JSON line.
 */
public final class SonarEncoderBench {
    public static void main(String[] args) {
        int sentences = 32, batch = 16, steps = 3, warmup = 1, vocab = 32000, layers = 24, threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i += 2) {
            int v = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--sentences" -> sentences = v;
                case "--batch" -> batch = v;
                case "--steps" -> steps = v;
                case "--warmup" -> warmup = v;
                case "--vocab" -> vocab = v;
                case "--layers" -> layers = v;
                case "--threads" -> threads = v;
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        System.setProperty("LCM_NUM_THREADS", String.valueOf(threads));
        TorchRuntime.init();
        torch.set_num_threads(threads);
        SonarEncoderConfig c = new SonarEncoderConfig(1024, layers, 16, 8192, vocab, 512);
        SonarTextEncoder model = new SonarTextEncoder(ParamFactory.cpu(), c);
        for (Tensor t : model.namedParameters().values()) t.set_requires_grad(false);

        int[] lens = new int[sentences];
        for (int i = 0; i < sentences; i++) lens[i] = 8 + (i * 37) % 53;
        Arrays.sort(lens);
        long tokens = Arrays.stream(lens).sum();
        double[] times = new double[steps];
        for (int it = -warmup; it < steps; it++) {
            long t0 = System.nanoTime();
            try (NoGradGuard g = new NoGradGuard()) {
                for (int start = 0; start < sentences; start += batch) {
                    int b = Math.min(batch, sentences - start), s = lens[start + b - 1];
                    long[] ids = new long[b * s];
                    long[] l = new long[b];
                    for (int r = 0; r < b; r++) {
                        l[r] = lens[start + r];
                        for (int j = 0; j < l[r]; j++) ids[r * s + j] = 4 + (r * 131 + j * 17) % (vocab - 4);
                    }
                    try (PointerScope scope = new PointerScope()) {
                        Tensors.toFloats(model.forward(Tensors.longs(ids, b, s), l));
                    }
                }
            }
            if (it >= 0) times[it] = (System.nanoTime() - t0) / 1e9;
        }
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        double median = sorted[steps / 2];
        System.out.printf("{\"side\": \"lcm4j\", \"layers\": %d, \"vocab\": %d, \"threads\": %d, \"sentences\": %d, \"tokens\": %d, "
                        + "\"batch\": %d, \"median_s\": %.4f, \"sentences_per_s\": %.2f, \"times_s\": %s}%n",
                layers, vocab, threads, sentences, tokens, batch, median, sentences / median, Arrays.toString(times));
    }
}
