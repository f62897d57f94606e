package dev.lcm4j.train;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.torch.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fairseq2's {@code DynamicLossScaler} as the reference trainer builds it for {@code dtype: torch.float16}: the loss is
 * multiplied by the scale before backward, so that small fp16 gradients do not flush to zero; the gradients are
 * divided by it again before clipping. A step whose gradients overflowed (inf/NaN) is skipped: the optimizer is not
 * touched, the scale is multiplied by 1/2 and the step is retried on the next batches. After {@code scale_window}
 * clean steps in a row the scale is multiplied by 2. A scale that would fall below 1e-4 ends the run: the loss is
 * exploding.
 *
 * <p>The numbers are the reference's: initial scale {@code loss_scaler_init_scale} (2^15), factor 2 both ways,
 * minimum 1e-4, and {@code loss_scaler_scale_window}, or when it is null fairseq2's (and fairseq's)
 * {@code max(int(2^14 / world_size), 1)} (the reference passes no gradient accumulation, so fairseq2 divides by 1).
 * The arithmetic is PyTorch {@code GradScaler}'s: a float32 scale and a count of clean steps, which are what a
 * checkpoint keeps ({@link #state()}). Disabled, the scale is 1 and nothing changes.
 */
final class DynamicLossScaler {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicLossScaler.class);

    /** The factor the scale grows by after a clean window and the inverse of what it shrinks by on overflow. */
    static final double SCALE_FACTOR = 2.0;
    /** The reference's {@code min_scale}. */
    static final double MIN_SCALE = 1e-4;

    private final boolean enabled;
    private final int scaleWindow;
    private float scale;
    private int growthTracker; // clean steps since the last change of the scale (GradScaler's _growth_tracker)

    private DynamicLossScaler(boolean enabled, double initScale, int scaleWindow) {
        this.enabled = enabled;
        this.scale = enabled ? (float) initScale : 1f;
        this.scaleWindow = scaleWindow;
    }

    /** No scaling (float32, bfloat16, and float16 on the CPU, which computes in bfloat16). */
    static DynamicLossScaler disabled() {
        return new DynamicLossScaler(false, 1, 1);
    }

    /** The scaler of an fp16 run on {@code worldSize} processes, from {@code loss_scaler_*}. */
    static DynamicLossScaler of(TrainingConfig cfg, int worldSize) {
        return enabled(cfg.loss_scaler_init_scale(), cfg.loss_scaler_scale_window(), worldSize);
    }

    /** @param scaleWindow null: fairseq2's default for {@code worldSize} processes */
    static DynamicLossScaler enabled(double initScale, Integer scaleWindow, int worldSize) {
        return new DynamicLossScaler(true, initScale, scaleWindow != null ? scaleWindow : defaultScaleWindow(worldSize));
    }

    /** fairseq2's window when none is configured: {@code max(int(2^14 / world_size), 1)}. */
    static int defaultScaleWindow(int worldSize) {
        return Math.max(16384 / worldSize, 1);
    }

    boolean enabled() {
        return enabled;
    }

    /** The current scale (1 when disabled). */
    double scale() {
        return scale;
    }

    int scaleWindow() {
        return scaleWindow;
    }

    /** What the gradients are multiplied by to undo the scaling: 1/scale rounded to float32, as GradScaler's inv_scale. */
    double inverseScale() {
        return enabled ? (float) (1.0 / scale) : 1.0;
    }

    /** The loss to backpropagate: {@code loss * scale}, or the loss itself when disabled. */
    Tensor scaled(Tensor loss) {
        return enabled ? loss.mul(Tensors.scalar(scale)) : loss;
    }

    /**
     * After a clean step: counts it, and doubles the scale when the window is full.
     *
     * @param step the number of the step that was taken (for the log)
     */
    void stepped(long step) {
        if (!enabled) return;
        if (++growthTracker == scaleWindow) {
            float grown = (float) (scale * SCALE_FACTOR);
            if (Float.isFinite(grown)) {
                LOG.info("no gradient overflow in the last {} step(s) up to step {}: loss scale {} -> {}", scaleWindow, step,
                        fmt(scale), fmt(grown));
                scale = grown;
            }
            growthTracker = 0;
        }
    }

    /**
     * After an overflow (the step was skipped): halves the scale and restarts the window.
     *
     * @throws LcmException when the scale would fall below its minimum: the loss is exploding
     */
    void overflowed(long step) {
        float old = scale;
        scale = (float) (scale / SCALE_FACTOR);
        growthTracker = 0;
        if (scale < MIN_SCALE) {
            scale = (float) MIN_SCALE;
            throw new LcmException("the fp16 loss scale fell below its minimum " + fmt(MIN_SCALE) + " at step " + step
                    + ": the loss is exploding; lower ++trainer.lr, raise ++trainer.gradient_accumulation or the batch"
                    + " (++trainer.data_loading_config.max_tokens), or train in ++trainer.dtype=torch.bfloat16");
        }
        LOG.info("gradient overflow at step {}: the step is skipped, loss scale {} -> {}", step, fmt(old), fmt(scale));
    }

    /** The checkpointed state, with GradScaler's names; null when disabled. */
    Map<String, Object> state() {
        if (!enabled) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scale", (double) scale);
        m.put("growth_tracker", growthTracker);
        m.put("scale_window", scaleWindow);
        return m;
    }

    /**
     * Continues from a checkpoint's {@link #state()}: its scale and count of clean steps. The window stays this run's
     * ({@code loss_scaler_scale_window} may be changed on resume). A checkpoint without a state (written by a run that
     * did not scale) leaves the initial scale; a disabled scaler ignores the state.
     */
    void restore(Map<String, Object> state, String source) {
        if (!enabled) {
            if (state != null) LOG.info("{} holds an fp16 loss scale; this run does not scale the loss (dtype or device), so it is unused", source);
            return;
        }
        if (state == null) {
            LOG.info("{} holds no fp16 loss scale (written by a run that did not scale the loss); starting at {}", source, fmt(scale));
            return;
        }
        if (!(state.get("scale") instanceof Number s) || !(state.get("growth_tracker") instanceof Number g)
                || !(s.doubleValue() > 0) || g.intValue() < 0) {
            throw new LcmException(source + ": loss_scaler must hold a positive scale and a growth_tracker >= 0, got " + state);
        }
        scale = s.floatValue();
        growthTracker = Math.min(g.intValue(), scaleWindow - 1);
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%g", v);
    }
}
