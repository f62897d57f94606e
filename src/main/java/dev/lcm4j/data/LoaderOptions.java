package dev.lcm4j.data;

import dev.lcm4j.LcmException;

/**
 * Options of {@link LcmDataLoader}, named after the reference's {@code DataLoadingConfig} (defaults as there).
 * Exactly one of {@code maxTokens} (sentences per batch, padding counted) and {@code batchSize} (documents) is set.
 *
 * @param lenToWrapLongSeq   split documents into chunks of at most this many sentences (remainder last); not with
 *                           target columns
 * @param minLengthOfSequences        drop documents with fewer source sentences
 * @param minLengthOfTargetSequences  drop documents with fewer target sentences
 * @param expectedDim        vector dimension every file must have; 0 takes it from the first vector read
 * @param maxIterationSteps  stop after this many batches ({@code null}: no limit)
 * @param chaining           how several datasets are combined (reference {@code multiple_dataset_chaining})
 * @param packing            with lenToWrapLongSeq: concatenate the buffer's documents and cut fixed-length rows
 * @param wrapBeforeAffixing wrap each row group's documents before filtering and affixing (then rows are not shuffled)
 * @param evenSharding       every rank gets the same number of batches (implies sharding in memory)
 * @param dropNull           drop rows with a null cell; false keeps rows whose text or extra cells are null
 * @param minLengthOfSequencesAfterBatching        drop rows of a batch with fewer source sentences (after wrapping)
 * @param minLengthOfTargetSequencesAfterBatching  the same for target sentences
 */
