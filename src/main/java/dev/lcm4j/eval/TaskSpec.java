package dev.lcm4j.eval;

import java.util.List;
import java.util.Map;

/**
 * A resolved evaluation task: what data it reads, how prompts are built, how generations are scored.
 *
 * @param name       task name as registered (e.g. {@code cnn_dailymail_llm.test})
 * @param kind       the task family
 * @param defaults   task arguments with their defaults ({@code --task_args} may override exactly these keys)
 * @param rougeTypes ROUGE types reported (F-measure), empty for none
 * @param ngram      also report the reference's character-level {@code ngram_overlap} / {@code repetition_4} against
 *                   the source, and the paper's word-level {@code ovl_3} / {@code rep_4}
 * @param firstSentenceOnly xlsum's post-processing: keep the prediction up to its first "."
 * @param dataset    task dataset defaults (applied under the user's values) and the data file it reads
 */
public record TaskSpec(String name, Kind kind, Map<String, Object> defaults, List<String> rougeTypes, boolean ngram,
                       boolean firstSentenceOnly, DatasetSetup dataset) {

    public enum Kind {
        /** Pre-embedded prompts from LCM parquet, generate, decode, score the text (lcm_generation). */
        LCM_GENERATION,
        /** Teacher-forced next-concept prediction on LCM parquet documents: l2, round-trip l2, CA, PAR. */
        LCM_NEXT_SENTENCE,
        /** Text prompts from jsonl/parquet files (cnn_dailymail, xsum, xlsum): encode, generate, decode, score. */
        TEXT_GENERATION,
        /** The reference's dummy tasks: the prompt is echoed back, metric m1 is the L2 distance (0). */
        DUMMY_JSON,
        DUMMY_PARQUET
    }

    /** Applies the task's dataset defaults; returns the resolved options (user values win). */
    @FunctionalInterface
    public interface DatasetSetup {
        void apply(DatasetOptions dataset, String datasetDir, Map<String, Object> args);
    }
}
