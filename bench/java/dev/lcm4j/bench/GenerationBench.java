package dev.lcm4j.bench;

import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.TorchRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;

/**
 * Autoregressive generation throughput of lcm4j ({@link LcmGenerator#generate}, KV cache on) for a batch of one-concept
 * prompts, each continued by exactly N concepts (no EOS stop, no repetition stop, min = max length); the Java half of
 * {@code bench/run_generation.sh} (the PyTorch half is {@code bench/python/bench_generation.py}). Not a unit test.
 *
 * <pre>
 * java -cp bench/target/classes:target/lcm4j.jar:target/lib/* dev.lcm4j.bench.GenerationBench \
 *     --arch toy_base_lcm|toy_two_tower_diffusion_lcm [--model-dim D] [--layers L] [--heads H] [--ffn F]
 *     [--concept-dim C] [--max-seq-len M] [--set key.path=value ...] --batch 64 --lengths 100,1000
 *     [--timesteps 10] [--guidance 3] [--rescale 0.7] [--initial-noise 0.6] [--warmup 3] [--threads T]
 *     [--dump-steps PREFIX]
 * </pre>
 *
 * The model is the named arch with random init; the size flags override it (base_lcm: {@code lcm.*}; two-tower: both
 * towers, {@code context_encoder.*} and {@code denoiser.*}, and the denoiser's {@code timestep_embed_dim}), and
 * {@code --set} any other key of the config (nested keys with dots). The normalizer is the identity of the concept
 * dimension. base_lcm generates without latent noise ({@code sample_latent_variable} false); the two-tower model runs
 * {@code --timesteps} DDIM steps per concept with classifier-free guidance ({@code --guidance}, {@code --rescale},
 * {@code --initial-noise}; guidance 1 turns it off). Each length runs once on the same model, after a warm-up
 * generation of {@code --warmup} concepts. Prints one JSON line per length: seconds, concepts/s (batch x length /
 * seconds), the ratio of its time to the first length's, and per-step times (median of the first and of the last ten
 * steps, and a least-squares fit {@code ms(step) = a + b * position}) showing what grows with the context;
 * {@code --dump-steps PREFIX} writes every step's milliseconds to {@code PREFIX-<length>.txt}.
 */
public final class GenerationBench {
    public static void main(String[] args) {
        String arch = "toy_base_lcm";
        int batch = 64, timesteps = 10, warmup = 3, threads = Runtime.getRuntime().availableProcessors();
        int[] lengths = {100, 1000};
        double guidance = 3.0, rescale = 0.7, initialNoise = 0.6;
        Integer modelDim = null, layers = null, heads = null, ffn = null, conceptDim = null, maxSeqLen = null;
        Map<String, Object> sets = new LinkedHashMap<>();
        String dumpSteps = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--arch" -> arch = args[++i];
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--lengths" -> lengths = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--timesteps" -> timesteps = Integer.parseInt(args[++i]);
                case "--guidance" -> guidance = Double.parseDouble(args[++i]);
                case "--rescale" -> rescale = Double.parseDouble(args[++i]);
                case "--initial-noise" -> initialNoise = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--dump-steps" -> dumpSteps = args[++i];
                case "--model-dim" -> modelDim = Integer.parseInt(args[++i]);
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--ffn" -> ffn = Integer.parseInt(args[++i]);
                case "--concept-dim" -> conceptDim = Integer.parseInt(args[++i]);
                case "--max-seq-len" -> maxSeqLen = Integer.parseInt(args[++i]);
                case "--set" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq < 0) throw new IllegalArgumentException("--set key=value, got " + kv);
                    sets.put(kv.substring(0, eq), parseValue(kv.substring(eq + 1)));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        TorchRuntime.init();
        torch.set_num_threads(threads);
        torch.manual_seed(0);

