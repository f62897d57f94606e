package dev.lcm4j.train;

import dev.lcm4j.LcmException;
import java.util.List;

/**
 * The reference's LR schedules (fairseq2 schedulers, {@code lcm/train/optim.py}). {@link #lr(long)} takes the
 * scheduler's {@code last_epoch}: the k-th optimizer step (1-based) runs with {@code lr(k - 1)}, as a PyTorch
 * scheduler stepped after every optimizer step.
 */
public interface LrSchedule {
    double lr(long lastEpoch);

    static LrSchedule create(String name, double lr, double startLr, double finalLr, long warmup, long maxSteps,
                             List<Double> stageRatios) {
        switch (name) {
            case "noop":
                return e -> lr;
            case "myle":
                if (warmup <= 0) throw new LcmException("lr_schedule=myle needs num_lr_warmup_steps > 0");
                return e -> e < warmup ? startLr + (lr - startLr) * e / (double) warmup : lr * Math.sqrt(warmup / (double) e);
            case "cosine": {
                // CosineAnnealingLR(cycle_len = max_steps - warmup + 1, warmup, start_lr, final_lr), cycle_mul = lr_mul = 1
                long cycleLen = maxSteps - warmup + 1;
                return e -> {
                    if (e <= warmup) return warmup == 0 ? lr : startLr + (lr - startLr) * e / (double) warmup;
                    long cur = e - warmup;
                    long pos = cur - (cur / cycleLen) * cycleLen;
                    double c = Math.cos(Math.PI * pos / cycleLen);
                    return finalLr + 0.5 * (lr - finalLr) * (1 + c);
                };
            }
            case "polynomial": {
                // PolynomialDecayLR(max_steps, warmup, power=200, start_lr, final_lr) as the reference configures it
                double power = 200;
                return e -> {
                    if (e >= maxSteps) return finalLr;
                    if (e <= warmup) return warmup == 0 ? lr : startLr + (lr - startLr) * e / (double) warmup;
                    double c = Math.pow((maxSteps - e) / (double) (maxSteps - warmup), power);
                    return finalLr + (lr - finalLr) * c;
                };
            }
            case "wsd": {
                // TriStageLR(max_steps, stage_ratios, start_lr_scale = start_lr/lr, final_lr_scale = final_lr/lr)
                if (!(lr > startLr && lr > finalLr)) throw new LcmException("lr_schedule=wsd needs lr > start_lr and lr > final_lr");
                long w = (long) (stageRatios.get(0) * maxSteps), h = (long) (stageRatios.get(1) * maxSteps), d = (long) (stageRatios.get(2) * maxSteps);
                double s0 = startLr / lr, s1 = finalLr / lr, decay = d > 0 ? -Math.log(s1) / d : 0;
                return e -> {
                    if (e < w) return lr * (s0 + (1 - s0) * e / (double) w);
                    if (e < w + h) return lr;
                    if (e < w + h + d) return lr * Math.exp(-decay * (e - w - h));
                    return lr * s1;
                };
            }
            default:
                throw new LcmException("unknown lr_schedule '" + name + "'; use noop, myle, cosine, wsd or polynomial");
        }
    }
}
