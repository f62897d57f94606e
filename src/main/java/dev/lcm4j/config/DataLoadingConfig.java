package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.Map;

/**
 * How batches are built from parquet datasets (reference {@code DataLoadingConfig}, {@code lcm/datasets/configs.py}).
 * The same record holds {@code trainer.validation_data_loading_config}, whose defaults are
 * {@link #validationDefaults()} (reference {@code ValidationDataLoadingConfig}). "Tokens" are SENTENCES here.
 *
 * @param multiple_dataset_chaining how several datasets are combined: {@code sample} (weighted), {@code concat},
 *                                  {@code round_robin}. Default {@code sample} (validation: {@code concat}).
 * @param batch_size                 rows per batch; exactly one of batch_size / max_tokens. Default null.
 * @param order_by_length            sort rows by length before batching. Default true.
 * @param max_tokens                 sentences per batch (padded count max_len*rows); 0 means null. Default null.
 * @param len_to_wrap_long_seq       split documents longer than this many sentences. Default null (no wrapping).
 * @param packing                    concatenate documents into fixed-length rows when wrapping. Default false.
 * @param wrap_before_affixing       wrap before adding prefix/suffix sentences. Default false.
 * @param max_sentence_len_in_doc    drop documents with a sentence longer than this (UTF-8 bytes). Default null.
 * @param min_sentence_len_in_doc    accepted but has no effect: the reference's filter never checks the minimum, and
 *                                   lcm4j keeps that (docs/quirks.md #13). Default null.
 * @param max_sentence_len_in_target_doc as max_sentence_len_in_doc for the target side. Default null.
 * @param min_sentence_len_in_target_doc as min_sentence_len_in_doc for the target side. Default null.
 * @param min_length_of_sequences    minimum sentences per source document. Default 1.
 * @param min_length_of_sequences_after_batching minimum source sentences after batching. Default 1.
 * @param min_length_of_target_sequences minimum sentences per target document. Default 1.
 * @param min_length_of_target_sequences_after_batching minimum target sentences after batching. Default 1.
 * @param output_format              batch format: {@code torch}, {@code pyarrow} or {@code pandas}. Default {@code torch}.
 * @param shuffle                    shuffle fragments, rows and batches. Default true (validation: false).
 * @param drop_null                  drop rows with nulls. Default true.
 * @param seed                       data RNG seed. Default 123.
 * @param nb_epochs                  passes over the data. Default 100 (validation: 1).
 * @param min_batch_size             drop batches with fewer rows. Default 1.
 * @param nb_prefetch                batches prefetched (float in the reference). Default 3.0.
 * @param num_parallel_calls         parallelism of the loading steps. Default 1.5.
 * @param use_threads                use threads in arrow reads. Default false.
 * @param ignore_checkpointed_pipeline do not restore the data pipeline state from a checkpoint. Default false.
 * @param even_sharding              give every rank the same number of batches. Default false.
 * @param max_iteration_steps        stop after this many batches. Default null.
 */
