package dev.lcm4j.train;

import dev.lcm4j.LcmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * The reference's {@code freezing_strategy}: none; modules (parameters under the {@code freeze_modules} prefixes);
 * ffn (names containing "ffn"); adaln (names containing "modulator"); ffn-adaln (both). Frozen parameters stop
 * requiring gradients and are left out of the optimizer, so neither weight decay nor momentum touches them.
 */
public final class Freezing {
    private Freezing() {}

    /** Freezes per the strategy and returns the parameters that still train. */
    public static Map<String, Tensor> apply(Map<String, Tensor> params, String strategy, List<String> modules) {
        String s = strategy == null ? "none" : strategy;
        Map<String, Tensor> trainable = new LinkedHashMap<>();
        int frozen = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String n = e.getKey();
            boolean freeze = switch (s) {
                case "none" -> false;
                case "modules" -> {
                    if (modules == null || modules.isEmpty()) throw new LcmException("freezing_strategy=modules needs trainer.freeze_modules (name prefixes)");
                    yield modules.stream().anyMatch(m -> n.equals(m) || n.startsWith(m + "."));
                }
                case "ffn" -> n.contains("ffn");
                case "adaln" -> n.contains("modulator");
                case "ffn-adaln" -> n.contains("ffn") || n.contains("modulator");
                default -> throw new LcmException("unknown freezing_strategy '" + s + "'; use none, modules, ffn, adaln or ffn-adaln");
            };
            if (freeze) {
                e.getValue().set_requires_grad(false);
                frozen++;
            } else {
                trainable.put(n, e.getValue());
            }
        }
        if (!"none".equals(s) && frozen == 0) {
            throw new LcmException("freezing_strategy=" + s + " matches no parameter of this model; check freeze_modules");
        }
        if (trainable.isEmpty()) throw new LcmException("freezing_strategy=" + s + " freezes every parameter; nothing would train");
        return trainable;
    }
}
