package dev.lcm4j.prepare;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.io.AtomicFiles;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import java.nio.file.Path;

/**
 * Writes {@code DIR/datacard.yaml} for a prepared dataset, in the layout {@code data synth} uses (a relative
 * {@code parquet_path}, so DIR can be moved or put on {@code LCM_CARDS_PATH} as is) plus what a trainer and a reader
 * need to know: {@code concept_encoder} (the trainer embeds affix texts with it, in the same space), {@code dim},
 * {@code lang}, and provenance (input, options, counts).
 */
final class Datacards {
    private Datacards() {
    }

    static void write(Preparer.Result r, PrepareOptions opt, String encoderName, int encoderDim, DataColumns cols) {
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("name", opt.name());
        card.put("parquet_path", Map.of("local", "."));
        card.put("source_column", cols.source());
        card.put("source_text_column", cols.sourceText());
        if (cols.hasTarget()) { // prompt/answer data: what supervised finetuning and lcm_generation read as the answer
            card.put("target_column", cols.target());
            card.put("target_text_column", cols.targetText());
        }
        card.put("concept_encoder", encoderName);
        card.put("dim", encoderDim);
        card.put("lang", opt.lang());
        Map<String, Object> prov = new LinkedHashMap<>();
        SourceSpec src = opt.source();
        prov.put("input", src.europarl() ? SourceSpec.EUROPARL + " (" + EuroparlSource.FINGERPRINT + ")"
                : hasScheme(src.input()) ? src.input() : Path.of(src.input()).toAbsolutePath().toString());
        prov.put("format", src.europarl() ? "europarl" : src.format());
        prov.put("text_column", src.textColumn());
        if (src.hasTarget()) prov.put("target_column", src.targetColumn());
        if (src.idColumn() != null) prov.put("id_column", src.idColumn());
        if (src.splitColumn() != null) prov.put("split_column", src.splitColumn());
        prov.put("language_filter", opt.languageFilter());
        prov.put("splitter", opt.splitter());
        prov.put("max_docs", opt.maxDocs());
        prov.put("shard_size", opt.shardSize());
        prov.put("validation_fraction", opt.validationFraction());
        prov.put("seed", opt.seed());
        prov.put("documents", r.documents());
        prov.put("sentences", r.sentences());
        if (src.hasTarget()) prov.put("target_sentences", r.targetSentences());
        prov.put("skipped_empty_documents", r.skippedEmpty());
        if (opt.languageFilter()) prov.put("skipped_other_language", r.filteredLanguage());
        if (!r.sourceCounters().isEmpty()) prov.put("source_anomalies", r.sourceCounters());
        card.put("prepare", prov);
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        o.setWidth(160);
        String yaml = "# written by lcm prepare; counts cover the whole dataset, resumed shards included\n"
                + new Yaml(o).dump(card);
        AtomicFiles.writeString(r.datacard(), yaml);
    }

    /** A URI such as {@code hdfs://nn/corpus}, {@code s3a://bucket/x} or {@code file:/x} (the Spark job's inputs), kept as written. */
    static boolean hasScheme(String input) {
        return input.matches("[A-Za-z][A-Za-z0-9+.-]+:/.*");
    }
}
