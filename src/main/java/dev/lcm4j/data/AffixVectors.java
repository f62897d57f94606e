package dev.lcm4j.data;

import java.util.Map;

/**
 * Affix texts already embedded, per dataset (its {@link Dataset#name()}): text -> concept vector in that dataset's
 * concept space. The trainer and the evaluator embed them; the loader only adds them to documents.
 */
public record AffixVectors(Map<String, Map<String, float[]>> byDataset) {
    /** No affix vectors: for data without prefix/suffix texts. */
    public static final AffixVectors NONE = new AffixVectors(Map.of());

    public AffixVectors {
        byDataset = Map.copyOf(byDataset);
    }

    /** The vectors of {@code dataset}'s affix texts (empty when it has none). */
    public Map<String, float[]> of(Dataset dataset) {
        return byDataset.getOrDefault(dataset.name(), Map.of());
    }
}
