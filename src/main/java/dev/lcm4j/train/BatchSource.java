package dev.lcm4j.train;

import dev.lcm4j.data.Document;
import java.util.List;

/** Where a {@link TrainStep} takes its micro-batches from: the run's data ({@link TrainingData}), or a test's. */
interface BatchSource {
    /** The next micro-batch of this rank. */
    List<Document> next();

    /** Whether the last {@link #next()} began a new pass over the data (the step then drops what it gathered). */
    boolean restartedPass();
}
