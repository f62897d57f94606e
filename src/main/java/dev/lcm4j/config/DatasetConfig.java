package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.List;

/**
 * One entry of {@code trainer.training_data} / {@code validation_data} (reference {@code ParquetDatasetConfig} with
 * its {@code DatasetConfig} base). Fields left null are filled from the datacard named by {@code name}.
 *
 * @param name                 datacard reference {@code card[=split][:weight]}, e.g. {@code pretraining_data=train}.
 *                             Required.
 * @param parquet_path         parquet file or directory; null → from the datacard. Default null.
 * @param weight               sampling weight with {@code sample} chaining. Default 1.0.
 * @param limit                read only part of the data. Default: no limit.
 * @param columns              extra columns to load. Default null.
 * @param source_column        embeddings column of the source. Default null (datacard).
 * @param source_text_column   sentences column of the source. Default null (datacard).
 * @param target_column        embeddings column of the target (supervised). Default null (datacard).
 * @param target_text_column   sentences column of the target. Default null (datacard).
 * @param source_prefix_text   text split into sentences and prepended to each source document. Default null.
 * @param source_suffix_text   text appended to each source document (recipes: "End of text." / "[MODEL]:"). Default null.
 * @param target_prefix_text   text prepended to each target document. Default null.
 * @param target_suffix_text   text appended to each target document (finetune recipes: "End of text."). Default null.
 * @param source_sequences     explicit source composition (overrides column/affix fields). Default null.
 * @param target_sequences     explicit target composition. Default null.
 * @param source_quality_column per-sentence quality scores column. Default null.
 * @param source_quality_range [min, max] kept quality range. Default null.
 * @param partition_filters    reference: pyarrow expression string on partition columns. Default null.
 * @param filters              reference: pyarrow expression string on rows. Default null.
 * @param filesystem_expr      deprecated in the reference; accepted, unused by lcm4j. Default null.
 * @param filesystem           deprecated in the reference; accepted, unused by lcm4j. Default null.
 * @param split_to_row_groups  one fragment per row group. Default null (= true).
 * @param nb_parallel_fragments fragments read together; null = automatic. Default null.
 * @param sharding_in_memory   shard final batches rather than fragments. Default false.
 * @param silent_freeze        reference freeze mechanism flag; accepted, no effect in lcm4j. Default false.
 */
public record DatasetConfig(String name, String parquet_path, double weight, LimitOptions limit, List<String> columns,
                            String source_column, String source_text_column, String target_column,
                            String target_text_column, String source_prefix_text, String source_suffix_text,
                            String target_prefix_text, String target_suffix_text,
                            List<SonarTextColumn> source_sequences, List<SonarTextColumn> target_sequences,
                            String source_quality_column, List<Double> source_quality_range,
                            String partition_filters, String filters, String filesystem_expr, String filesystem,
                            Boolean split_to_row_groups, Integer nb_parallel_fragments, boolean sharding_in_memory,
                            boolean silent_freeze) {

    public static DatasetConfig defaults() {
        return new DatasetConfig(null, null, 1.0, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, false, false);
    }

    /**
     * Reference {@code ParquetDatasetLimitOptions}: reads only the FIRST files / fragments / rows.
     *
     * @param fraction_of_files fraction of files kept. Default null.
     * @param nb_files          number of files kept. Default null.
     * @param nb_fragments      number of fragments kept. Default null.
     * @param nb_rows           number of rows kept. Default null.
     */
    public record LimitOptions(Double fraction_of_files, Integer nb_files, Integer nb_fragments, Integer nb_rows) {
        public static LimitOptions defaults() {
            return new LimitOptions(null, null, null, null);
        }
    }

    /**
     * Reference {@code SonarTextColumn}: a constant text, or a text column with its embeddings column.
     *
     * @param text_value  constant text, sentence-split and encoded on the fly. Default null.
     * @param text_column sentences column. Default null.
     * @param sonar_column embeddings column; null → {@code <text_column>_sonar_emb}. Default null.
     */
    public record SonarTextColumn(String text_value, String text_column, String sonar_column) {
        public static SonarTextColumn defaults() {
            return new SonarTextColumn(null, null, null);
        }
    }

    /** Checks the values; {@code path} is this entry's dotted path (e.g. {@code trainer.training_data[0]}). */
    public void validate(String path) {
        if (name == null || name.isBlank()) throw new LcmException(path + ".name is required (a datacard name)");
        if (weight < 0) throw new LcmException(path + ".weight must be >= 0, got " + weight);
        if (source_quality_range != null && source_quality_range.size() != 2) {
            throw new LcmException(path + ".source_quality_range must be [min, max], got " + source_quality_range);
        }
    }
}
