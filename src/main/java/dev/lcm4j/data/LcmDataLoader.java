package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Streams training batches ({@code List<Document>}) from one or more datasets, reading parquet row group by row group
 * (see {@link DatasetPipeline} for the per-dataset steps). Several datasets are chained as the options say: {@code
 * SAMPLE} draws each batch's dataset with probability proportional to its weight among those not yet exhausted
 * (seeded with seed + rank, or seed alone with even sharding); {@code CONCAT} reads them one after the other and
 * {@code ROUND_ROBIN} takes one batch of each in turn, skipping exhausted ones, both starting at dataset {@code rank}
 * (the reference shifts the list left by the rank).
 *
 * <p>{@link #state()} after k batches, passed to {@link #restore} on a fresh loader with the same datasets and options,
 * continues with exactly batch k+1 of the uninterrupted run. The state holds only plain values (see
 * {@link State#toMap()}) so a trainer can store it in a checkpoint.
 */
public final class LcmDataLoader implements Iterator<List<Document>> {
    private final List<Dataset> datasets;
    private final LoaderOptions options;
    private final List<DatasetPipeline> pipelines = new ArrayList<>();
    private int rowGroups;
    private long batches;
    private long draws;
    private List<Document> peeked;
    private State beforePeek;

    /**
     * @param affixVectors the vectors of each dataset's affix texts ({@link #affixesOf}), embedded by the caller in
     *                     the dataset's concept space; {@link AffixVectors#NONE} when there are none
     */
    public LcmDataLoader(List<Dataset> datasets, LoaderOptions options, AffixVectors affixVectors) {
        if (datasets.isEmpty()) throw new LcmException("no dataset given to the data loader");
        this.datasets = List.copyOf(datasets);
        this.options = options;
        for (Dataset ds : datasets) {
            DataColumns cols = ds.columns();
            if (options.lenToWrapLongSeq() != null && cols.hasTarget()) {
                throw new LcmException("len_to_wrap_long_seq cannot be used with target columns (dataset " + ds.name()
                        + " has target_column " + cols.target() + ")");
            }
            List<Fragment> fragments = fragments(ds, options.expectedDim());
            int dim = options.expectedDim() != 0 ? options.expectedDim() : probeDim(fragments, DatasetPipeline.readColumns(ds));
            Affixes affixes = affixesOf(ds);
            // reference: in memory when asked, with even sharding, or when there are too few row groups to go round
            boolean inMemory = ds.options().shardingInMemory() || options.evenSharding()
                    || (long) options.nbEpochs() * fragments.size() < 2L * options.worldSize();
            pipelines.add(new DatasetPipeline(ds, options, fragments, affixes.withVectors(affixVectors.of(ds), dim), dim,
                    affixVectors.of(ds), inMemory));
            rowGroups += fragments.size();
        }
    }

    /** Row groups of all datasets (each rank reads every world_size-th of them). */
    public int rowGroups() {
        return rowGroups;
    }

    /**
     * The affix texts of {@code ds}: the dataset's own, else those its datacard sets (a config wins over the card, as
     * in the reference).
     */
    public static Affixes affixesOf(Dataset ds) {
        Affixes own = ds.options().affixes();
        return (own == null || own.isEmpty() ? Affixes.NONE : own).orFrom(ds.card().extra());
    }

    /** The dimension of {@code ds}'s concept vectors: the options' expected one, else read from the data (0 if empty). */
    public static int dimensionOf(Dataset ds, LoaderOptions options) {
        if (options.expectedDim() != 0) return options.expectedDim();
        return probeDim(fragments(ds, 0), DatasetPipeline.readColumns(ds));
    }

    private static List<Fragment> fragments(Dataset ds, int dim) {
        List<Fragment> fragments = new ArrayList<>();
        DataColumns cols = DatasetPipeline.readColumns(ds);
        for (Path f : ds.files()) {
            try (LcmParquetReader r = LcmParquetReader.open(f, cols, dim)) {
                for (int g = 0; g < r.rowGroupCount(); g++) fragments.add(new Fragment(f, g, r.rowCount(g)));
            }
        }
        return ds.options().limit() == null ? fragments : ds.options().limit().fragments(fragments);
    }

    /** Resolves {@code references} ({@code card[=split][:weight]}) in {@code registry} and opens a loader. */
    public static LcmDataLoader open(DatacardRegistry registry, List<String> references, LoaderOptions options,
                                     AffixVectors affixVectors) {
        return new LcmDataLoader(references.stream().map(registry::resolve).toList(), options, affixVectors);
    }

    @Override
    public boolean hasNext() {
        if (peeked == null) {
            State s = state();
            peeked = advance();
            beforePeek = s;
        }
        return peeked != null;
    }

    @Override
    public List<Document> next() {
        if (!hasNext()) throw new NoSuchElementException("the data loader is exhausted");
        List<Document> b = peeked;
        peeked = null;
        beforePeek = null;
        return b;
    }

    /** Position after the batches returned by {@link #next()} so far. */
    public State state() {
        if (peeked != null) return beforePeek;
        List<DatasetState> ds = new ArrayList<>();
        for (DatasetPipeline p : pipelines) ds.add(p.state());
        return new State(batches, draws, ds);
    }

    /** Continues from {@code s}, which must come from a loader over the same datasets and options. */
    public void restore(State s) {
        if (s.datasets().size() != pipelines.size()) {
            throw new LcmException("data loader state has " + s.datasets().size() + " datasets, this loader has "
                    + pipelines.size());
        }
        for (int i = 0; i < pipelines.size(); i++) {
            String expected = datasets.get(i).name();
            if (!s.datasets().get(i).name().equals(expected)) {
                throw new LcmException("data loader state is for dataset " + s.datasets().get(i).name()
                        + ", this loader's dataset " + i + " is " + expected);
            }
            pipelines.get(i).restore(s.datasets().get(i));
        }
        batches = s.batches();
        draws = s.draws();
        peeked = null;
        beforePeek = null;
    }

    private List<Document> advance() {
        if (options.maxIterationSteps() != null && batches >= options.maxIterationSteps()) return null;
        while (true) {
            double total = 0;
            for (int i = 0; i < pipelines.size(); i++) if (!pipelines.get(i).done()) total += datasets.get(i).weight();
            if (total == 0) return null;
            int chosen = 0;
            int n = pipelines.size();
            if (n > 1 && options.chaining() == LoaderOptions.Chaining.CONCAT) {
                chosen = -1;
                for (int k = 0; k < n && chosen < 0; k++) {
                    int i = (k + options.rank()) % n;
                    if (!pipelines.get(i).done()) chosen = i;
                }
            } else if (n > 1 && options.chaining() == LoaderOptions.Chaining.ROUND_ROBIN) {
                // draws counts the turns; an exhausted dataset's turn passes to the next one
                chosen = -1;
                while (chosen < 0) {
                    int i = (int) ((draws++ + options.rank()) % n);
                    if (!pipelines.get(i).done()) chosen = i;
                }
            } else if (n > 1) {
                long seed = options.seed() + (options.evenSharding() ? 0 : options.rank());
                double u = uniform(mix(seed, 0xD1CE, draws++)) * total;
                for (int i = 0; i < pipelines.size(); i++) {
                    if (pipelines.get(i).done()) continue;
                    chosen = i;
                    u -= datasets.get(i).weight();
                    if (u < 0) break;
                }
            } else if (pipelines.get(0).done()) {
                return null;
            }
            List<Document> b = pipelines.get(chosen).next();
            if (b != null) {
                batches++;
                return b;
            }
        }
    }

    private static int probeDim(List<Fragment> fragments, DataColumns cols) {
        for (Fragment f : fragments) {
            try (LcmParquetReader r = LcmParquetReader.open(f.file(), cols, 0)) {
                for (Document d : r.readRowGroup(f.rowGroup())) {
                    if (d.embeddings() != null && d.embeddings().length > 0) return d.embeddings()[0].length;
                }
            }
        }
        return 0;
    }

    /** SplitMix64-style mixing of several longs into one seed. */
    static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h += p * 0xBF58476D1CE4E5B9L + 0x9E3779B97F4A7C15L;
            h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
            h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
            h ^= h >>> 31;
        }
        return h;
    }

    private static double uniform(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }

    /**
     * Where one dataset's stream stands: epoch, buffer cursor in the epoch's row-group order, batches of that buffer,
     * and (sharding in memory) how many batches all ranks together made before that buffer.
     */
    public record DatasetState(String name, int epoch, int cursor, int emitted, boolean done, long offset) {
    }

    /**
     * Loader position: batches emitted, dataset draws made, per-dataset positions.
     */
    public record State(long batches, long draws, List<DatasetState> datasets) {
        public State {
            datasets = List.copyOf(datasets);
        }

        /** Plain map (numbers, strings, booleans, lists) for checkpoint files. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("batches", batches);
            m.put("draws", draws);
            List<Map<String, Object>> ds = new ArrayList<>();
            for (DatasetState d : datasets) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("name", d.name());
                x.put("epoch", d.epoch());
                x.put("cursor", d.cursor());
                x.put("emitted", d.emitted());
                x.put("done", d.done());
                x.put("offset", d.offset());
                ds.add(x);
            }
            m.put("datasets", ds);
            return m;
        }

        @SuppressWarnings("unchecked")
        public static State fromMap(Map<String, Object> m) {
            try {
                List<DatasetState> ds = new ArrayList<>();
                for (Map<String, Object> x : (List<Map<String, Object>>) m.get("datasets")) {
                    ds.add(new DatasetState((String) x.get("name"), ((Number) x.get("epoch")).intValue(),
                            ((Number) x.get("cursor")).intValue(), ((Number) x.get("emitted")).intValue(),
                            (Boolean) x.get("done"),
                            x.get("offset") == null ? 0L : ((Number) x.get("offset")).longValue()));
                }
                return new State(((Number) m.get("batches")).longValue(), ((Number) m.get("draws")).longValue(), ds);
            } catch (RuntimeException e) {
                throw new LcmException("invalid data loader state " + m + ": " + e.getMessage(), e);
            }
        }
    }
}
