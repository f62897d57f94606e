package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Reads {@code model_config} overrides of a SONAR card (fairseq2's config field names) over an arch's values. */
final class SonarConfigs {
    private SonarConfigs() {
    }

    /**
     * Flattens the overrides to dotted keys ({@code vocab_info: {size: 506}} gives {@code vocab_info.size}) and
     * rejects keys outside {@code allowed}, naming the card.
     */
    static Map<String, Integer> overrides(Map<String, Object> config, Set<String> allowed, String card) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (config != null) flatten("", config, out, card);
        for (String k : out.keySet()) {
            if (!allowed.contains(k)) {
                throw new LcmException("card '" + card + "': model_config key '" + k + "' is not supported by SONAR text models; use "
                        + String.join(", ", allowed));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> m, Map<String, Integer> out, String card) {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String k = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof Map<?, ?> sub) flatten(k + ".", (Map<String, Object>) sub, out, card);
            else if (v instanceof Number n && n.doubleValue() == n.intValue()) out.put(k, n.intValue());
            else throw new LcmException("card '" + card + "': model_config." + k + " must be an integer, got '" + v + "'");
        }
    }
}