public record LoaderOptions(Integer maxTokens, Integer batchSize, boolean orderByLength, Integer lenToWrapLongSeq,
                            Integer maxSentenceLenInDoc, Integer minSentenceLenInDoc,
                            Integer maxSentenceLenInTargetDoc, Integer minSentenceLenInTargetDoc,
                            Integer minLengthOfSequences, Integer minLengthOfTargetSequences, int minBatchSize,
                            boolean shuffle, long seed, int nbEpochs, int rank, int worldSize,
                            Long maxIterationSteps, int expectedDim, Chaining chaining,
                            boolean packing, boolean wrapBeforeAffixing, boolean evenSharding, boolean dropNull,
                            Integer minLengthOfSequencesAfterBatching, Integer minLengthOfTargetSequencesAfterBatching) {

    /** Reference {@code multiple_dataset_chaining}. */
    public enum Chaining { SAMPLE, CONCAT, ROUND_ROBIN }

    public LoaderOptions {
        if (maxTokens != null && maxTokens == 0) maxTokens = null; // reference: max_tokens=0 means None
        if ((maxTokens == null) == (batchSize == null)) {
            throw new LcmException("set exactly one of max_tokens and batch_size (got max_tokens=" + maxTokens
                    + ", batch_size=" + batchSize + ")");
        }
        if (maxTokens != null && maxTokens < 1) throw new LcmException("max_tokens must be positive, got " + maxTokens);
        if (batchSize != null && batchSize < 1) throw new LcmException("batch_size must be positive, got " + batchSize);
        if (lenToWrapLongSeq != null && lenToWrapLongSeq < 1) {
            throw new LcmException("len_to_wrap_long_seq must be positive, got " + lenToWrapLongSeq);
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new LcmException("rank " + rank + " is not in [0, world_size=" + worldSize + ")");
        }
        if (nbEpochs < 1) throw new LcmException("nb_epochs must be >= 1, got " + nbEpochs);
        if (chaining == null) chaining = Chaining.SAMPLE;
        if (packing && lenToWrapLongSeq == null) {
            // the reference packs only while wrapping, so packing alone would be accepted and do nothing
            throw new LcmException("packing: true needs len_to_wrap_long_seq (the row length packed documents are cut to)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Number of sentences gathered before batching: the pool within which rows are shuffled and length-sorted. */
    int bufferSentences() {
        if (maxTokens != null) return 4 * maxTokens;
        if (lenToWrapLongSeq != null) return 4 * lenToWrapLongSeq * batchSize;
        return 10_000;
    }

    /** Mutable builder with the reference defaults. */
    public static final class Builder {
        private Integer maxTokens;
        private Integer batchSize;
        private boolean orderByLength = true;
        private Integer lenToWrapLongSeq;
        private Integer maxSentenceLenInDoc;
        private Integer minSentenceLenInDoc;
        private Integer maxSentenceLenInTargetDoc;
        private Integer minSentenceLenInTargetDoc;
        private Integer minLengthOfSequences = 1;
        private Integer minLengthOfTargetSequences = 1;
        private int minBatchSize = 1;
        private boolean shuffle = true;
        private long seed = 123;
        private int nbEpochs = 100;
        private int rank = 0;
        private int worldSize = 1;
        private Long maxIterationSteps;
        private int expectedDim = 0;
        private Chaining chaining = Chaining.SAMPLE;
        private boolean packing;
        private boolean wrapBeforeAffixing;
        private boolean evenSharding;
        private boolean dropNull = true;
        private Integer minLengthOfSequencesAfterBatching = 1;
        private Integer minLengthOfTargetSequencesAfterBatching = 1;

        public Builder maxTokens(Integer v) { maxTokens = v; return this; }
        public Builder batchSize(Integer v) { batchSize = v; return this; }
        public Builder orderByLength(boolean v) { orderByLength = v; return this; }
        public Builder lenToWrapLongSeq(Integer v) { lenToWrapLongSeq = v; return this; }
        public Builder maxSentenceLenInDoc(Integer v) { maxSentenceLenInDoc = v; return this; }
        public Builder minSentenceLenInDoc(Integer v) { minSentenceLenInDoc = v; return this; }
        public Builder maxSentenceLenInTargetDoc(Integer v) { maxSentenceLenInTargetDoc = v; return this; }
        public Builder minSentenceLenInTargetDoc(Integer v) { minSentenceLenInTargetDoc = v; return this; }
        public Builder minLengthOfSequences(Integer v) { minLengthOfSequences = v; return this; }
        public Builder minLengthOfTargetSequences(Integer v) { minLengthOfTargetSequences = v; return this; }
        public Builder minBatchSize(int v) { minBatchSize = v; return this; }
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder nbEpochs(int v) { nbEpochs = v; return this; }
        public Builder rank(int v) { rank = v; return this; }
        public Builder worldSize(int v) { worldSize = v; return this; }
        public Builder maxIterationSteps(Long v) { maxIterationSteps = v; return this; }
        public Builder expectedDim(int v) { expectedDim = v; return this; }
        public Builder chaining(Chaining v) { chaining = v; return this; }
        public Builder packing(boolean v) { packing = v; return this; }
        public Builder wrapBeforeAffixing(boolean v) { wrapBeforeAffixing = v; return this; }
        public Builder evenSharding(boolean v) { evenSharding = v; return this; }
        public Builder dropNull(boolean v) { dropNull = v; return this; }
        public Builder minLengthOfSequencesAfterBatching(Integer v) { minLengthOfSequencesAfterBatching = v; return this; }
        public Builder minLengthOfTargetSequencesAfterBatching(Integer v) { minLengthOfTargetSequencesAfterBatching = v; return this; }

        public LoaderOptions build() {
            return new LoaderOptions(maxTokens, batchSize, orderByLength, lenToWrapLongSeq, maxSentenceLenInDoc,
                    minSentenceLenInDoc, maxSentenceLenInTargetDoc, minSentenceLenInTargetDoc, minLengthOfSequences,
                    minLengthOfTargetSequences, minBatchSize, shuffle, seed, nbEpochs, rank, worldSize,
                    maxIterationSteps, expectedDim, chaining, packing, wrapBeforeAffixing, evenSharding,
                    dropNull, minLengthOfSequencesAfterBatching, minLengthOfTargetSequencesAfterBatching);
        }
    }
}
