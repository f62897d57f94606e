package dev.lcm4j.data;

import dev.lcm4j.concepts.ConceptEncoder;
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
 * affixes it ships are single sentences) and is embedded once, then cached.
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

    /** Binds the affixes to an encoder; fails early, naming the affix, when one is set but no encoder is given. */
    public Applier bind(ConceptEncoder encoder, int dataDim, String lang) {
        String[][] named = {{"source_prefix_text", sourcePrefix}, {"source_suffix_text", sourceSuffix},
                {"target_prefix_text", targetPrefix}, {"target_suffix_text", targetSuffix}};
        for (String[] a : named) {
            if (!blank(a[1]) && encoder == null) {
                throw new LcmException(a[0] + " '" + a[1] + "' needs a concept encoder to embed it; configure one or"
                        + " remove the affix");
            }
        }
        if (encoder != null && dataDim > 0 && !isEmpty() && encoder.dim() != dataDim) {
            throw new LcmException("the concept encoder makes " + encoder.dim() + "-d vectors but the data has "
                    + dataDim + "-d vectors; affixes cannot be added");
        }
        return new Applier(encoder, lang);
    }

    /** Adds the affixes to documents; caches each text's vector. */
    public final class Applier {
        private final ConceptEncoder encoder;
        private final String lang;
        private final Map<String, float[]> cache = new HashMap<>();

        private Applier(ConceptEncoder encoder, String lang) {
            this.encoder = encoder;
            this.lang = lang;
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
            if (!blank(prefix)) out.add(vector(prefix));
            out.addAll(Arrays.asList(v));
            if (!blank(suffix)) out.add(vector(suffix));
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

        private float[] vector(String text) {
            return cache.computeIfAbsent(text, t -> {
                float[][] v = encoder.encode(List.of(t), lang);
                if (v.length != 1 || v[0].length != encoder.dim()) {
                    throw new LcmException("the concept encoder returned " + v.length + " vectors for affix '" + t
                            + "', expected 1 of dimension " + encoder.dim());
                }
                return v[0];
            });
        }
    }

    private static String pick(String mine, Object card) {
        return !blank(mine) ? mine : card == null ? null : String.valueOf(card);
    }

    private static boolean blank(String s) {
        return s == null || s.isEmpty();
    }
}
