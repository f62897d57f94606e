package dev.lcm4j.train;

import dev.lcm4j.torch.Tensors;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/** Gradient post-processing of the reference trainer: scaling by 1/#targets, global L2 norm, clipping. */
public final class Gradients {
    private Gradients() {}

    public static void scale(List<Tensor> params, double factor) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad != null && grad.defined()) grad.mul_(Tensors.scalar(factor));
            }
        }
    }

    /** Global L2 norm of all gradients (float64 accumulation). */
    public static double norm(List<Tensor> params) {
        double sq = 0;
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) continue;
                double n = grad.to(ScalarType.Double).norm().item_double();
                sq += n * n;
            }
        }
        return Math.sqrt(sq);
    }

    /**
     * torch.nn.utils.clip_grad_norm_: total = global norm; if max/(total+1e-6) < 1 every gradient is scaled by it.
     * Returns the norm before clipping (what the reference logs as grad_norm). Non-finite norms are returned as is
     * and nothing is scaled, so the caller can skip the step.
     */
    public static double clip(List<Tensor> params, double maxNorm) {
        return clip(params, maxNorm, norm(params));
    }

    /** As {@link #clip(List, double)} with the gradients' global norm already known (saves a pass per step). */
    public static double clip(List<Tensor> params, double maxNorm, double total) {
        if (!Double.isFinite(total)) return total;
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) scale(params, coef);
        return total;
    }
}
