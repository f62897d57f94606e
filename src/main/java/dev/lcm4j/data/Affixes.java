package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Constant sentences added around every document (the reference's {@code source_prefix_text}, {@code
 * source_suffix_text}, {@code target_prefix_text}, {@code target_suffix_text}), e.g. an "End of text." sentence the
 * model learns to emit. Each text is one sentence here (the reference sentence-splits it with a Moses splitter; the
 * affixes it ships are single sentences). The vectors are embedded by the caller (the trainer, the evaluator) with the
 * concept encoder of the data, so that this package needs no encoder.
 */
public record Affixes(String sourcePrefix, String sourceSuffix, String targetPrefix, String targetSuffix) {
    public static final Affixes NONE = new Affixes(null, null, null, null);

    public boolean isEmpty() {
        return blank(sourcePrefix) && blank(sourceSuffix) && blank(targetPrefix) && blank(targetSuffix);
    }

    /** Card fields fill the affixes the options leave unset (options win, as in the reference's resolver). */
    public Affixes orFrom(Map<String, Object> card) {
        return new Affixes(pick(sourcePrefix, card.get("source_prefix_text")),
                pick(sourceSuffix, card.get("source_suffix_text")),
                pick(targetPrefix, card.get("target_prefix_text")),
                pick(targetSuffix, card.get("target_suffix_text")));
    }

    /** The distinct affix texts that are set, in the order source prefix, source suffix, target prefix, target suffix. */
    public List<String> texts() {
        List<String> out = new ArrayList<>();
        for (String t : new String[] {sourcePrefix, sourceSuffix, targetPrefix, targetSuffix}) {
            if (!blank(t) && !out.contains(t)) out.add(t);
        }
        return out;
    }

    /**
     * An applier that adds the affixes with {@code vectors} (text -> concept vector, embedded by the caller in the
     * data's concept space). Fails early, naming the affix, when a text has no vector or one of another dimension.
     */
    public Applier withVectors(Map<String, float[]> vectors, int dataDim) {
        String[][] named = {{"source_prefix_text", sourcePrefix}, {"source_suffix_text", sourceSuffix},
                {"target_prefix_text", targetPrefix}, {"target_suffix_text", targetSuffix}};
        Map<String, float[]> own = new HashMap<>();
        for (String[] a : named) {
            if (blank(a[1])) continue;
            float[] v = vectors.get(a[1]);
            if (v == null) {
                throw new LcmException(a[0] + " '" + a[1] + "' needs a concept encoder to embed it; configure one or"
                        + " remove the affix");
            }
            if (dataDim > 0 && v.length != dataDim) {
                throw new LcmException("the concept encoder makes " + v.length + "-d vectors but the data has "
                        + dataDim + "-d vectors; affixes cannot be added");
            }
            own.put(a[1], v);
        }
        return new Applier(own);
    }

    /** Adds the affixes to documents. */
    public final class Applier {
        private final Map<String, float[]> vectors;

        private Applier(Map<String, float[]> vectors) {
            this.vectors = vectors;
        }

        public Document apply(Document d) {
            if (isEmpty()) return d;
            float[][] src = wrap(d.embeddings(), sourcePrefix, sourceSuffix);
            List<String> srcText = wrapText(d.sentences(), sourcePrefix, sourceSuffix);
            float[][] tgt = d.targetEmbeddings() == null ? null : wrap(d.targetEmbeddings(), targetPrefix, targetSuffix);
            List<String> tgtText = d.targetEmbeddings() == null ? d.targetSentences()
                    : wrapText(d.targetSentences(), targetPrefix, targetSuffix);
            return new Document(d.id(), srcText, src, tgtText, tgt, d.dataset());
        }

        private float[][] wrap(float[][] v, String prefix, String suffix) {
            List<float[]> out = new ArrayList<>(v.length + 2);
            if (!blank(prefix)) out.add(vectors.get(prefix));
            out.addAll(Arrays.asList(v));
            if (!blank(suffix)) out.add(vectors.get(suffix));
            return out.toArray(new float[0][]);
        }

        private List<String> wrapText(List<String> s, String prefix, String suffix) {
            if (s == null) return null;
            List<String> out = new ArrayList<>(s.size() + 2);
            if (!blank(prefix)) out.add(prefix);
            out.addAll(s);
            if (!blank(suffix)) out.add(suffix);
            return out;
        }
    }

    private static String pick(String mine, Object card) {
        return !blank(mine) ? mine : card == null ? null : String.valueOf(card);
    }

    private static boolean blank(String s) {
        return s == null || s.isEmpty();
    }
}
