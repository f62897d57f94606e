package dev.lcm4j.models.twotower;

import dev.lcm4j.nn.AdaLnModulator.Modulation;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The denoiser's AdaLN modulations per diffusion timestep, kept for a whole generation call: they depend on t only,
 * and the modulator (a D x 9D matrix per layer) is the largest weight the denoiser reads at small batch sizes, so a
 * generation of N concepts with S steps computes them S times instead of N x S. Tensors outlive the callers' pointer
 * scopes until {@link #close}.
 */
public final class ModulationCache implements AutoCloseable {
    private final TwoTowerDiffusionLcm model;
    private final Map<Integer, Modulation[][]> byStep = new HashMap<>();

    public ModulationCache(TwoTowerDiffusionLcm model) {
        this.model = model;
    }

    /** Per-layer modulations of timestep t, shaped [1, 1, D] (they broadcast over rows and positions). */
    public Modulation[][] get(int t) {
        Modulation[][] m = byStep.get(t);
        if (m == null) {
            try (NoGradGuard g = new NoGradGuard()) {
                m = model.modulations(model.timestepTensor(1, 1, t));
            }
            for (Modulation[] layer : m) for (Modulation x : layer) { x.shift().retainReference(); x.scale().retainReference(); x.gate().retainReference(); }
            byStep.put(t, m);
        }
        return m;
    }

    @Override
    public void close() {
        for (Modulation[][] m : byStep.values()) {
            for (Modulation[] layer : m) for (Modulation x : layer) { release(x.shift()); release(x.scale()); release(x.gate()); }
        }
        byStep.clear();
    }

    private static void release(Tensor t) {
        t.releaseReference();
    }
}
