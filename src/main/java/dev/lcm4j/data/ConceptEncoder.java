package dev.lcm4j.data;

import java.util.List;

/**
 * Turns sentences into concept vectors (SONAR or any compatible encoder). The data package needs one only for
 * constant affix texts ({@code source_suffix_text: "End of text."} and the like), which the reference embeds on the fly.
 */
public interface ConceptEncoder {
    /** Dimension of the vectors {@link #encode} returns. */
    int dim();

    /** One vector of {@link #dim()} values per sentence, in order. {@code lang} is a FLORES code such as eng_Latn. */
    float[][] encode(List<String> sentences, String lang);
}
