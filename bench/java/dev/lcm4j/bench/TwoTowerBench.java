package dev.lcm4j.bench;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmArchs;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.AdamW;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.twotower.DiffusionCriterion;
import dev.lcm4j.models.EmbeddingsBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Benchmarks of lcm4j's two-tower diffusion LCM on CPU; the Java half of {@code bench/run_two_tower.sh} (the Python
 * half of the train step is {@code bench/python/bench_two_tower.py}). Not a unit test.
 *
 * <pre>
 * java -cp bench/target/classes:target/lcm4j.jar:target/lib/* dev.lcm4j.bench.TwoTowerBench \
 *     train --config toy|mid --dtype fp32|bf16 --steps N --warmup W --threads T
 * java ... dev.lcm4j.bench.TwoTowerBench generate --config toy|mid --batch B --sentences 10 --timesteps 40 --threads T
 * </pre>
 *
 * toy is the toy arch with trained_with_cf_guidance on. train: one step = unsupervised diffusion criterion (uniform steps, cf_guidance_probability 0.15, reduction sum)
 * on 8 x 128 concepts of dim 1024 + backward of loss / #targets + clip_grad_norm_(25) + AdamW; prints median ms/step.
 * generate: B prompts of 3 concepts, 10 new concepts each (no EOS), 40 DDIM steps with classifier-free guidance
 * (scale 3, rescale 0.7, initial noise 0.6: the reference README's settings); prints the wall time of the run.
 */
