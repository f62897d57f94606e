package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.zeros;

import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Data parallelism with replicated parameters and optimizer state (what PyTorch's DDP gives): after the backward of
 * the last micro-batch (never between micro-batches, so accumulation costs no communication) the gradients are
 * copied into flat buckets of about 25 MB, each summed over the ranks with an allreduce, and copied back; then every
 * rank clips and steps identically. On one process nothing is communicated.
 */
final class ReplicatedUpdater implements ParameterUpdater {
    /** Elements per allreduce bucket (25 MB of float32, PyTorch DDP's default bucket size). */
    static final long BUCKET_ELEMENTS = 25L * 1024 * 1024 / 4;

    private final AdamW optimizer;
    private final List<Tensor> params;
    private final DistributedGroup group;
    private final List<List<Tensor>> buckets = new ArrayList<>();
    private double communicationSeconds;

    ReplicatedUpdater(AdamW optimizer, List<Tensor> params, DistributedGroup group) {
        this.optimizer = optimizer;
        this.params = params;
        this.group = group;
        List<Tensor> current = new ArrayList<>();
        long size = 0;
        for (Tensor p : params) {
            if (!current.isEmpty() && size + p.numel() > BUCKET_ELEMENTS) {
                buckets.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(p);
            size += p.numel();
        }
        if (!current.isEmpty()) buckets.add(current);
    }

    @Override
    public void zeroGrad() {
        optimizer.zeroGrad();
    }

    @Override
    public double reduceGradients() {
        communicationSeconds = 0;
        if (group.distributed()) {
            try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                for (List<Tensor> bucket : buckets) allreduce(bucket);
            }
        }
        return Gradients.norm(params);
    }

    /** One flat allreduce over a bucket's gradients; a parameter without a gradient contributes zeros. */
    private void allreduce(List<Tensor> bucket) {
        long n = 0;
        for (Tensor p : bucket) n += p.numel();
        Tensor flat = zeros(new long[] {n}, Tensors.opts(ScalarType.Float, bucket.get(0).device())); // NCCL on CUDA, Gloo on CPU
        long at = 0;
        boolean[] had = new boolean[bucket.size()];
        for (int i = 0; i < bucket.size(); i++) {
            Tensor p = bucket.get(i), grad = p.grad();
            had[i] = grad != null && grad.defined();
            if (had[i]) flat.narrow(0, at, p.numel()).copy_(grad.reshape(-1));
            at += p.numel();
        }
        long t0 = System.nanoTime();
        group.allreduceSum(flat);
        communicationSeconds += (System.nanoTime() - t0) / 1e9;
        at = 0;
        for (int i = 0; i < bucket.size(); i++) {
            Tensor p = bucket.get(i);
            // the same model runs on every rank, so a parameter without a gradient has none anywhere: leave it so
            if (had[i]) p.grad().copy_(flat.narrow(0, at, p.numel()).view(Tensors.shape(p)));
            at += p.numel();
        }
    }

    @Override
    public double update(double lr, double normFactor, double maxGradNorm, double rawNorm) {
        if (normFactor != 1.0) Gradients.scale(params, normFactor);
        double gradNorm = Gradients.clip(params, maxGradNorm, rawNorm * normFactor);
        optimizer.step(lr);
        return gradNorm;
    }

    @Override
    public Map<String, Object> stateDict() {
        return optimizer.stateDict();
    }

    @Override
    public void loadStateDict(Map<String, Object> dict, String source) {
        optimizer.loadStateDict(dict, source);
    }

    @Override
    public double lastCommunicationSeconds() {
        return communicationSeconds;
    }

    @Override
    public long optimizerStateBytes() {
        long n = 0;
        for (Tensor p : params) n += p.numel();
        return 2 * 4 * n;
    }
}
