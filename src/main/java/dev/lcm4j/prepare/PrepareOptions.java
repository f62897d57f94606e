package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import dev.lcm4j.text.Languages;
import java.nio.file.Path;
import dev.lcm4j.text.SentenceSplitters;

/**
 * Everything {@link Preparer} needs besides the encoder and the splitter.
 *
 * @param lang               the documents' language (FLORES-200), given to the splitter and the encoder
 * @param languageFilter     keep only documents that {@link LanguageId} identifies as {@code lang}
 * @param maxDocs            stop after this many kept documents (0: all)
 * @param shardSize          documents per shard, the unit of resume (shard i = kept documents [i*K, (i+1)*K))
 * @param tokenBudget        padded tokens per encoder batch (longest sentence x sentences, tokens ~ chars/4)
 * @param maxBatchSentences  sentences per encoder batch at most
 * @param threads            threads that split documents and run encoder batches
 * @param rowGroupRows       documents per parquet row group (the loader's shuffle unit)
 * @param overwrite          replace an existing dataset in {@code output} instead of refusing / resuming
 */
public record PrepareOptions(SourceSpec source, Path output, String name, String lang, boolean languageFilter,
                             long maxDocs, int shardSize, double validationFraction, long seed, int tokenBudget,
                             int maxBatchSentences, int threads, int rowGroupRows, boolean overwrite, String splitter) {
    public PrepareOptions {
        if (name == null || !name.matches("[a-zA-Z0-9_]+")) {
            throw new LcmException("--name must match [a-zA-Z0-9_]+ (datacard names), got " + name);
        }
        Languages.check(lang);
        if (languageFilter) LanguageId.checkSupported(lang);
        if (maxDocs < 0) throw new LcmException("--max-docs must be >= 0 (0: all), got " + maxDocs);
        if (shardSize < 1) throw new LcmException("--shard-size must be >= 1, got " + shardSize);
        new SplitAssigner(seed, validationFraction); // validates the fraction
        if (tokenBudget < 1) throw new LcmException("--token-budget must be >= 1, got " + tokenBudget);
        if (maxBatchSentences < 1) throw new LcmException("--max-batch-sentences must be >= 1, got " + maxBatchSentences);
        if (threads < 1) throw new LcmException("--threads must be >= 1, got " + threads);
        if (rowGroupRows < 1) throw new LcmException("--row-group-rows must be >= 1, got " + rowGroupRows);
    }

    /** Defaults for everything but the input, output, name and language. */
    public static PrepareOptions defaults(SourceSpec source, Path output, String name, String lang) {
        return new PrepareOptions(source, output, name, lang, source.europarl(), 0, 1000, 0.05, 0, 8192, 256,
                Runtime.getRuntime().availableProcessors(), 64, false, SentenceSplitters.DEFAULT);
    }

    public PrepareOptions withShardSize(int k) {
        return new PrepareOptions(source, output, name, lang, languageFilter, maxDocs, k, validationFraction, seed,
                tokenBudget, maxBatchSentences, threads, rowGroupRows, overwrite, splitter);
    }

    public PrepareOptions withMaxDocs(long n) {
        return new PrepareOptions(source, output, name, lang, languageFilter, n, shardSize, validationFraction, seed,
                tokenBudget, maxBatchSentences, threads, rowGroupRows, overwrite, splitter);
    }

    public PrepareOptions withOverwrite(boolean o) {
        return new PrepareOptions(source, output, name, lang, languageFilter, maxDocs, shardSize, validationFraction, seed,
                tokenBudget, maxBatchSentences, threads, rowGroupRows, o, splitter);
    }

    public PrepareOptions withValidationFraction(double f) {
        return new PrepareOptions(source, output, name, lang, languageFilter, maxDocs, shardSize, f, seed,
                tokenBudget, maxBatchSentences, threads, rowGroupRows, overwrite, splitter);
    }

    public PrepareOptions withThreads(int t) {
        return new PrepareOptions(source, output, name, lang, languageFilter, maxDocs, shardSize, validationFraction, seed,
                tokenBudget, maxBatchSentences, t, rowGroupRows, overwrite, splitter);
    }

    public PrepareOptions withBatching(int budget, int maxSentences) {
        return new PrepareOptions(source, output, name, lang, languageFilter, maxDocs, shardSize, validationFraction, seed,
                budget, maxSentences, threads, rowGroupRows, overwrite, splitter);
    }
}
