package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.addcdiv_out;
import static org.bytedeco.pytorch.global.torch.zeros;
import static org.bytedeco.pytorch.global.torch.zeros_like;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.OrderedDict;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW exactly as {@code torch.optim.AdamW} (decoupled weight decay on every parameter, as the reference applies
 * it; bias correction; eps added after the square root). State is kept in float32 whatever the parameter dtype
 * ({@code use_optimizer_in_fp32}). Implemented here rather than through libtorch's C++ optimizer so that its state
 * is plain named tensors that go into checkpoints and come back bit for bit.
 */
public final class AdamW {
    private final List<String> names;
    private final List<Tensor> params;
    private final double beta1, beta2, eps, weightDecay;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>(), expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, Tensor> namedParams, double beta1, double beta2, double eps, double weightDecay) {
        this.names = new ArrayList<>(namedParams.keySet());
        this.params = new ArrayList<>(namedParams.values());
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor m = zeros(Tensors.shape(p), Tensors.opts(ScalarType.Float, p.device()));
            Tensor v = zeros(Tensors.shape(p), Tensors.opts(ScalarType.Float, p.device()));
            m.retainReference();
            v.retainReference();
            expAvg.put(names.get(i), m);
            expAvgSq.put(names.get(i), v);
        }
    }

    /** Names of the parameters this optimizer updates (frozen ones are not among them). */
    public List<String> names() {
        return Collections.unmodifiableList(names);
    }

    public long stepCount() {
        return step;
    }

    /** One update with learning rate {@code lr} using the parameters' current gradients (a missing one counts as 0). */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor grad = p.grad();
                // A parameter the forward did not use has no gradient here, where PyTorch running the reference's
                // graph has a zero one: the denoiser's self-attention q/k projections feed a softmax over a single
                // key, whose gradient is exactly 0, and lcm4j skips computing them. PyTorch's AdamW still applies
                // weight decay and moment decay to zero gradients, so a zero gradient is used, as there.
                Tensor gf = grad == null || !grad.defined() ? zeros_like(p, Tensors.opts(ScalarType.Float, null), null) : grad.to(ScalarType.Float);
                Tensor pf = p.scalar_type() == ScalarType.Float ? p : p.to(ScalarType.Float);
                Tensor m = expAvg.get(names.get(i)), v = expAvgSq.get(names.get(i));
                pf.mul_(Tensors.scalar(1 - lr * weightDecay));
                m.lerp_(gf, Tensors.scalar(1 - beta1));
                v.mul_(Tensors.scalar(beta2)).addcmul_(gf, gf, Tensors.scalar(1 - beta2));
                Tensor denom = v.sqrt().div_(Tensors.scalar(bc2Sqrt)).add_(Tensors.scalar(eps));
                addcdiv_out(pf, pf, m, denom, Tensors.scalar(-stepSize)); // p -= stepSize * m / denom
                if (pf != p) p.copy_(pf);
            }
        }
    }

    /**
     * The optimizer's state as {@code torch.optim.Optimizer.state_dict()} lays it out, with parameter names as keys:
     * {@code {"state": {name: {"step", "exp_avg", "exp_avg_sq"}}, "step": n}}; tensors are float32 copies.
     */
    public Map<String, Object> stateDict() {
        OrderedDict<String, Object> state = new OrderedDict<>();
        for (String name : names) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("step", (double) step);
            s.put("exp_avg", Checkpoints.toStored(expAvg.get(name)));
            s.put("exp_avg_sq", Checkpoints.toStored(expAvgSq.get(name)));
            state.put(name, s);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", state);
        out.put("step", step);
        return out;
    }

    /** Restores {@link #stateDict()} output (as read back from a checkpoint); every trainable parameter must be in it. */
    @SuppressWarnings("unchecked")
    public void loadStateDict(Map<String, Object> dict, String source) {
        if (!(dict.get("state") instanceof Map<?, ?> state) || !(dict.get("step") instanceof Number n)) {
            throw new LcmException(source + " is not an optimizer state (no 'state' and 'step')");
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (String name : names) {
                if (!(state.get(name) instanceof Map<?, ?> s)) throw new LcmException(source + " has no optimizer state for parameter " + name);
                copy(expAvg.get(name), ((Map<String, Object>) s).get("exp_avg"), source, name);
                copy(expAvgSq.get(name), ((Map<String, Object>) s).get("exp_avg_sq"), source, name);
            }
        }
        this.step = n.longValue();
    }

    private static void copy(Tensor target, Object stored, String source, String name) {
        if (!(stored instanceof StoredTensor st) || st.numel() != target.numel()) {
            throw new LcmException(source + ": the optimizer state of " + name + " is missing or has another shape");
        }
        target.copy_(Tensors.floats(st.toFloatArray(), Tensors.shape(target)));
    }

    public void zeroGrad() {
        try (PointerScope scope = new PointerScope()) { // the grad() handles are per-call wrappers
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null && g.defined()) g.zero_();
            }
        }
    }
}
