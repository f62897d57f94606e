package dev.lcm4j.bench;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;
import dev.lcm4j.io.Npy;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.models.quantlcm.QuantLcm;
import dev.lcm4j.models.quantlcm.QuantLcmConfig;
import dev.lcm4j.models.quantlcm.QuantLcmCriterion;
import dev.lcm4j.models.quantlcm.QuantLcmFamily;
import dev.lcm4j.models.quantlcm.QuantSamplingOptions;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.yaml.snakeyaml.Yaml;

/**
 * Benchmarks of lcm4j's Quant-LCM-d and -c on CPU; the Java half of {@code bench/run_quant_lcm.sh} (the Python half
 * of the train step is {@code bench/python/bench_quant_lcm.py}). Not a unit test.
 *
 * <pre>
 * java -cp bench/target/classes:target/lcm4j.jar:target/lib/* dev.lcm4j.bench.QuantLcmBench \
 *     train --family d|c --config toy|mid --dtype fp32|bf16 --steps N --warmup W --threads T
 * java ... dev.lcm4j.bench.QuantLcmBench generate --family d|c --config toy|mid --batch B --sentences 10 --threads T
 * java ... dev.lcm4j.bench.QuantLcmBench check --family d|c --config toy|mid --dir DIR --threads T
 * </pre>
 *
 * toy is toy_quant_lcm_d / toy_quant_lcm_c (d=256, 2 layers, 8 x 256 quantizer over 1024 dims); mid is the 1.6B
 * layer style at d=1024 (4 layers, 16 heads, SwiGLU, RMSNorm, output-projection bias, d_k = 1024) with the same
 * quantizer. The quantizer is random (codebook m of scale 0.006 * 0.8^m, as a fitted residual quantizer shrinks).
 * <ul>
 *   <li>train: one step = the family's criterion (k_n ~ U{1..8}, greedy RVQ codes, guidance dropping 0.15, reduction
 *       sum) on 8 x 128 concepts of dim 1024 (256 interleaved slots per document) + backward of loss / #targets +
 *       clip_grad_norm_(25) + AdamW; prints the median ms/step and its forward / backward / clip+AdamW split.</li>
 *   <li>generate: B prompts of 3 concepts, 10 new concepts each (no EOS), codebook by codebook with the paper's
 *       settings (-d: top_k 3, no guidance, 8 forwards per concept; -c: guidance 1.5, top_k 5, 16 forwards);
 *       prints the wall time of the run after one warm-up call.</li>
 *   <li>check: recomputes the loss and gradient norm that {@code bench_quant_lcm.py --save-check DIR} wrote, on its
 *       weights, batch and codebook indices (eval mode, no guidance dropping); exits 1 when they differ.</li>
 * </ul>
 */
public final class QuantLcmBench {
    static final int BATCH = 8, SEQ = 128, DIM = 1024, CODEBOOKS = 8, UNITS = 256;

