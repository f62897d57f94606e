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
 * @param silent_freeze        the reference's config freeze flag; lcm4j has no freeze mechanism, so true is refused by name. Default false.
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
        return new Builder().build();
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

    /** A builder holding the defaults, to change fields by name as the reference's keyword arguments do. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Named setters (the YAML keys) over the defaults or a copy of a config; {@link #build()} checks as the constructor does. */
    public static final class Builder {
        private String name = null;
        private String parquet_path = null;
        private double weight = 1.0;
        private LimitOptions limit = null;
        private List<String> columns = null;
        private String source_column = null;
        private String source_text_column = null;
        private String target_column = null;
        private String target_text_column = null;
        private String source_prefix_text = null;
        private String source_suffix_text = null;
        private String target_prefix_text = null;
        private String target_suffix_text = null;
        private List<SonarTextColumn> source_sequences = null;
        private List<SonarTextColumn> target_sequences = null;
        private String source_quality_column = null;
        private List<Double> source_quality_range = null;
        private String partition_filters = null;
        private String filters = null;
        private String filesystem_expr = null;
        private String filesystem = null;
        private Boolean split_to_row_groups = null;
        private Integer nb_parallel_fragments = null;
        private boolean sharding_in_memory = false;
        private boolean silent_freeze = false;

        private Builder() {
        }

        private Builder(DatasetConfig c) {
            this.name = c.name;
            this.parquet_path = c.parquet_path;
            this.weight = c.weight;
            this.limit = c.limit;
            this.columns = c.columns;
            this.source_column = c.source_column;
            this.source_text_column = c.source_text_column;
            this.target_column = c.target_column;
            this.target_text_column = c.target_text_column;
            this.source_prefix_text = c.source_prefix_text;
            this.source_suffix_text = c.source_suffix_text;
            this.target_prefix_text = c.target_prefix_text;
            this.target_suffix_text = c.target_suffix_text;
            this.source_sequences = c.source_sequences;
            this.target_sequences = c.target_sequences;
            this.source_quality_column = c.source_quality_column;
            this.source_quality_range = c.source_quality_range;
            this.partition_filters = c.partition_filters;
            this.filters = c.filters;
            this.filesystem_expr = c.filesystem_expr;
            this.filesystem = c.filesystem;
            this.split_to_row_groups = c.split_to_row_groups;
            this.nb_parallel_fragments = c.nb_parallel_fragments;
            this.sharding_in_memory = c.sharding_in_memory;
            this.silent_freeze = c.silent_freeze;
        }

        public Builder name(String v) {
            this.name = v;
            return this;
        }

        public Builder parquet_path(String v) {
            this.parquet_path = v;
            return this;
        }

        public Builder weight(double v) {
            this.weight = v;
            return this;
        }

        public Builder limit(LimitOptions v) {
            this.limit = v;
            return this;
        }

        public Builder columns(List<String> v) {
            this.columns = v;
            return this;
        }

        public Builder source_column(String v) {
            this.source_column = v;
            return this;
        }

        public Builder source_text_column(String v) {
            this.source_text_column = v;
            return this;
        }

        public Builder target_column(String v) {
            this.target_column = v;
            return this;
        }

        public Builder target_text_column(String v) {
            this.target_text_column = v;
            return this;
        }

        public Builder source_prefix_text(String v) {
            this.source_prefix_text = v;
            return this;
        }

        public Builder source_suffix_text(String v) {
            this.source_suffix_text = v;
            return this;
        }

        public Builder target_prefix_text(String v) {
            this.target_prefix_text = v;
            return this;
        }

        public Builder target_suffix_text(String v) {
            this.target_suffix_text = v;
            return this;
        }

        public Builder source_sequences(List<SonarTextColumn> v) {
            this.source_sequences = v;
            return this;
        }

        public Builder target_sequences(List<SonarTextColumn> v) {
            this.target_sequences = v;
            return this;
        }

        public Builder source_quality_column(String v) {
            this.source_quality_column = v;
            return this;
        }

        public Builder source_quality_range(List<Double> v) {
            this.source_quality_range = v;
            return this;
        }

        public Builder partition_filters(String v) {
            this.partition_filters = v;
            return this;
        }

        public Builder filters(String v) {
            this.filters = v;
            return this;
        }

        public Builder filesystem_expr(String v) {
            this.filesystem_expr = v;
            return this;
        }

        public Builder filesystem(String v) {
            this.filesystem = v;
            return this;
        }

        public Builder split_to_row_groups(Boolean v) {
            this.split_to_row_groups = v;
            return this;
        }

        public Builder nb_parallel_fragments(Integer v) {
            this.nb_parallel_fragments = v;
            return this;
        }

        public Builder sharding_in_memory(boolean v) {
            this.sharding_in_memory = v;
            return this;
        }

        public Builder silent_freeze(boolean v) {
            this.silent_freeze = v;
            return this;
        }

        public DatasetConfig build() {
            return new DatasetConfig(name, parquet_path, weight, limit, columns, source_column, source_text_column, target_column, target_text_column, source_prefix_text, source_suffix_text, target_prefix_text, target_suffix_text, source_sequences, target_sequences, source_quality_column, source_quality_range, partition_filters, filters, filesystem_expr, filesystem, split_to_row_groups, nb_parallel_fragments, sharding_in_memory, silent_freeze);
        }
    }
}
