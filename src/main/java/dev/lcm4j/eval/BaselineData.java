package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.DataCard;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.DatasetRef;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The concepts of a baseline's training data ({@code --baseline_data}): every source and target concept of the
 * dataset's split, read once, in file order. The mean is summed in double precision; the concepts themselves are kept
 * only for a baseline that draws from them (N x D x 4 bytes of memory).
 *
 * @param dataset  the dataset read
 * @param dim      the concept dimension
 * @param count    how many concepts were read
 * @param mean     the mean concept, in double precision
 * @param concepts every concept, or null when not kept
 */
record BaselineData(Dataset dataset, int dim, long count, double[] mean, List<float[]> concepts) {
    /** The split read when {@code --baseline_data} names none: the data a model would have been trained on. */
    static final String DEFAULT_SPLIT = "train";

    /**
     * The dataset of {@code --baseline_data}: {@code NAME[=SPLIT]}, a datacard name as {@code --dataset.name} takes it,
     * or {@code DIR[=SPLIT]}, a dataset directory with its {@code datacard.yaml} (as {@code ./lcm prepare} and
     * {@code ./lcm data synth} write them); the split defaults to {@value #DEFAULT_SPLIT}.
     */
    static Dataset resolve(String spec) {
        String target = spec, split = DEFAULT_SPLIT;
        int eq = spec.lastIndexOf('=');
        // a directory's own name may hold '=' (split=train): only a suffix that is not part of an existing path is a split
        if (!Files.isDirectory(Path.of(spec)) && eq > 0 && spec.substring(eq + 1).matches("[A-Za-z0-9_]+")) {
            target = spec.substring(0, eq);
            split = spec.substring(eq + 1);
        }
        Path dir = Path.of(target);
        if (Files.isDirectory(dir)) {
            Path card = dir.resolve("datacard.yaml");
            if (!Files.isRegularFile(card)) {
                throw new LcmException("--baseline_data " + spec + ": directory " + dir + " has no datacard.yaml; give a datacard name or a"
                        + " dataset directory written by ./lcm prepare or ./lcm data synth");
            }
            DataCard c = DatacardRegistry.parse(card).get(0);
            return new Dataset(c.name() + "=" + split, c, split, 1.0, c.root("local"), c.columns());
        }
        DatasetRef ref = DatasetRef.parse(target);
        if (ref.weight() != null) throw new LcmException("--baseline_data " + spec + ": a weight means nothing to a baseline; give NAME[=SPLIT] or DIR[=SPLIT]");
        return DatacardRegistry.fromEnvironment().resolve(ref.card() + "=" + (ref.split() != null ? ref.split() : split));
    }

    /** Reads every concept of {@code ds}; {@code keep}: hold them all, for a baseline that draws from them. */
    static BaselineData read(Dataset ds, boolean keep) {
        DataColumns c = ds.columns();
        DataColumns vectorsOnly = new DataColumns(c.source(), null, c.target(), null, null);   // the sentences are not needed
        int dim = 0;
        long count = 0;
        double[] sum = null;
        List<float[]> all = keep ? new ArrayList<>() : null;
        for (Path f : ds.files()) {
            try (LcmParquetReader r = LcmParquetReader.open(f, vectorsOnly, dim)) {
                for (Document doc : r) {
                    for (float[][] side : new float[][][] {doc.embeddings(), doc.targetEmbeddings()}) {
                        if (side == null) continue;
                        for (float[] v : side) {
                            if (sum == null) {
                                dim = v.length;
                                sum = new double[dim];
                            }
                            for (int k = 0; k < dim; k++) sum[k] += v[k];
                            count++;
                            if (all != null) {
                                if (all.size() == Integer.MAX_VALUE - 8) throw new LcmException("dataset " + ds.name() + " has more concepts than a baseline can hold; use a smaller split");
                                all.add(v);
                            }
                        }
                    }
                }
            }
        }
        if (count == 0) throw new LcmException("dataset " + ds.name() + " has no concepts to fit a baseline on");
        double[] mean = new double[dim];
        for (int k = 0; k < dim; k++) mean[k] = sum[k] / count;
        return new BaselineData(ds, dim, count, mean, all);
    }
}