    public static void main(String[] args) throws Exception {
        String mode = args[0], family = "d", config = "toy", dtype = "fp32", dir = null;
        int steps = 5, warmup = 1, threads = Runtime.getRuntime().availableProcessors(), batch = 1, sentences = 10;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--family" -> family = args[++i];
                case "--config" -> config = args[++i];
                case "--dtype" -> dtype = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--sentences" -> sentences = Integer.parseInt(args[++i]);
                case "--dir" -> dir = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!family.equals("d") && !family.equals("c")) throw new IllegalArgumentException("--family d|c, got " + family);
        TorchRuntime.init();
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        QuantLcmConfig cfg = makeConfig(config, family);
        switch (mode) {
            case "train" -> train(build(cfg, randomCodebooks()), config, dtype, steps, warmup);
            case "generate" -> generate(build(cfg, randomCodebooks()), config, batch, sentences);
            case "check" -> System.exit(check(cfg, config, Paths.get(dir)) ? 0 : 1);
            default -> throw new IllegalArgumentException("mode train|generate|check, got " + mode);
        }
    }

    static QuantLcm build(QuantLcmConfig cfg, Tensor codebooks) {
        SonarNormalizer identity = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(cfg.sonar_embed_dim()));
        return new QuantLcm(ParamFactory.cpu(), cfg, identity, codebooks);
    }

    /** [M, K, C]: codebook m ~ N(0, (0.006 * 0.8^m)^2), as the Python side draws its own (the values do not change the work). */
    static Tensor randomCodebooks() {
        Tensor[] books = new Tensor[CODEBOOKS];
        for (int m = 0; m < CODEBOOKS; m++) books[m] = torch.randn(UNITS, DIM).mul(Tensors.scalar(0.006 * Math.pow(0.8, m)));
        return torch.stack(new TensorVector(books), 0);
    }

    static Criterion criterion(QuantLcm model, double cfGuidance) {
        String name = model.discrete() ? QuantLcmCriterion.DISCRETE : QuantLcmCriterion.CONTINUOUS;
        return new QuantLcmCriterion(CriterionConfig.builder().name(name).cf_guidance_probability(cfGuidance)
                .compute_rmse(false).min_context_size(0).build(), model);
    }

    static void train(QuantLcm model, String config, String dtype, int steps, int warmup) {
        boolean bf16 = dtype.equals("bf16");
        model.train(true);
        List<Tensor> params = model.parameterList();
        TensorVector paramVec = new TensorVector(params.toArray(new Tensor[0]));
        AdamW opt = new AdamW(model.namedParameters(), 0.9, 0.95, 1e-5, 0.1);
        Criterion criterion = criterion(model, 0.15);
        Tensor seqs = torch.randn(BATCH, SEQ, DIM).mul(Tensors.scalar(0.006));
        seqs.retainReference();
        long[] lengths = new long[BATCH];
        Arrays.fill(lengths, SEQ);
        EmbeddingsBatch batch = new EmbeddingsBatch(seqs, lengths, null);
        List<Double> times = new ArrayList<>(), fwd = new ArrayList<>(), bwd = new ArrayList<>(), upd = new ArrayList<>();
        double first = Double.NaN, last = Double.NaN;
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime(), t1, t2;
            try (PointerScope scope = new PointerScope()) {
                Criterion.Loss out;
                if (bf16) Autocast.enter();
                try {
                    out = criterion.loss(model, batch);
                } finally {
                    if (bf16) Autocast.exit();
                }
                Tensor scaled = out.loss().div(Tensors.scalar(out.numTargets()));
                double loss = scaled.item_double();   // forces the forward before the clock reads
                t1 = System.nanoTime();
                scaled.backward();
                t2 = System.nanoTime();
                torch.clip_grad_norm_(paramVec, 25.0);
                if (i == 0) first = loss;
                last = loss;
            }
            opt.step(4e-4);
            opt.zeroGrad();
            long t3 = System.nanoTime();
            if (i >= warmup) {
                times.add((t3 - t0) / 1e6);
                fwd.add((t1 - t0) / 1e6);
                bwd.add((t2 - t1) / 1e6);
                upd.add((t3 - t2) / 1e6);
            }
        }
        System.out.printf(Locale.ROOT, "{\"side\": \"lcm4j\", \"mode\": \"train\", \"family\": \"%s\", \"config\": \"%s\", \"dtype\": \"%s\","
                        + " \"threads\": %d, \"params\": %d, \"steps\": %d, \"ms_per_step_median\": %.1f, \"ms_per_step_min\": %.1f,"
                        + " \"fwd_ms_median\": %.1f, \"bwd_ms_median\": %.1f, \"clip_opt_ms_median\": %.1f, \"first_loss\": %.4f, \"last_loss\": %.4f}%n",
                model.family(), config, dtype, torch.get_num_threads(), model.parameterCount(), steps, BenchStats.median(times),
                times.stream().mapToDouble(x -> x).min().orElse(Double.NaN), BenchStats.median(fwd), BenchStats.median(bwd), BenchStats.median(upd), first, last);
    }

    static void generate(QuantLcm model, String config, int batch, int sentences) {
        model.train(false);
        Random r = new Random(1);
        List<float[][]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            float[][] p = new float[3][DIM];
            for (float[] v : p) for (int j = 0; j < v.length; j++) v[j] = (float) (r.nextGaussian() * 0.006);
            prompts.add(p);
        }
        QuantSamplingOptions o = model.discrete() ? QuantSamplingOptions.PAPER_D : QuantSamplingOptions.PAPER_C;
        LcmGenerator gen = new LcmGenerator(model, new GeneratorOptions(200, 1, null, false, null, false, false, 42L, 1.0), o, null);
        gen.generate(prompts, 2, 1, 0.0, false); // warm-up
        long t0 = System.nanoTime();
        List<float[][]> out = gen.generate(prompts, sentences, 1, 0.0, false);
        double ms = (System.nanoTime() - t0) / 1e6;
        int made = 0;
        for (float[][] h : out) made += h.length - 3;
        int forwards = model.numCodebooks() * (o.guidance_scale() != 1.0 ? 2 : 1);
        System.out.printf(Locale.ROOT, "{\"side\": \"lcm4j\", \"mode\": \"generate\", \"family\": \"%s\", \"config\": \"%s\", \"threads\": %d,"
                        + " \"batch\": %d, \"sentences_per_row\": %d, \"guidance_scale\": %s, \"top_k\": %d, \"query_forwards_per_concept\": %d,"
                        + " \"wall_ms\": %.1f, \"ms_per_sentence\": %.2f, \"sentences_per_s\": %.1f}%n",
                model.family(), config, torch.get_num_threads(), batch, sentences, o.guidance_scale(), o.top_k(), forwards, ms,
                ms / made, made / (ms / 1e3));
    }

    /** lcm4j's loss and gradient norm on the Python side's weights, batch and indices, against its figures. */
    @SuppressWarnings("unchecked")
    static boolean check(QuantLcmConfig cfg, String config, Path dir) throws Exception {
        // no guidance dropping in the check, so the model says it was trained without (the criterion insists they agree)
        QuantLcm model = build(cfg.withNormalizer(cfg.sonar_normalizer_name(), false), null);
        Checkpoints.load(dir.resolve("model.pt"), model);
        model.train(false);
        Map<String, Object> expected = new Yaml().load(Files.readString(dir.resolve("check.json")));
        Npy.Array s = Npy.read(dir.resolve("seqs.npy")), k = Npy.read(dir.resolve("indices.npy"));
        Tensor seqs = Tensors.floats(s.toFloatArray(), s.shape());
        Tensor indices = Tensors.longs(k.toLongArray(), k.shape());
        long[] lengths = new long[(int) s.shape()[0]];
        Arrays.fill(lengths, s.shape()[1]);
        Criterion.Loss loss = ((QuantLcmCriterion) criterion(model, 0.0)).compute(model, new EmbeddingsBatch(seqs, lengths, null), indices);
        loss.loss().backward();
        double sq = 0;
        for (Tensor p : model.parameterList()) if (p.grad().defined()) sq += p.grad().to(torch.ScalarType.Double).square().sum().item_double();
        double lossSum = loss.loss().item_double(), gradNorm = Math.sqrt(sq);
        double pyLoss = ((Number) expected.get("loss_sum")).doubleValue(), pyGrad = ((Number) expected.get("grad_norm")).doubleValue();
        double lossRel = Math.abs(lossSum - pyLoss) / Math.abs(pyLoss), gradRel = Math.abs(gradNorm - pyGrad) / Math.abs(pyGrad);
        boolean ok = lossRel < 1e-4 && gradRel < 1e-3 && loss.numTargets() == ((Number) expected.get("num_targets")).longValue();
        System.out.printf(Locale.ROOT, "{\"side\": \"lcm4j\", \"mode\": \"check\", \"family\": \"%s\", \"config\": \"%s\", \"loss_sum\": %.6f,"
                        + " \"pytorch_loss_sum\": %.6f, \"loss_rel_diff\": %.2e, \"grad_norm\": %.6f, \"pytorch_grad_norm\": %.6f,"
                        + " \"grad_norm_rel_diff\": %.2e, \"same\": %s}%n",
                model.family(), config, lossSum, pyLoss, lossRel, gradNorm, pyGrad, gradRel, ok);
        return ok;
    }

    /** toy = toy_quant_lcm_{d,c}; mid = the 1.6B layer style at d=1024, 4 layers, 16 heads, d_k 1024; both 8 x 256 over 1024 dims. */
    static QuantLcmConfig makeConfig(String name, String family) {
        QuantLcmFamily f = family.equals("d") ? QuantLcmFamily.DISCRETE : QuantLcmFamily.CONTINUOUS;
        if (name.equals("toy")) return f.archs().get("toy_" + f.name()).get();
        if (!name.equals("mid")) throw new IllegalArgumentException("--config toy|mid, got " + name);
        QuantLcmConfig big = f.archs().get(f.name() + "_1_6B").get();
        TransformerConfig l = big.lcm().toBuilder().num_layers(4).num_attn_heads(16).ffn_inner_dim(4096).build();
        return big.withShape(DIM, CODEBOOKS, UNITS, 2048, 1024, 1024, l);
    }

    private QuantLcmBench() {}
}
