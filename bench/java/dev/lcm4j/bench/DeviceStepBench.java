package dev.lcm4j.bench;

import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.AdamW;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code bench/gpu_check.sh}'s timing of one bf16 train step of an arch on a device, at a token budget: forward under
 * bf16 autocast, the family's criterion (the reference recipe's: next_sentence_mse or two_tower_diffusion_next_sent,
 * reduction sum), backward of loss / #targets, clip to 25, AdamW (lr 4e-4, betas .9/.95, eps 1e-5, wd .1). The batch
 * is {@code max_tokens / seq_len} documents of {@code seq_len} concepts drawn from N(0, 0.006^2) on the CPU.
 *
 * <pre>
 * java -cp bench/target/gpu_check/classes:target/lcm4j.jar:target/lib/* dev.lcm4j.bench.DeviceStepBench \
 *     --arch base_lcm_1_6B --device cuda --max_tokens 7168 --seq_len 128 --steps 5 --warmup 2 \
 *     [--peak_bf16_tflops 989] [--overrides '{model_dim: 32, ...}']
 * </pre>
 *
 * Prints one JSON line: median ms per step, peak memory (device memory on CUDA, resident set on the CPU), model FLOPs per step = 6 x parameters x concept positions (attention's
 * T x T products not counted, so MFU is a slight underestimate), TFLOP/s and MFU against the given dense bf16 peak.
 */
public final class DeviceStepBench {
    public static void main(String[] args) {
        String arch = null, device = "cuda", overrides = null;
        int maxTokens = 7168, seqLen = 128, steps = 5, warmup = 2;
        double peak = Double.NaN;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--arch" -> arch = args[++i];
                case "--device" -> device = args[++i];
                case "--max_tokens" -> maxTokens = Integer.parseInt(args[++i]);
                case "--seq_len" -> seqLen = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--peak_bf16_tflops" -> peak = Double.parseDouble(args[++i]);
                case "--overrides" -> overrides = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (arch == null) throw new IllegalArgumentException("--arch NAME is required");
        TorchRuntime.init();
        Device on = Devices.resolve(device, "--device", -1);
        var a = ModelFamilies.arch(arch);
        @SuppressWarnings("unchecked")
        Map<String, Object> ovr = overrides == null ? null : (Map<String, Object>) new org.yaml.snakeyaml.Yaml().load(overrides);
        Record config = ModelLoader.config(a.family(), arch, ovr, "--overrides");
        torch.manual_seed(0);
        Lcm model = ModelLoader.build(config, ParamFactory.on(on));
        model.train(true);
        String criterionName = a.family().equals("base_lcm") ? "next_sentence_mse" : "two_tower_diffusion_next_sent";
        // the recipes' criteria (recipes/train/pretrain/{mse,two_tower}.yaml)
        Map<String, Object> criterionNode = new java.util.LinkedHashMap<>(Map.of("name", criterionName, "reduction", "sum"));
        if (!a.family().equals("base_lcm")) criterionNode.put("cf_guidance_probability", 0.15);
        CriterionConfig cc = ConfigBinder.bindOnto(criterionNode, CriterionConfig.defaults(), CriterionConfig.class, "criterion");
        Criterion criterion = ModelFamilies.of(model).criterionOf(cc, model);
        AdamW opt = new AdamW(model.namedParameters(), 0.9, 0.95, 1e-5, 0.1);
        TensorVector params = new TensorVector(model.parameterList().toArray(new Tensor[0]));

        int docs = Math.max(1, maxTokens / seqLen);
        Tensor seqs = torch.randn(docs, seqLen, model.sonarEmbedDim()).mul(Tensors.scalar(0.006));
        seqs.retainReference();
        long[] lengths = new long[docs];
        Arrays.fill(lengths, seqLen);
        EmbeddingsBatch cpuBatch = new EmbeddingsBatch(seqs, lengths, null);

        List<Double> times = new ArrayList<>();
        double firstLoss = Double.NaN, lastLoss = Double.NaN;
        for (int i = 0; i < warmup + steps; i++) {
            synchronize(on);
            long t0 = System.nanoTime();
            double loss;
            try (PointerScope scope = new PointerScope()) {
                EmbeddingsBatch batch = cpuBatch.to(model.device());
                Criterion.Loss out;
                DeviceType kernels = on.is_cuda() ? DeviceType.CUDA : DeviceType.CPU;
                Autocast.enter(kernels, ScalarType.BFloat16);
                try {
                    out = criterion.loss(model, batch);
                } finally {
                    Autocast.exit(kernels);
                }
                Tensor scaled = out.loss().div(Tensors.scalar(Math.max(1, out.numTargets())));
                scaled.backward();
                torch.clip_grad_norm_(params, 25.0);
                loss = scaled.item_double(); // waits for the device, as the trainer's statistics do
            }
            opt.step(4e-4);
            opt.zeroGrad();
            synchronize(on);
            long t1 = System.nanoTime();
            if (i == 0) firstLoss = loss;
            lastLoss = loss;
            if (i >= warmup) times.add((t1 - t0) / 1e6);
        }
        times.sort(Double::compare);
        double med = times.get(times.size() / 2);
        long n = model.parameterCount();
        double flops = 6.0 * n * docs * seqLen;
        double tflops = flops / (med / 1e3) / 1e12;
        System.out.printf(Locale.ROOT, "{\"arch\": \"%s\", \"device\": \"%s\", \"dtype\": \"bf16\", \"params\": %d, \"batch\": [%d, %d],"
                        + " \"steps\": %d, \"median_ms_per_step\": %.1f, \"model_tflops_per_step\": %.3f, \"tflops_per_s\": %.2f,"
                        + " \"peak_bf16_tflops\": %s, \"mfu\": %s, \"first_loss\": %s, \"last_loss\": %s, \"peak_memory_mib\": %.0f}%n",
                arch, Devices.describe(on), n, docs, seqLen, steps, med, flops / 1e12, tflops,
                Double.isNaN(peak) ? "null" : String.valueOf(peak),
                Double.isNaN(peak) ? "null" : String.format(Locale.ROOT, "%.4f", tflops / peak),
                json(firstLoss), json(lastLoss),
                dev.lcm4j.torch.PeakMemory.mib(on.is_cuda() ? Math.max(0, on.has_index() ? on.index() : 0) : -1));
        if (!Double.isFinite(lastLoss)) System.exit(1);
    }

    static String json(double v) {
        return Double.isFinite(v) ? String.valueOf(v) : "\"" + v + "\"";
    }

    static void synchronize(Device d) {
        if (d.is_cuda()) torch.cuda_synchronize();
    }
}
