package dev.lcm4j.concepts;

import java.util.List;
import dev.lcm4j.LcmException;

/**
 * Turns sentences into concept vectors: SONAR (the reference's space), the offline default MiniLM, or any other
 * sentence encoder with a card. Implementations are batched internally and safe to call from several threads.
 * {@code prepare} embeds documents with one, the trainer embeds constant affix texts ({@code "End of text."}) with the
 * one that made the dataset, and evaluation embeds prompts.
 */
public interface ConceptEncoder extends AutoCloseable {
    /** Dimension of the vectors {@link #encode} returns. */
    int dim();

    /**
     * One vector of {@link #dim()} values per sentence, in order. {@code lang} is a FLORES-200 code such as
     * {@code eng_Latn}; an unknown code is an {@link LcmException}.
     */
    float[][] encode(List<String> sentences, String lang);

    /** The card name this encoder was built from (recorded in datacards so data and models name their space). */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Frees native resources (ONNX sessions, libtorch modules). */
    @Override
    default void close() {
    }
}
