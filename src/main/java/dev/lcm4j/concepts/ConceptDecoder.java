package dev.lcm4j.concepts;

import java.util.List;

/**
 * Turns concept vectors back into sentences: the SONAR text decoder (beam search) or, offline, a retrieval decoder
 * that returns the nearest sentence of a sentence bank. Batched internally and safe to call from several threads.
 */
public interface ConceptDecoder extends AutoCloseable {
    /** Dimension of the vectors {@link #decode} accepts. */
    int dim();

    /** One sentence per vector, in {@code lang} (a FLORES-200 code such as {@code eng_Latn}). */
    List<String> decode(float[][] vectors, String lang);

    /** The card name this decoder was built from. */
    default String name() {
        return getClass().getSimpleName();
    }

    @Override
    default void close() {
    }
}
