package dev.lcm4j.text;

import dev.lcm4j.LcmException;
import java.nio.file.Path;

/**
 * Builds sentence splitters by name, as {@code prepare --splitter} names them; each comes wrapped in the reference's
 * clean-up and length rules ({@link SplitterPipeline}, {@link SplitterOptions}).
 * <ul>
 *   <li>{@code icu} (default): ICU4J with CLDR suppressions and lcm4j's abbreviation/ordinal repairs, any language;</li>
 *   <li>{@code opennlp}: Apache OpenNLP's statistical detector (English and German models shipped);</li>
 *   <li>{@code sat:DIR}: Segment any Text (the reference's splitter) over ONNX Runtime, DIR holding the user's
 *       {@code model_optimized.onnx} and {@code tokenizer.json} export.</li>
 * </ul>
 */
public final class SentenceSplitters {
    public static final String DEFAULT = "icu";

    private SentenceSplitters() {
    }

    public static SentenceSplitter create(String spec) {
        return create(spec, SplitterOptions.DEFAULTS);
    }

    public static SentenceSplitter create(String spec, SplitterOptions options) {
        return new SplitterPipeline(base(spec, options), options);
    }

    /** The bare splitter, without the pipeline. */
    public static SentenceSplitter base(String spec, SplitterOptions options) {
        if (spec.equals("icu")) return new IcuSentenceSplitter();
        if (spec.equals("opennlp")) return new OpenNlpSentenceSplitter();
        if (spec.startsWith("sat:")) return SatSentenceSplitter.load(Path.of(spec.substring(4)), options.satThreshold());
        throw new LcmException("unknown sentence splitter '" + spec + "'; use icu, opennlp or sat:DIR (DIR with model_optimized.onnx and tokenizer.json)");
    }
}
