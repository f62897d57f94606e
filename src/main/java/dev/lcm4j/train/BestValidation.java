package dev.lcm4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lowest validation loss a run has seen, where, and how many validations have passed without beating it: what
 * {@code trainer.keep_best_checkpoint} and {@code trainer.early_stopping_patience} act on. It is part of every
 * checkpoint's {@code trainer_state.yaml}, so a resumed run compares against the same best and counts on.
 */
final class BestValidation {
    private long step = -1;
    private double loss = Double.POSITIVE_INFINITY;
    private int withoutImprovement;

    /** Records the validation loss of {@code atStep}; true when it is the best so far. */
    boolean record(long atStep, double validLoss) {
        // a NaN loss never counts as an improvement, and counts against the patience
        if (validLoss < loss) {
            loss = validLoss;
            step = atStep;
            withoutImprovement = 0;
            return true;
        }
        withoutImprovement++;
        return false;
    }

    /** True when {@code patience} > 0 validations in a row have not improved on the best. */
    boolean exhausted(int patience) {
        return patience > 0 && withoutImprovement >= patience;
    }

    /** The step of the best validation loss, or -1 before the first validation. */
    long step() {
        return step;
    }

    double loss() {
        return loss;
    }

    int withoutImprovement() {
        return withoutImprovement;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("loss", loss);
        m.put("validations_without_improvement", withoutImprovement);
        return m;
    }

    /** Restores {@link #toMap()}; a checkpoint written before this existed (null) starts from nothing. */
    static BestValidation fromMap(Map<String, Object> m) {
        BestValidation b = new BestValidation();
        if (m == null) return b;
        b.step = ((Number) m.get("step")).longValue();
        b.loss = ((Number) m.get("loss")).doubleValue();
        b.withoutImprovement = ((Number) m.get("validations_without_improvement")).intValue();
        return b;
    }
}
