package dev.lcm4j.bench;

import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.baselcm.BaseLcmArchs;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.AdamW;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.baselcm.MseCriterion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Train-step benchmark of lcm4j's base_lcm (MSE LCM) on CPU; the Java half of {@code bench/run_train_step.sh}, the
 * Python half is {@code bench/python/bench_base_lcm.py}. Not a unit test: a main class under a separate source root.
 *
 * <p>One step = forward (under CPU autocast for bf16) + MseCriterion (next_sentence_mse, reduction sum; computed in
 * float32) + backward of loss/num_targets + clip_grad_norm_(25) + AdamW(lr 4e-4, betas .9/.95, eps 1e-5, wd .1) +
 * zero_grad. Batch: 8 documents x 128 sentences x 1024 (SONAR dim), no padding, N(0, 0.006^2) embeddings.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java -cp bench/target/classes:target/lcm4j.jar:target/lib/* \
 *     dev.lcm4j.bench.TrainStepBench --config toy|mid --dtype fp32|bf16 --steps N --warmup W --threads T \
 *     [--peak-fp32 GFLOPS] [--peak-bf16 GFLOPS]
 * </pre>
 *
 * Prints one JSON line: median ms/step, the matmul FLOP estimate per step (same formula as the Python side),
 * GFLOP/s, MFU against the given measured peaks, and a forward/backward/clip/optimizer split of the median step.
 */
public final class TrainStepBench {
    static final int BATCH = 8, SEQ = 128;
    static final double LR = 4e-4, CLIP = 25.0;