public record DataLoadingConfig(Chaining multiple_dataset_chaining, Integer batch_size, boolean order_by_length,
                                Integer max_tokens, Integer len_to_wrap_long_seq, boolean packing,
                                boolean wrap_before_affixing, Integer max_sentence_len_in_doc,
                                Integer min_sentence_len_in_doc, Integer max_sentence_len_in_target_doc,
                                Integer min_sentence_len_in_target_doc, int min_length_of_sequences,
                                int min_length_of_sequences_after_batching, int min_length_of_target_sequences,
                                int min_length_of_target_sequences_after_batching, OutputFormat output_format,
                                boolean shuffle, boolean drop_null, int seed, int nb_epochs, int min_batch_size,
                                double nb_prefetch, double num_parallel_calls, boolean use_threads,
                                boolean ignore_checkpointed_pipeline, boolean even_sharding,
                                Integer max_iteration_steps) {

    public enum Chaining { SAMPLE, CONCAT, ROUND_ROBIN }

    public enum OutputFormat { TORCH, PYARROW, PANDAS }

    /** {@code max_tokens: 0} means "not set", as in the reference. */
    public DataLoadingConfig {
        if (max_tokens != null && max_tokens == 0) max_tokens = null;
    }

    /** Reference {@code DataLoadingConfig()} defaults (training). */
    public static DataLoadingConfig defaults() {
        return new Builder().build();
    }

    /**
     * Reference {@code ValidationDataLoadingConfig()} defaults: concat chaining, 1 epoch, no shuffle; batch_size and
     * max_tokens null = chosen automatically from the validation data by the loader.
     */
    public static DataLoadingConfig validationDefaults() {
        return builder().multiple_dataset_chaining(Chaining.CONCAT).shuffle(false).nb_epochs(1).build();
    }

    /**
     * Keys found in the reference recipes that are not fields: {@code min_length_after_batching} (pretrain recipes)
     * is ignored silently by the reference; lcm4j ignores it with a warning (docs/quirks.md #17).
     */
    static Map<String, String> ignoredKeys() {
        return Map.of("min_length_after_batching", "this is not a data loading setting, so it has no effect (the reference"
                + " ignores this key silently); to drop short batches use min_length_of_sequences_after_batching;"
                + " see docs/quirks.md #17");
    }

    /** Training loader: exactly one of batch_size / max_tokens, positive counts. */
    public void validate(String path) {
        if ((batch_size == null) == (max_tokens == null)) {
            throw new LcmException(path + ": exactly one of batch_size or max_tokens must be set (got batch_size="
                    + batch_size + ", max_tokens=" + max_tokens + ")");
        }
        validateValues(path);
    }

    /** Validation loader: batch_size / max_tokens may both be null (automatic), not both set. */
    public void validateForValidation(String path) {
        if (batch_size != null && max_tokens != null) {
            throw new LcmException(path + ": set at most one of batch_size or max_tokens (got batch_size="
                    + batch_size + ", max_tokens=" + max_tokens + ")");
        }
        validateValues(path);
    }

    private void validateValues(String path) {
        positive(path + ".batch_size", batch_size);
        positive(path + ".max_tokens", max_tokens);
        positive(path + ".len_to_wrap_long_seq", len_to_wrap_long_seq);
        positive(path + ".max_iteration_steps", max_iteration_steps);
        if (nb_epochs < 1) throw new LcmException(path + ".nb_epochs must be >= 1, got " + nb_epochs);
        if (min_batch_size < 1) throw new LcmException(path + ".min_batch_size must be >= 1, got " + min_batch_size);
        if (multiple_dataset_chaining == null) throw new LcmException(path + ".multiple_dataset_chaining is required");
        if (output_format == null) throw new LcmException(path + ".output_format is required");
    }

    private static void positive(String key, Integer value) {
        if (value != null && value <= 0) throw new LcmException(key + " must be > 0, got " + value);
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
        private Chaining multiple_dataset_chaining = Chaining.SAMPLE;
        private Integer batch_size = null;
        private boolean order_by_length = true;
        private Integer max_tokens = null;
        private Integer len_to_wrap_long_seq = null;
        private boolean packing = false;
        private boolean wrap_before_affixing = false;
        private Integer max_sentence_len_in_doc = null;
        private Integer min_sentence_len_in_doc = null;
        private Integer max_sentence_len_in_target_doc = null;
        private Integer min_sentence_len_in_target_doc = null;
        private int min_length_of_sequences = 1;
        private int min_length_of_sequences_after_batching = 1;
        private int min_length_of_target_sequences = 1;
        private int min_length_of_target_sequences_after_batching = 1;
        private OutputFormat output_format = OutputFormat.TORCH;
        private boolean shuffle = true;
        private boolean drop_null = true;
        private int seed = 123;
        private int nb_epochs = 100;
        private int min_batch_size = 1;
        private double nb_prefetch = 3.0;
        private double num_parallel_calls = 1.5;
        private boolean use_threads = false;
        private boolean ignore_checkpointed_pipeline = false;
        private boolean even_sharding = false;
        private Integer max_iteration_steps = null;

        private Builder() {
        }

        private Builder(DataLoadingConfig c) {
            this.multiple_dataset_chaining = c.multiple_dataset_chaining;
            this.batch_size = c.batch_size;
            this.order_by_length = c.order_by_length;
            this.max_tokens = c.max_tokens;
            this.len_to_wrap_long_seq = c.len_to_wrap_long_seq;
            this.packing = c.packing;
            this.wrap_before_affixing = c.wrap_before_affixing;
            this.max_sentence_len_in_doc = c.max_sentence_len_in_doc;
            this.min_sentence_len_in_doc = c.min_sentence_len_in_doc;
            this.max_sentence_len_in_target_doc = c.max_sentence_len_in_target_doc;
            this.min_sentence_len_in_target_doc = c.min_sentence_len_in_target_doc;
            this.min_length_of_sequences = c.min_length_of_sequences;
            this.min_length_of_sequences_after_batching = c.min_length_of_sequences_after_batching;
            this.min_length_of_target_sequences = c.min_length_of_target_sequences;
            this.min_length_of_target_sequences_after_batching = c.min_length_of_target_sequences_after_batching;
            this.output_format = c.output_format;
            this.shuffle = c.shuffle;
            this.drop_null = c.drop_null;
            this.seed = c.seed;
            this.nb_epochs = c.nb_epochs;
            this.min_batch_size = c.min_batch_size;
            this.nb_prefetch = c.nb_prefetch;
            this.num_parallel_calls = c.num_parallel_calls;
            this.use_threads = c.use_threads;
            this.ignore_checkpointed_pipeline = c.ignore_checkpointed_pipeline;
            this.even_sharding = c.even_sharding;
            this.max_iteration_steps = c.max_iteration_steps;
        }

        public Builder multiple_dataset_chaining(Chaining v) {
            this.multiple_dataset_chaining = v;
            return this;
        }

        public Builder batch_size(Integer v) {
            this.batch_size = v;
            return this;
        }

        public Builder order_by_length(boolean v) {
            this.order_by_length = v;
            return this;
        }

        public Builder max_tokens(Integer v) {
            this.max_tokens = v;
            return this;
        }

        public Builder len_to_wrap_long_seq(Integer v) {
            this.len_to_wrap_long_seq = v;
            return this;
        }

        public Builder packing(boolean v) {
            this.packing = v;
            return this;
        }

        public Builder wrap_before_affixing(boolean v) {
            this.wrap_before_affixing = v;
            return this;
        }

        public Builder max_sentence_len_in_doc(Integer v) {
            this.max_sentence_len_in_doc = v;
            return this;
        }

        public Builder min_sentence_len_in_doc(Integer v) {
            this.min_sentence_len_in_doc = v;
            return this;
        }

        public Builder max_sentence_len_in_target_doc(Integer v) {
            this.max_sentence_len_in_target_doc = v;
            return this;
        }

        public Builder min_sentence_len_in_target_doc(Integer v) {
            this.min_sentence_len_in_target_doc = v;
            return this;
        }

        public Builder min_length_of_sequences(int v) {
            this.min_length_of_sequences = v;
            return this;
        }

        public Builder min_length_of_sequences_after_batching(int v) {
            this.min_length_of_sequences_after_batching = v;
            return this;
        }

        public Builder min_length_of_target_sequences(int v) {
            this.min_length_of_target_sequences = v;
            return this;
        }

        public Builder min_length_of_target_sequences_after_batching(int v) {
            this.min_length_of_target_sequences_after_batching = v;
            return this;
        }

        public Builder output_format(OutputFormat v) {
            this.output_format = v;
            return this;
        }

        public Builder shuffle(boolean v) {
            this.shuffle = v;
            return this;
        }

        public Builder drop_null(boolean v) {
            this.drop_null = v;
            return this;
        }

        public Builder seed(int v) {
            this.seed = v;
            return this;
        }

        public Builder nb_epochs(int v) {
            this.nb_epochs = v;
            return this;
        }

        public Builder min_batch_size(int v) {
            this.min_batch_size = v;
            return this;
        }

        public Builder nb_prefetch(double v) {
            this.nb_prefetch = v;
            return this;
        }

        public Builder num_parallel_calls(double v) {
            this.num_parallel_calls = v;
            return this;
        }

        public Builder use_threads(boolean v) {
            this.use_threads = v;
            return this;
        }

        public Builder ignore_checkpointed_pipeline(boolean v) {
            this.ignore_checkpointed_pipeline = v;
            return this;
        }

        public Builder even_sharding(boolean v) {
            this.even_sharding = v;
            return this;
        }

        public Builder max_iteration_steps(Integer v) {
            this.max_iteration_steps = v;
            return this;
        }

        public DataLoadingConfig build() {
            return new DataLoadingConfig(multiple_dataset_chaining, batch_size, order_by_length, max_tokens, len_to_wrap_long_seq, packing, wrap_before_affixing, max_sentence_len_in_doc, min_sentence_len_in_doc, max_sentence_len_in_target_doc, min_sentence_len_in_target_doc, min_length_of_sequences, min_length_of_sequences_after_batching, min_length_of_target_sequences, min_length_of_target_sequences_after_batching, output_format, shuffle, drop_null, seed, nb_epochs, min_batch_size, nb_prefetch, num_parallel_calls, use_threads, ignore_checkpointed_pipeline, even_sharding, max_iteration_steps);
        }
    }
}
