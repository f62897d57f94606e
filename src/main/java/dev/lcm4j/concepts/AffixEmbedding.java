package dev.lcm4j.concepts;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.AffixVectors;
import dev.lcm4j.data.Affixes;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.text.Languages;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embeds the prefix/suffix texts of datasets ("End of text.") in each dataset's own concept space, so that the data
 * loader receives vectors and needs no encoder. A dataset's encoder is the one its datacard names
 * ({@code concept_encoder}, which {@code ./lcm prepare} writes); a datacard naming none is taken to hold 1024-d SONAR
 * vectors, as in the reference, and for any other dimension the datacard must say.
 */
public final class AffixEmbedding {
    private AffixEmbedding() {}

    /** Opens a loader over {@code references}, with every dataset's affix texts embedded by its own encoder. */
    public static LcmDataLoader openLoader(DatacardRegistry registry, List<String> references, LoaderOptions options) {
        return openLoader(references.stream().map(registry::resolve).toList(), options);
    }

    /** Opens a loader over resolved datasets, with every dataset's affix and text_value texts embedded by its encoder. */
    public static LcmDataLoader openLoader(List<Dataset> datasets, LoaderOptions options) {
        return new LcmDataLoader(datasets, options, vectors(datasets, options));
    }

    /**
     * The vectors of every dataset's constant texts (affixes and the text_value items of source_sequences /
     * target_sequences), each embedded by the dataset's encoder.
     */
    public static AffixVectors vectors(List<Dataset> datasets, LoaderOptions options) {
        Map<String, Map<String, float[]>> out = new LinkedHashMap<>();
        for (Dataset ds : datasets) {
            List<String> texts = new java.util.ArrayList<>(LcmDataLoader.affixesOf(ds).texts());
            for (String t : ds.options().sequenceTexts()) if (!texts.contains(t)) texts.add(t);
            if (texts.isEmpty()) continue;
            ConceptEncoder encoder = encoderOf(ds, LcmDataLoader.dimensionOf(ds, options));
            out.put(ds.name(), embed(texts, encoder, languageOf(ds)));
        }
        return new AffixVectors(out);
    }

    /** text -> vector for every affix text (one encoder call per text, so a vector never depends on its batch-mates). */
    public static Map<String, float[]> embed(Affixes affixes, ConceptEncoder encoder, String lang) {
        return embed(affixes.texts(), encoder, lang);
    }

    /** text -> vector for every text, one encoder call each. */
    public static Map<String, float[]> embed(List<String> texts, ConceptEncoder encoder, String lang) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String text : texts) {
            float[][] v = encoder.encode(List.of(text), lang);
            if (v.length != 1 || v[0].length != encoder.dim()) {
                throw new LcmException("the concept encoder returned " + v.length + " vectors for affix '" + text
                        + "', expected 1 of dimension " + encoder.dim());
            }
            out.put(text, v[0]);
        }
        return out;
    }

    /** The encoder that made {@code ds}'s vectors (see the class comment); {@code dim} is the data's dimension. */
    public static ConceptEncoder encoderOf(Dataset ds, int dim) {
        Object name = ds.card() == null ? null : ds.card().extra().get("concept_encoder");
        if (name == null) {
            if (dim != 1024) {
                throw new LcmException("dataset " + ds.name() + " has affix texts but its datacard names no concept_encoder and its "
                        + dim + "-d vectors are not SONAR's; add 'concept_encoder: CARD' (the encoder that made the data) to the datacard");
            }
            name = "text_sonar_basic_encoder";
        }
        return ConceptModels.sharedEncoder(String.valueOf(name));
    }

    private static String languageOf(Dataset ds) {
        Object lang = ds.card() == null ? null : ds.card().extra().get("lang");
        return lang == null ? Languages.DEFAULT : String.valueOf(lang);
    }
}
