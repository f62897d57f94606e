package dev.lcm4j.cli;

import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.text.Languages;
import dev.lcm4j.prepare.DocumentSources;
import dev.lcm4j.prepare.PrepareOptions;
import dev.lcm4j.prepare.Preparer;
import dev.lcm4j.prepare.SourceSpec;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import dev.lcm4j.text.SplitterOptions;
import java.nio.file.Path;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.lcm4j.concepts.retrieval.SentenceBank;

/** {@code ./lcm prepare}: text to sentences to concept vectors to an LCM dataset. */
@Command(name = "prepare", mixinStandardHelpOptions = true, description = "Splits documents into sentences, embeds them and writes an LCM dataset "
        + "(parquet with split=train|validation partitions) and DIR/datacard.yaml. Rerun the same command to resume.")
final class PrepareCommand implements Runnable {
    @Option(names = "--input", required = true, description = "a file, a directory of files of --format, or 'europarl' (built-in corpus)")
    String input;
    @Option(names = "--format", defaultValue = "jsonl", description = "jsonl, csv or parquet (default ${DEFAULT-VALUE})")
    String format;
    @Option(names = "--text-column", defaultValue = "text") String textColumn;
    @Option(names = "--id-column") String idColumn;
    @Option(names = "--split-column", description = "column naming each document's split; without it a seeded hash assigns train/validation")
    String splitColumn;
    @Option(names = "--lang", defaultValue = Languages.DEFAULT, description = "documents' language (FLORES-200)") String lang;
    @Option(names = "--lang-filter", negatable = true, description = "keep only documents identified as --lang (default: on for europarl, off otherwise)")
    Boolean langFilter;
    @Option(names = "--encoder", defaultValue = ConceptModels.DEFAULT_ENCODER) String encoder;
    @Option(names = "--splitter", defaultValue = SentenceSplitters.DEFAULT,
            description = "icu (default), opennlp, or sat:DIR (a segment-any-text ONNX export with its tokenizer.json)") String splitter;
    @Option(names = "--max-sentence-len", defaultValue = "256", description = "longest sentence in characters; longer ones are re-split (default ${DEFAULT-VALUE})")
    int maxSentenceLen;
    @Option(names = "--output", required = true) Path output;
    @Option(names = "--name", required = true) String name;
    @Option(names = "--max-docs", defaultValue = "0", description = "stop after N kept documents (0: all)") long maxDocs;
    @Option(names = "--shard-size", defaultValue = "1000", description = "documents per shard (unit of resume)") int shardSize;
    @Option(names = "--validation-fraction", defaultValue = "0.05") double validationFraction;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--token-budget", defaultValue = "8192", description = "padded tokens per encoder batch") int tokenBudget;
    @Option(names = "--max-batch-sentences", defaultValue = "256") int maxBatchSentences;
    @Option(names = "--threads", description = "default: all cores") Integer threads;
    @Option(names = "--overwrite", description = "replace a dataset already in --output") boolean overwrite;
    @Option(names = "--bank", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "also write DIR/sentence_bank.bin for the retrieval decoder (--decoder bank:DIR); default on") boolean bank;

    @Override
    public void run() {
        SourceSpec spec = new SourceSpec(input, format, textColumn, idColumn, splitColumn);
        PrepareOptions opt = new PrepareOptions(spec, output, name, lang, langFilter != null ? langFilter : spec.europarl(),
                maxDocs, shardSize, validationFraction, seed, tokenBudget, maxBatchSentences,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), 64, overwrite,
                // the splitter's description, recorded in the manifest and datacard (a change refuses to resume)
                maxSentenceLen == SplitterOptions.DEFAULT.maxSentenceLen() ? splitter : splitter + " max_sentence_len=" + maxSentenceLen);
        SentenceSplitter split = SentenceSplitters.create(splitter, SplitterOptions.DEFAULT.withMaxSentenceLen(maxSentenceLen));
        DocumentSources.check(spec); // input errors before the (slow) encoder load
        try (ConceptEncoder enc = ConceptModels.encoder(encoder);
             ProgressBar bar = Progress.bar("prepare", maxDocs > 0 ? maxDocs : -1)) {
            long start = System.nanoTime();
            long[] fresh = new long[2];
            Preparer.Result r = new Preparer(opt, enc, split).run((index, docs, sentences, resumed) -> {
                bar.stepBy(docs);
                if (!resumed) {
                    fresh[0] += docs;
                    fresh[1] += sentences;
                }
                double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
                bar.setExtraMessage(String.format(" %.1f docs/s %.1f sentences/s", fresh[0] / s, fresh[1] / s));
            });
            bar.close();
            for (String sp : r.documents().keySet()) {
                System.out.printf("split=%s documents=%d sentences=%d%n", sp, r.documents().get(sp), r.sentences().get(sp));
            }
            System.out.printf("prepared %s with %s (dim %d): %d shards (%d resumed), %d empty documents skipped%s; datacard %s%n",
                    name, enc.name(), enc.dim(), r.shards(), r.resumedShards(), r.skippedEmpty(),
                    opt.languageFilter() ? ", " + r.filteredLanguage() + " not " + lang : "", r.datacard());
        }
        if (bank) {
            Path file = SentenceBank.build(output);
            System.out.printf("sentence bank %s (decode with --decoder bank:%s)%n", file, output);
        }
    }
}
