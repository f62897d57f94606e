package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.zeros;

import dev.lcm4j.LcmException;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.io.OrderedDict;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * ZeRO-style sharding of the optimizer ({@code use_fsdp: true}). All trainable parameters are laid end to end in one
 * flat float32 vector of N elements (padded to a multiple of the world size W); rank r owns elements
 * [r N/W, (r+1) N/W). A step: the flat gradients are reduce-scattered, so each rank receives the sum over the ranks of
 * its slice only; the global gradient norm is the square root of the ranks' summed squared slice norms; each rank
 * normalizes, clips and runs AdamW on its slice with its slice of the two moments; an allgather then brings every
 * rank all updated parameters. Per rank the AdamW moments take 8 N / W bytes instead of 8 N.
 *
 * <p>Compared with PyTorch FSDP: the optimizer state and the reduced gradients are sharded (ZeRO stages 1 and 2);
 * the parameters and the full gradients during backward are not (FSDP also shards those, ZeRO-3). The arithmetic is
 * AdamW's, element by element, so a sharded and an unsharded run agree to float32 rounding, and checkpoints hold the
 * consolidated state either way. {@code fsdp_fp32_reduce: false} with bfloat16 compute sums the gradients in
 * bfloat16, as FSDP's mixed precision does.
 */
final class ShardedUpdater implements ParameterUpdater {
    private final List<String> names;
    private final List<Tensor> params;
    private final long[] offsets;       // start of each parameter in the flat vector
    private final long total, shard, start;
    private final DistributedGroup group;
    private final double beta1, beta2, eps, weightDecay;
    private final Tensor expAvg, expAvgSq;   // [shard]
    private final Tensor flatGrads, flatParams, gradShard; // [padded], [padded], [shard]
    private long step;
    private double communicationSeconds;

    ShardedUpdater(Map<String, Tensor> namedParams, double beta1, double beta2, double eps, double weightDecay,
                   DistributedGroup group) {
        this(namedParams, beta1, beta2, eps, weightDecay, group, ScalarType.Float);
    }

    /**
     * @param reduceDtype the dtype gradients are summed in: float32 ({@code fsdp_fp32_reduce: true}, the recipes'), or
     *                    the compute dtype bfloat16 (half the bytes; FSDP's reduce in the parameter dtype)
     */
    ShardedUpdater(Map<String, Tensor> namedParams, double beta1, double beta2, double eps, double weightDecay,
                   DistributedGroup group, ScalarType reduceDtype) {
        this.names = new ArrayList<>(namedParams.keySet());
        this.params = new ArrayList<>(namedParams.values());
        this.group = group;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.offsets = new long[params.size()];
        long n = 0;
        for (int i = 0; i < params.size(); i++) {
            offsets[i] = n;
            n += params.get(i).numel();
        }
        this.total = n;
        int w = group.worldSize();
        this.shard = (n + w - 1) / w;
        this.start = group.rank() * shard;
        long padded = shard * w;
        Device device = params.isEmpty() ? null : params.get(0).device(); // the model's: NCCL on CUDA, Gloo on CPU
        this.expAvg = keep(zeros(new long[] {shard}, Tensors.opts(ScalarType.Float, device)));
        this.expAvgSq = keep(zeros(new long[] {shard}, Tensors.opts(ScalarType.Float, device)));
        this.flatGrads = keep(zeros(new long[] {padded}, Tensors.opts(reduceDtype, device)));
        this.flatParams = keep(zeros(new long[] {padded}, Tensors.opts(ScalarType.Float, device)));
        this.gradShard = keep(zeros(new long[] {shard}, Tensors.opts(ScalarType.Float, device)));
    }

    private static Tensor keep(Tensor t) {
        t.retainReference();
        return t;
    }

