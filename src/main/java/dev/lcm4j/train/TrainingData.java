package dev.lcm4j.train;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.AffixEmbedding;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import java.util.List;
import java.util.Map;

/**
 * The training batches of a run, pass after pass: when the loader runs out, it is opened again and the pass count
 * grows. Its position (pass count and loader state) goes into checkpoints.
 */
final class TrainingData implements BatchSource {
    private final List<Dataset> datasets;
    private final List<String> references;
    private final LoaderOptions options;
    private LcmDataLoader loader;
    private long passes;
    private boolean restarted;

    TrainingData(List<Dataset> datasets, LoaderOptions options) {
        this.datasets = datasets;
        this.references = datasets.stream().map(Dataset::name).toList();
        this.options = options;
        this.loader = AffixEmbedding.openLoader(datasets, options);
        // read the first batch now: data that cannot train (wrong dimension, nothing left after the filters) is
        // refused during the setup, before the run writes anything
        if (!loader.hasNext()) throw noBatch();
    }

    private LcmException noBatch() {
        if (options.worldSize() > loader.rowGroups()) {
            return new LcmException("training data " + references + " has " + loader.rowGroups() + " row group(s) for "
                    + options.worldSize() + " processes, so rank " + options.rank() + " reads nothing (each reads every "
                    + options.worldSize() + "th row group); use fewer processes or write the data in smaller row groups");
        }
        return new LcmException("training data " + references + " yields no batch; check filters, max_tokens and min lengths");
    }

    /** The next batch; starts a new pass when the data runs out ({@link #restartedPass()} then says so once). */
    @Override
    public List<Document> next() {
        restarted = false;
        if (!loader.hasNext()) {
            passes++;
            loader = AffixEmbedding.openLoader(datasets, options);
            if (!loader.hasNext()) throw noBatch();
            restarted = true;
        }
        return loader.next();
    }

    /** Whether the last {@link #next()} began a new pass over the data. */
    @Override
    public boolean restartedPass() {
        return restarted;
    }

    long passes() {
        return passes;
    }

    Map<String, Object> loaderState() {
        return loader.state().toMap();
    }

    void restore(long passes, Map<String, Object> loaderState) {
        this.passes = passes;
        loader.restore(LcmDataLoader.State.fromMap(loaderState));
    }
}