    public static void main(String[] args) {
        String config = "toy", dtype = "fp32";
        int steps = 10, warmup = 2, threads = Runtime.getRuntime().availableProcessors();
        double peakFp32 = Double.NaN, peakBf16 = Double.NaN;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = args[++i];
                case "--dtype" -> dtype = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--peak-fp32" -> peakFp32 = Double.parseDouble(args[++i]);
                case "--peak-bf16" -> peakBf16 = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: --config toy|mid --dtype fp32|bf16 --steps N --warmup W --threads T"
                        + " [--peak-fp32 GFLOPS] [--peak-bf16 GFLOPS]");
            }
        }
        if (!dtype.equals("fp32") && !dtype.equals("bf16")) throw new IllegalArgumentException("--dtype fp32|bf16");
        boolean bf16 = dtype.equals("bf16");

        TorchRuntime.init();
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        BaseLcmConfig cfg = makeConfig(config);
        BaseLcm model = new BaseLcm(ParamFactory.cpu(), cfg, null);
        model.train(true);
        List<Tensor> params = model.parameterList();
        TensorVector paramVec = new TensorVector(params.toArray(new Tensor[0]));
        AdamW opt = new AdamW(model.namedParameters(), 0.9, 0.95, 1e-5, 0.1);
        MseCriterion criterion = new MseCriterion("next_sentence_mse", "sum", false);

        Tensor seqs = torch.randn(BATCH, SEQ, cfg.sonar_embed_dim()).mul(Tensors.scalar(0.006));
        seqs.retainReference();
        long[] lengths = new long[BATCH];
        Arrays.fill(lengths, SEQ);
        EmbeddingsBatch batch = new EmbeddingsBatch(seqs, lengths, null);

        List<double[]> times = new ArrayList<>(); // {total, fwd, bwd, clip, opt} in ms
        double firstLoss = Double.NaN, lastLoss = Double.NaN;
        long numTargets = 0;
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime(), t1, t2, t3;
            try (PointerScope scope = new PointerScope()) {
                MseCriterion.Output out;
                if (bf16) {
                    torch.set_autocast_dtype(DeviceType.CPU, ScalarType.BFloat16);
                    torch.set_autocast_enabled(DeviceType.CPU, true);
                    torch.increment_nesting();
                    try {
                        out = criterion.compute(model, batch);
                    } finally {
                        torch.set_autocast_enabled(DeviceType.CPU, false);
                        // as Python's autocast __exit__: drop the bf16 weight-cast cache, the weights change below
                        if (torch.decrement_nesting() == 0) torch.clear_cache();
                    }
                } else {
                    out = criterion.compute(model, batch);
                }
                numTargets = out.numTargets();
                Tensor scaled = out.loss().div(Tensors.scalar(numTargets));
                t1 = System.nanoTime();
                scaled.backward();
                t2 = System.nanoTime();
                torch.clip_grad_norm_(paramVec, CLIP);
                t3 = System.nanoTime();
                double loss;
                try (NoGradGuard g = new NoGradGuard()) {
                    loss = scaled.item_double();
                }
                if (i == 0) firstLoss = loss;
                lastLoss = loss;
            }
            opt.step(LR);
            opt.zeroGrad();
            long t4 = System.nanoTime();
            if (i >= warmup) times.add(new double[] {(t4 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                    (t3 - t2) / 1e6, (t4 - t3) / 1e6});
        }

        double med = median(times, 0);
        double min = times.stream().mapToDouble(t -> t[0]).min().orElse(Double.NaN);
        double flops = flopsPerStep(cfg, BATCH, SEQ);
        double gflops = flops / (med / 1e3) / 1e9;
        double mm32 = matmulGflops(ScalarType.Float), mm16 = matmulGflops(ScalarType.BFloat16);
        StringBuilder sb = new StringBuilder();
        sb.append('{');
        kv(sb, "side", "\"lcm4j\"");
        kv(sb, "config", q(config));
        kv(sb, "dtype", q(dtype));
        kv(sb, "threads", Integer.toString(torch.get_num_threads()));
        kv(sb, "libtorch", q("bytedeco 2.10.0-1.5.13"));
        kv(sb, "omp_wait_policy", q(String.valueOf(System.getenv("OMP_WAIT_POLICY"))));
        kv(sb, "params", Long.toString(model.parameterCount()));
        kv(sb, "batch", "[" + BATCH + ", " + SEQ + "]");
        kv(sb, "steps", Integer.toString(steps));
        kv(sb, "warmup", Integer.toString(warmup));
        kv(sb, "median_ms_per_step", f1(med));
        kv(sb, "min_ms_per_step", f1(min));
        kv(sb, "median_ms_fwd", f1(median(times, 1)));
        kv(sb, "median_ms_bwd", f1(median(times, 2)));
        kv(sb, "median_ms_clip", f1(median(times, 3)));
        kv(sb, "median_ms_opt", f1(median(times, 4)));
        kv(sb, "flops_per_step", String.format(Locale.ROOT, "%.1f", flops));
        kv(sb, "gflops_per_s", f1(gflops));
        kv(sb, "mfu_vs_fp32_peak", Double.isNaN(peakFp32) ? "null" : String.format(Locale.ROOT, "%.4f", gflops / peakFp32));
        kv(sb, "mfu_vs_bf16_peak", Double.isNaN(peakBf16) ? "null" : String.format(Locale.ROOT, "%.4f", gflops / peakBf16));
        kv(sb, "matmul2048_fp32_gflops", f1(mm32));
        kv(sb, "matmul2048_bf16_gflops", f1(mm16));
        kv(sb, "first_loss_per_target", Double.toString(firstLoss));
        kv(sb, "last_loss_per_target", Double.toString(lastLoss));
        sb.setLength(sb.length() - 2);
        sb.append('}');
        System.out.println(sb);
    }

    /** toy = the toy_base_lcm arch; mid = base_lcm_1_6B's layer style (SwiGLU, RMSNorm, RoPE, out-proj bias) at d=1024, 4 layers, 16 heads. */
    static BaseLcmConfig makeConfig(String name) {
        if (name.equals("toy")) return BaseLcmArchs.all().get("toy_base_lcm").get();
        if (!name.equals("mid")) throw new IllegalArgumentException("--config toy|mid, got " + name);
        TransformerConfig t = TransformerConfig.defaults();
        TransformerConfig lcm = t.toBuilder().num_layers(4).num_attn_heads(16).final_dropout_p(0.0).ffn_inner_dim(4096)
                .use_swiglu(true).pos_embedding_style("rope").layer_normalization_style("rms").mha_output_proj_bias(true).build();
        return BaseLcmConfig.builder().max_seq_len(2048).model_dim(1024).lcm(lcm).build();
    }

    /** Matmul FLOPs (2mnk) of the forward, x3 for forward+backward; identical to the Python side's formula. */
    static double flopsPerStep(BaseLcmConfig c, int b, int t) {
        TransformerConfig l = c.lcm();
        long d = c.model_dim(), s = c.sonar_embed_dim();
        long ffn = l.use_swiglu() ? 3L * 2 * d * gluInnerDim(l.ffn_inner_dim()) : 2L * 2 * d * l.ffn_inner_dim();
        long perTokLayer = 4L * 2 * d * d + ffn + 2L * 2 * t * d;
        long perTok = l.num_layers() * perTokLayer + 2 * s * d + 2 * d * s;
        return 3.0 * perTok * b * t;
    }

    static long gluInnerDim(int inner) {
        long h = (long) (inner * (2.0 / 3.0));
        return 256 * ((h + 255) / 256);
    }

    /** libtorch 2048^3 matmul throughput in the given dtype (best of 5), an achievable-peak reference. */
    static double matmulGflops(ScalarType st) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor a = torch.randn(2048, 2048).to(st), b = torch.randn(2048, 2048).to(st);
            a.matmul(b);
            double best = 0;
            for (int i = 0; i < 5; i++) {
                try (PointerScope inner = new PointerScope()) {
                    long t0 = System.nanoTime();
                    a.matmul(b);
                    double s = (System.nanoTime() - t0) / 1e9;
                    best = Math.max(best, 2.0 * 2048 * 2048 * 2048 / s / 1e9);
                }
            }
            return best;
        }
    }

    static double median(List<double[]> xs, int col) {
        double[] v = xs.stream().mapToDouble(t -> t[col]).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static void kv(StringBuilder sb, String k, String v) {
        sb.append('"').append(k).append("\": ").append(v).append(", ");
    }

    static String q(String s) {
        return '"' + s.replace("\"", "'") + '"';
    }

    static String f1(double v) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.1f", v);
    }

    private TrainStepBench() {}
}
