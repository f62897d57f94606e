package dev.lcm4j.bench;

import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.util.Locale;
import java.util.function.Supplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Op-level timings behind the train-step numbers (mid config shapes: 1024 tokens x d=1024, 16 heads, SwiGLU 2816),
 * forward only, no grad: linear fp32 vs bf16 (autocast and explicit), SDPA, the fp32 round trips in Norm/RoPE and
 * the per-op JNI + PointerScope overhead. Usage: OMP_WAIT_POLICY=PASSIVE java -cp ... dev.lcm4j.bench.OpProfile [threads]
 */
public final class OpProfile {
    public static void main(String[] args) {
        TorchRuntime.init();
        torch.set_num_threads(args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors());
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.randn(8, 128, 1024); x.retainReference();
            Tensor xb = x.to(ScalarType.BFloat16); xb.retainReference();
            Tensor w = torch.randn(2816, 1024).mul(Tensors.scalar(0.02)); w.retainReference();
            Tensor wb = w.to(ScalarType.BFloat16); wb.retainReference();
            Tensor q = torch.randn(8, 16, 128, 64); q.retainReference();
            Tensor qb = q.to(ScalarType.BFloat16); qb.retainReference();
            double f = 2.0 * 1024 * 1024 * 2816;
            time("linear fp32 [1024x1024]x[1024x2816]", f, () -> torch.linear(x, w));
            time("linear bf16 explicit", f, () -> torch.linear(xb, wb));
            time("linear fp32 in, autocast bf16 (casts x and W each call, no cache)", f, () -> {
                torch.set_autocast_dtype(DeviceType.CPU, ScalarType.BFloat16);
                torch.set_autocast_enabled(DeviceType.CPU, true);
                try { return torch.linear(x, w); } finally { torch.set_autocast_enabled(DeviceType.CPU, false); }
            });
            time("matmul bf16 2D [1024x1024]x[1024x2816]^T", f, () -> xb.reshape(1024, 1024).matmul(wb.t()));
            double fa = 2 * 2.0 * 8 * 16 * 128 * 128 * 64;
            time("sdpa causal fp32 [8,16,128,64]", fa, () -> torch.scaled_dot_product_attention(q, q, q, new TensorOptional(), 0.0, true, new DoubleOptional(), false));
            time("sdpa causal bf16", fa, () -> torch.scaled_dot_product_attention(qb, qb, qb, new TensorOptional(), 0.0, true, new DoubleOptional(), false));
            time("sdpa non-causal bf16", fa, () -> torch.scaled_dot_product_attention(qb, qb, qb, new TensorOptional(), 0.0, false, new DoubleOptional(), false));
            Tensor causal = torch.ones(128, 128).tril().to(ScalarType.Bool); causal.retainReference();
            time("sdpa bf16 with explicit bool causal mask", fa, () -> torch.scaled_dot_product_attention(qb, qb, qb, new TensorOptional(causal), 0.0, false, new DoubleOptional(), false));
            time("manual bf16 attention: softmax(q k^T / 8 + mask) v", fa, () -> torch.softmax(qb.matmul(qb.transpose(-2, -1)).mul(Tensors.scalar(0.125))
                    .masked_fill(causal.logical_not(), Tensors.scalar(Double.NEGATIVE_INFINITY)), -1).matmul(qb));
            time("to(Float)+to(BFloat16) round trip of [8,128,1024] (Norm/RoPE)", 0, () -> xb.to(ScalarType.Float).to(ScalarType.BFloat16));
            Tensor tiny = torch.ones(4); tiny.retainReference();
            time("tiny add (JNI + op dispatch)", 0, () -> tiny.add(tiny));
            long t0 = System.nanoTime();
            for (int i = 0; i < 10000; i++) try (PointerScope s = new PointerScope()) { tiny.add(tiny); }
            System.out.printf(Locale.ROOT, "%-70s %9.2f us%n", "tiny add, PointerScope per op", (System.nanoTime() - t0) / 1e3 / 10000);
        }
    }

    static void time(String name, double flops, Supplier<Tensor> op) {
        try (PointerScope s = new PointerScope()) { op.get(); op.get(); }
        int n = flops > 0 ? 10 : 200;
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            try (PointerScope s = new PointerScope()) { for (int i = 0; i < n; i++) op.get(); }
            best = Math.min(best, (System.nanoTime() - t0) / 1e6 / n);
        }
        System.out.printf(Locale.ROOT, "%-70s %9.3f ms %s%n", name, best, flops > 0 ? String.format(Locale.ROOT, "%7.1f GFLOP/s", flops / best / 1e6) : "");
    }

    private OpProfile() {}
}