        ModelFamily<?, ?, ?> family = ModelFamilies.arch(arch).modelFamily();
        boolean twoTower = family.name().equals("two_tower_diffusion_lcm");
        Map<String, Object> flat = new LinkedHashMap<>();
        if (conceptDim != null) flat.put("sonar_embed_dim", conceptDim);
        if (maxSeqLen != null) flat.put("max_seq_len", maxSeqLen);
        if (modelDim != null) flat.put("model_dim", modelDim);
        for (String tower : twoTower ? List.of("context_encoder", "denoiser") : List.of("lcm")) {
            if (layers != null) flat.put(tower + ".num_layers", layers);
            if (heads != null) flat.put(tower + ".num_attn_heads", heads);
            if (ffn != null) flat.put(tower + ".ffn_inner_dim", ffn);
        }
        if (twoTower && modelDim != null) flat.put("denoiser.timestep_embed_dim", modelDim);
        // random weights either way; the flag only keeps the sampler from warning about guidance on this model
        if (twoTower && guidance != 1.0) flat.put("trained_with_cf_guidance", true);
        flat.putAll(sets);
        Record config = ModelLoader.config(family.name(), arch, nest(flat), "--arch " + arch);
        int dim = family.conceptDimOf(config);
        SonarNormalizer identity = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(dim));
        Lcm model = family.buildOf(config, ParamFactory.cpu(), identity);
        model.train(false);

        int maxLen = Arrays.stream(lengths).max().orElse(1);
        Record sampling = twoTower ? DiffusionOptions.builder().guidance_scale(guidance).guidance_rescale(rescale)
                .initial_noise_scale(initialNoise).inference_timesteps(timesteps).build() : null;
        // no EOS vector, no repetition stop, no latent noise for base_lcm, a fixed seed
        GeneratorOptions options = new GeneratorOptions(Math.max(maxLen, warmup), 1, null, false, null, false, false, 42L, 1.0);
        LcmGenerator gen = new LcmGenerator(model, options, sampling, null);

        Random r = new Random(1);
        List<float[][]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            float[][] p = new float[1][dim];
            for (int j = 0; j < dim; j++) p[0][j] = (float) r.nextGaussian();
            prompts.add(p);
        }
        if (warmup > 0) gen.generate(prompts, warmup, warmup, 0.0, false);

        double first = Double.NaN;
        for (int len : lengths) {
            long[] stepEnd = new long[len];
            int[] steps = {0};
            long t0 = System.nanoTime();
            List<float[][]> out = gen.generate(prompts, len, len, 0.0, false, n -> stepEnd[steps[0]++] = System.nanoTime());
            double s = (System.nanoTime() - t0) / 1e9;
            long made = 0;
            for (float[][] h : out) made += h.length - 1;
            if (made != (long) batch * len) throw new IllegalStateException("generated " + made + " concepts, expected " + (long) batch * len);
            if (Double.isNaN(first)) first = s;
            double[] stepMs = new double[steps[0]];
            for (int k = 0; k < stepMs.length; k++) stepMs[k] = (stepEnd[k] - (k == 0 ? t0 : stepEnd[k - 1])) / 1e6;
            double[] fit = fit(stepMs);
            if (dumpSteps != null) writeSteps(dumpSteps + "-" + len + ".txt", stepMs);
            System.out.printf(Locale.ROOT, "{\"side\": \"lcm4j\", \"family\": \"%s\", \"arch\": \"%s\", \"threads\": %d, \"params\": %d,"
                            + " \"model_dim\": %d, \"concept_dim\": %d, \"batch\": %d, \"prompt_len\": 1, \"generated\": %d,"
                            + " \"timesteps\": %s, \"guidance\": %s, \"seconds\": %.3f, \"concepts_per_s\": %.1f, \"ratio_to_first\": %.2f,"
                            + " \"first_length\": %d, \"ms_per_step_first10\": %.2f, \"ms_per_step_last10\": %.2f,"
                            + " \"fit_ms_const\": %.3f, \"fit_us_per_position\": %.3f, \"config\": \"%s\"}%n",
                    family.name(), arch, torch.get_num_threads(), model.parameterCount(), modelDimOf(config), dim, batch, len,
                    twoTower ? String.valueOf(timesteps) : "null", twoTower ? String.valueOf(guidance) : "null",
                    s, made / s, s / first, lengths[0], median(stepMs, 0, 10), median(stepMs, stepMs.length - 10, stepMs.length),
                    fit[0], fit[1] * 1e3, flat.toString().replace("\"", "'"));
        }
    }

    /** Dotted keys -> nested maps (the shape of a card's model_config). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> nest(Map<String, Object> flat) {
        Map<String, Object> root = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : flat.entrySet()) {
            String[] parts = e.getKey().split("\\.");
            Map<String, Object> m = root;
            for (int i = 0; i < parts.length - 1; i++) m = (Map<String, Object>) m.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
            m.put(parts[parts.length - 1], e.getValue());
        }
        return root;
    }

    static void writeSteps(String file, double[] ms) {
        StringBuilder sb = new StringBuilder();
        for (double m : ms) sb.append(String.format(Locale.ROOT, "%.3f%n", m));
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of(file), sb);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Object parseValue(String v) {
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        if (v.equals("null")) return null;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e2) {
                return v;
            }
        }
    }

    static int modelDimOf(Record config) {
        try {
            return (int) config.getClass().getMethod("model_dim").invoke(config);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    static double median(double[] xs, int from, int to) {
        from = Math.max(0, from);
        to = Math.min(xs.length, to);
        if (to <= from) return Double.NaN;
        double[] v = Arrays.copyOfRange(xs, from, to);
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Least squares ms = a + b * k over steps k = 1.. (the first step, which allocates the caches, left out). */
    static double[] fit(double[] ms) {
        int n = 0;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int k = 1; k < ms.length; k++) {
            n++;
            sx += k;
            sy += ms[k];
            sxx += (double) k * k;
            sxy += k * ms[k];
        }
        if (n < 2) return new double[] {Double.NaN, Double.NaN};
        double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        return new double[] {(sy - b * sx) / n, b};
    }

    private GenerationBench() {}
}
