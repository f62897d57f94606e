package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.Document;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fp16 loss scaler inside a real training step, on the CPU in float32: scaling by a power of two and unscaling
 * before clipping changes no bit of the training; an inf gradient skips the step without touching parameters or AdamW
 * state, halves the scale and does not count as a NaN/Inf batch; a full clean window doubles the scale; an allocation
 * failure in a step is one line naming data_loading_config.max_tokens.
 */
class TrainStepLossScalingTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    /** A small MSE model, its AdamW, and a step; {@code inject} may replace the criterion's loss on chosen steps. */
    static final class Setup {
        final Lcm model;
        final AdamW adamW;
        final TrainStep step;
        final Batches data = new Batches();
        long forceInfAtStep = -1;   // the gradient of one parameter is +inf at this step (first attempt)
        boolean allocateHugeAtStep0;

        Setup(DynamicLossScaler scaler, int maxNansOrInfs) {
            manual_seed(11);
            model = DataParallelHarness.mseModel(false);
            model.train(true);
            CriterionConfig cc = CriterionConfig.builder().name("next_sentence_mse").compute_rmse(false).build();
            Criterion inner = ModelFamilies.of(model).criterionOf(cc, model);
            Map<String, Tensor> trainable = model.namedParameters();
            Tensor victim = trainable.values().iterator().next();
            Criterion criterion = new Criterion() {
                @Override
                public Loss loss(Lcm m, EmbeddingsBatch batch) {
                    if (allocateHugeAtStep0 && data.step == 0) torch.empty(1L << 50); // no machine has 4 PiB
                    Loss l = inner.loss(m, batch);
                    if (data.step != forceInfAtStep || data.attempt > 0) return l;
                    // sqrt(p - p) is 0 in the forward, and its derivative 1 / (2 sqrt(0)) is +inf: a finite loss
                    // whose gradient overflows, as an fp16 activation gradient beyond 65504 does on a GPU
                    Tensor zero = victim.sub(victim.detach()).sqrt().sum();
                    return new Loss(l.loss().add(zero), l.numTargets(), l.summands());
                }

                @Override
                public boolean supervised() {
                    return false;
                }
            };
            adamW = new AdamW(trainable, 0.9, 0.98, 1e-6, 0.1);
            ParameterUpdater updater = new ReplicatedUpdater(adamW, new ArrayList<>(trainable.values()), DistributedGroup.single());
            TrainingConfig cfg = TrainingConfig.builder().output_dir("unused").criterion(cc).seed(3).lr(3e-3).lr_schedule("noop")
                    .max_grad_norm(0.5).max_nans_or_infs(maxNansOrInfs).build();
            LrSchedule schedule = LrSchedule.create("noop", 3e-3, 0, 0, 0, 10, List.of(0.1, 0.4, 0.5));
            step = new TrainStep(cfg, model, criterion, updater, schedule, DistributedGroup.single(), Precision.FLOAT32, scaler);
        }

        /** Takes optimizer step {@code s} (retrying on the next batch while it is skipped, at most once). */
        TrainStep.Stats take(long s) {
            data.step = s;
            data.attempt = 0;
            return step.run(s, data);
        }

        TrainStep.Stats retry(long s) {
            data.attempt++;
            return step.run(s, data);
        }
    }

    /** Step s's batch, and a different one for a retry (the trainer moves on to the next batch after a skip). */
    static final class Batches implements BatchSource {
        long step;
        int attempt;

        @Override
        public List<Document> next() {
            return DataParallelHarness.microBatch(step, 7 * attempt);
        }

        @Override
        public boolean restartedPass() {
            return false;
        }
    }

    static Map<String, float[]> params(Lcm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> out.put(k, Tensors.toFloats(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, float[]> optimizerState(AdamW adamW) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, Object> state = (Map<String, Object>) adamW.stateDict().get("state");
        state.forEach((name, s) -> {
            Map<String, Object> m = (Map<String, Object>) s;
            out.put(name + ".exp_avg", ((StoredTensor) m.get("exp_avg")).toFloatArray());
            out.put(name + ".exp_avg_sq", ((StoredTensor) m.get("exp_avg_sq")).toFloatArray());
        });
        return out;
    }

    static void assertBitIdentical(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        for (String k : expected.keySet()) assertArrayEquals(expected.get(k), actual.get(k), what + " " + k);
    }

    @Test
    void scalingByAPowerOfTwoChangesNoBitOfTheTraining() {
        Setup plain = new Setup(DynamicLossScaler.disabled(), 10);
        Setup scaled = new Setup(DynamicLossScaler.enabled(32768, 2, 1), 10);
        List<Double> scales = new ArrayList<>();
        for (long s = 0; s < 3; s++) {
            TrainStep.Stats a = plain.take(s), b = scaled.take(s);
            assertEquals(a.lossPerTarget(), b.lossPerTarget(), "step " + s);
            assertEquals(a.gradNorm(), b.gradNorm(), "step " + s + ": the norm after unscaling");
            assertEquals(a.rawGradNorm(), b.rawGradNorm(), "step " + s + ": the raw norm is logged unscaled");
            scales.add(b.lossScale());
        }
        // window 2: the second clean step doubles the scale, the third starts a new window
        assertEquals(List.of(32768.0, 65536.0, 65536.0), scales);
        assertBitIdentical(params(plain.model), params(scaled.model), "parameters");
        assertBitIdentical(optimizerState(plain.adamW), optimizerState(scaled.adamW), "AdamW state");
        assertTrue(Double.isNaN(plain.take(3).lossScale()), "no scale is reported without scaling");
    }

    @Test
    void anInfGradientSkipsTheStepAndTouchesNoState() {
        // max_nans_or_infs 0: an overflow is the scaler's business and must not count as a NaN/Inf batch
        Setup run = new Setup(DynamicLossScaler.enabled(32768, 100, 1), 0);
        run.forceInfAtStep = 2;
        assertNotNull(run.take(0));
        assertNotNull(run.take(1));
        Map<String, float[]> params = params(run.model), moments = optimizerState(run.adamW);
        long adamSteps = run.adamW.stepCount();
        assertNull(run.take(2), "the overflowing step is skipped");
        assertBitIdentical(params, params(run.model), "parameters after the skipped step");
        assertBitIdentical(moments, optimizerState(run.adamW), "AdamW moments after the skipped step");
        assertEquals(adamSteps, run.adamW.stepCount(), "AdamW's step count");
        TrainStep.Stats retried = run.retry(2);
        assertNotNull(retried, "the step is taken on the next batch");
        assertEquals(16384.0, retried.lossScale(), "the overflow halved the scale");
        assertEquals(adamSteps + 1, run.adamW.stepCount());
        for (float[] p : params(run.model).values()) for (float x : p) assertTrue(Float.isFinite(x));

        // the same inf without loss scaling is a NaN/Inf batch, of which none is allowed here
        Setup unscaled = new Setup(DynamicLossScaler.disabled(), 0);
        unscaled.forceInfAtStep = 0;
        LcmException e = assertThrows(LcmException.class, () -> unscaled.take(0));
        assertTrue(e.getMessage().contains("NaN/Inf"), e.getMessage());
    }

    @Test
    void anAllocationFailureInAStepNamesMaxTokens() {
        Setup run = new Setup(DynamicLossScaler.disabled(), 10);
        run.allocateHugeAtStep0 = true;
        LcmException e = assertThrows(LcmException.class, () -> run.take(0));
        String m = e.getMessage();
        assertTrue(m.startsWith("out of memory in training step 1"), m);
        assertTrue(m.contains("++trainer.data_loading_config.max_tokens"), m);
        assertTrue(m.contains("++trainer.activation_checkpointing=true"), "suggested while it is off: " + m);
        assertTrue(m.contains("can't allocate memory"), "libtorch's own reason is kept: " + m);
        assertEquals(1, m.lines().count(), m);
    }
}
