package dev.lcm4j.text;

import dev.lcm4j.LcmException;
import java.nio.file.Path;

/**
 * Builds sentence splitters by name, as {@code prepare --splitter} and the cards name them:
 * {@code icu} (default), {@code opennlp}, {@code opennlp:FILE}, {@code sat:DIR}. Every splitter returned applies the
 * whole {@link SplitterOptions} pipeline, so its sentences are final: cleaned, stripped, non-empty, within the
 * maximum length.
 */
public final class SentenceSplitters {
    public static final String DEFAULT = "icu";

    private SentenceSplitters() {
    }

    public static SentenceSplitter create(String spec) {
        return create(spec, SplitterOptions.DEFAULT);
    }

    public static SentenceSplitter create(String spec, SplitterOptions options) {
        return new SplitPipeline(raw(spec, options), options);
    }

    static RawSplitter raw(String spec, SplitterOptions options) {
        if (spec == null || spec.isBlank()) spec = DEFAULT;
        if (spec.equals("icu")) return new IcuSplitter();
        if (spec.equals("opennlp")) return new OpenNlpSplitter(null);
        if (spec.startsWith("opennlp:")) return new OpenNlpSplitter(Path.of(spec.substring("opennlp:".length())));
        if (spec.startsWith("sat:")) return SatSplitter.open(Path.of(spec.substring("sat:".length())), options);
        throw new LcmException("unknown sentence splitter '" + spec + "': use icu, opennlp, opennlp:MODEL.bin or sat:DIR");
    }
}