    @Override
    public void zeroGrad() {
        try (PointerScope scope = new PointerScope()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null && g.defined()) g.zero_();
            }
        }
    }

    @Override
    public double reduceGradients() {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            flatGrads.zero_();
            for (int i = 0; i < params.size(); i++) {
                Tensor grad = params.get(i).grad();
                // a parameter the forward did not use has a zero gradient, as in PyTorch's graph (see AdamW)
                if (grad != null && grad.defined()) flatGrads.narrow(0, offsets[i], params.get(i).numel()).copy_(grad.reshape(-1));
            }
            long t0 = System.nanoTime();
            group.reduceScatterSum(gradShard, flatGrads);
            double sq = gradShard.to(ScalarType.Double).square().sum().item_double();
            double norm = Math.sqrt(group.allreduceSum(sq)[0]);
            communicationSeconds = (System.nanoTime() - t0) / 1e9;
            return norm;
        }
    }

    @Override
    public double update(double lr, double normFactor, double maxGradNorm, double rawNorm) {
        double total = rawNorm * normFactor;
        double gradNorm = total;
        step++;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            double coef = maxGradNorm / (total + 1e-6);
            // the same two multiplications as the replicated path (normalize, then clip), for the same rounding
            if (normFactor != 1.0) gradShard.mul_(Tensors.scalar(normFactor));
            if (coef < 1) gradShard.mul_(Tensors.scalar(coef));
            gatherParams(flatParams);
            Tensor p = flatParams.narrow(0, start, shard);
            double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
            p.mul_(Tensors.scalar(1 - lr * weightDecay));
            expAvg.lerp_(gradShard, Tensors.scalar(1 - beta1));
            expAvgSq.mul_(Tensors.scalar(beta2)).addcmul_(gradShard, gradShard, Tensors.scalar(1 - beta2));
            Tensor denom = expAvgSq.sqrt().div_(Tensors.scalar(Math.sqrt(bc2))).add_(Tensors.scalar(eps));
            p.addcdiv_(expAvg, denom, Tensors.scalar(-lr / bc1));
            Tensor mine = p.clone();
            long t0 = System.nanoTime();
            group.allgather(flatParams, mine);
            communicationSeconds += (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < params.size(); i++) {
                Tensor param = params.get(i);
                param.copy_(flatParams.narrow(0, offsets[i], param.numel()).view(Tensors.shape(param)));
            }
        }
        return gradNorm;
    }

    /** The current parameters, end to end (the padding stays zero). */
    private void gatherParams(Tensor into) {
        for (int i = 0; i < params.size(); i++) into.narrow(0, offsets[i], params.get(i).numel()).copy_(params.get(i).reshape(-1));
    }

    @Override
    public Map<String, Object> stateDict() {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor m = zeros(new long[] {shard * group.worldSize()}, Tensors.opts(ScalarType.Float, expAvg.device()));
            Tensor v = zeros(new long[] {shard * group.worldSize()}, Tensors.opts(ScalarType.Float, expAvg.device()));
            group.allgather(m, expAvg);
            group.allgather(v, expAvgSq);
            OrderedDict<String, Object> state = new OrderedDict<>();
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("step", (double) step);
                s.put("exp_avg", Checkpoints.toStored(m.narrow(0, offsets[i], p.numel()).view(Tensors.shape(p))));
                s.put("exp_avg_sq", Checkpoints.toStored(v.narrow(0, offsets[i], p.numel()).view(Tensors.shape(p))));
                state.put(names.get(i), s);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("state", state);
            out.put("step", step);
            return out;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void loadStateDict(Map<String, Object> dict, String source) {
        if (!(dict.get("state") instanceof Map<?, ?> state) || !(dict.get("step") instanceof Number n)) {
            throw new LcmException(source + " is not an optimizer state (no 'state' and 'step')");
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            float[] m = new float[(int) shard], v = new float[(int) shard];
            for (int i = 0; i < params.size(); i++) {
                if (!(state.get(names.get(i)) instanceof Map<?, ?> s)) {
                    throw new LcmException(source + " has no optimizer state for parameter " + names.get(i));
                }
                copySlice(((Map<String, Object>) s).get("exp_avg"), i, m, source);
                copySlice(((Map<String, Object>) s).get("exp_avg_sq"), i, v, source);
            }
            expAvg.copy_(Tensors.floats(m, shard));
            expAvgSq.copy_(Tensors.floats(v, shard));
        }
        this.step = n.longValue();
    }

    /** Copies the part of parameter {@code i}'s state that falls into this rank's slice. */
    private void copySlice(Object stored, int i, float[] into, String source) {
        long numel = params.get(i).numel();
        if (!(stored instanceof StoredTensor st) || st.numel() != numel) {
            throw new LcmException(source + ": the optimizer state of " + names.get(i) + " is missing or has another shape");
        }
        long from = Math.max(offsets[i], start), to = Math.min(offsets[i] + numel, Math.min(start + shard, total));
        if (from >= to) return;
        float[] all = st.toFloatArray();
        System.arraycopy(all, (int) (from - offsets[i]), into, (int) (from - start), (int) (to - from));
    }

    @Override
    public double lastCommunicationSeconds() {
        return communicationSeconds;
    }

    @Override
    public long optimizerStateBytes() {
        return 2 * 4 * shard;
    }
}