public final class TwoTowerBench {
    public static void main(String[] args) {
        String mode = args[0], config = "toy", dtype = "fp32";
        int steps = 5, warmup = 1, threads = Runtime.getRuntime().availableProcessors(), batch = 1, sentences = 10, timesteps = 40;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = args[++i];
                case "--dtype" -> dtype = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--sentences" -> sentences = Integer.parseInt(args[++i]);
                case "--timesteps" -> timesteps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        TorchRuntime.init();
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        TwoTowerDiffusionLcmConfig cfg = makeConfig(config);
        SonarNormalizer identity = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(cfg.sonar_embed_dim()));
        TwoTowerDiffusionLcm model = new TwoTowerDiffusionLcm(ParamFactory.cpu(), cfg, identity);
        if (mode.equals("train")) train(model, config, dtype, steps, warmup);
        else generate(model, config, batch, sentences, timesteps);
    }

    static void train(TwoTowerDiffusionLcm model, String config, String dtype, int steps, int warmup) {
        boolean bf16 = dtype.equals("bf16");
        model.train(true);
        List<Tensor> params = model.parameterList();
        TensorVector paramVec = new TensorVector(params.toArray(new Tensor[0]));
        AdamW opt = new AdamW(model.namedParameters(), 0.9, 0.95, 1e-5, 0.1);
        CriterionConfig d = CriterionConfig.defaults();
        Criterion criterion = new DiffusionCriterion(new CriterionConfig("two_tower_diffusion_next_sent", d.reduction(), false,
                d.min_context_size(), 0.15, false, d.step_sampling()), model);
        Tensor seqs = torch.randn(8, 128, model.sonarEmbedDim()).mul(Tensors.scalar(0.006));
        seqs.retainReference();
        long[] lengths = new long[8];
        Arrays.fill(lengths, 128);
        EmbeddingsBatch batch = new EmbeddingsBatch(seqs, lengths, null);
        List<Double> times = new ArrayList<>();
        double first = Double.NaN, last = Double.NaN;
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime();
            try (PointerScope scope = new PointerScope()) {
                Criterion.Loss out;
                if (bf16) Autocast.enter();
                try {
                    out = criterion.loss(model, batch);
                } finally {
                    if (bf16) Autocast.exit();
                }
                Tensor scaled = out.loss().div(Tensors.scalar(out.numTargets()));
                scaled.backward();
                torch.clip_grad_norm_(paramVec, 25.0);
                double loss = scaled.item_double();
                if (i == 0) first = loss;
                last = loss;
            }
            opt.step(4e-4);
            opt.zeroGrad();
            if (i >= warmup) times.add((System.nanoTime() - t0) / 1e6);
        }
        System.out.printf(Locale.ROOT, "{\"side\": \"lcm4j\", \"mode\": \"train\", \"config\": \"%s\", \"dtype\": \"%s\", \"threads\": %d,"
                        + " \"params\": %d, \"steps\": %d, \"ms_per_step_median\": %.1f, \"ms_per_step_min\": %.1f, \"first_loss\": %.3f, \"last_loss\": %.3f}%n",
                config, dtype, torch.get_num_threads(), model.parameterCount(), steps, BenchStats.median(times),
                times.stream().mapToDouble(x -> x).min().orElse(Double.NaN), first, last);
    }

    static void generate(TwoTowerDiffusionLcm model, String config, int batch, int sentences, int timesteps) {
        model.train(false);
        Random r = new Random(1);
        List<float[][]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            float[][] p = new float[3][model.sonarEmbedDim()];
            for (float[] v : p) for (int j = 0; j < v.length; j++) v[j] = (float) (r.nextGaussian() * 0.006);
            prompts.add(p);
        }
        DiffusionOptions d = DiffusionOptions.readme().withTimesteps(timesteps, false);
        LcmGenerator gen = new LcmGenerator(model, new GeneratorOptions(200, 1, null, false, null, false, false, 42L, 1.0), d, null);
        gen.generate(prompts, 2, 1, 0.0, false); // warm-up
        long t0 = System.nanoTime();
        List<float[][]> out = gen.generate(prompts, sentences, 1, 0.0, false);
        double ms = (System.nanoTime() - t0) / 1e6;
        int made = 0;
        for (float[][] h : out) made += h.length - 3;
        System.out.printf(Locale.ROOT, "{\"side\": \"lcm4j\", \"mode\": \"generate\", \"config\": \"%s\", \"threads\": %d, \"batch\": %d,"
                        + " \"sentences_per_row\": %d, \"timesteps\": %d, \"guidance\": true, \"denoiser_forwards\": %d, \"wall_ms\": %.1f,"
                        + " \"ms_per_sentence\": %.2f, \"sentences_per_s\": %.1f}%n",
                config, torch.get_num_threads(), batch, sentences, timesteps, sentences * timesteps, ms, ms / made, made / (ms / 1e3));
    }

    /** toy = toy_two_tower_diffusion_lcm; mid = the 1.6B layer style (RoPE, RMSNorm, SwiGLU, bias) at d=1024, 2 + 4 layers, 16 heads. */
    static TwoTowerDiffusionLcmConfig makeConfig(String name) {
        if (name.equals("toy")) {
            // the toy arch with guidance training on, so that both sides drop rows for CFG (the 1.6B recipe's setting)
            TwoTowerDiffusionLcmConfig t = TwoTowerDiffusionLcmArchs.all().get("toy_two_tower_diffusion_lcm").get();
            return t.toBuilder().trained_with_cf_guidance(true).build();
        }
        if (!name.equals("mid")) throw new IllegalArgumentException("--config toy|mid, got " + name);
        TwoTowerDiffusionLcmConfig big = TwoTowerDiffusionLcmArchs.all().get("two_tower_diffusion_lcm_1_6B").get();
        TransformerConfig e = big.context_encoder(), n = big.denoiser().transformer();
        TransformerConfig enc = e.toBuilder().num_layers(2).num_attn_heads(16).ffn_inner_dim(4096).build();
        TransformerConfig den = n.toBuilder().num_layers(4).num_attn_heads(16).ffn_inner_dim(4096).build();
        return big.toBuilder().max_seq_len(2048).model_dim(1024).context_encoder(enc).denoiser(DenoiserConfig.of(den, 1024))
                .trained_with_cf_guidance(true).build();
    }

    private TwoTowerBench() {}
}
