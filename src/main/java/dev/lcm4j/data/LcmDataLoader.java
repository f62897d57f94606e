package dev.lcm4j.data;

import dev.lcm4j.concepts.ConceptEncoder;
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
 * (see {@link DatasetPipeline} for the per-dataset steps). Several datasets are mixed by seeded weighted sampling: each
 * batch comes from a dataset drawn with probability proportional to its weight among those not yet exhausted.
 *
 * <p>{@link #state()} after k batches, passed to {@link #restore} on a fresh loader with the same datasets and options,
 * continues with exactly batch k+1 of the uninterrupted run. The state holds only plain values (see
 * {@link State#toMap()}) so a trainer can store it in a checkpoint.
 */
public final class LcmDataLoader implements Iterator<List<Document>> {
    private final List<Dataset> datasets;
    private final LoaderOptions options;
    private final List<DatasetPipeline> pipelines = new ArrayList<>();
    private long batches;
    private long draws;
    private List<Document> peeked;
    private State beforePeek;

    /**
     * @param encoder embeds affix texts; {@code null} resolves each dataset's own encoder when it has affixes (see
     *                {@link #affixEncoder})
     */
    public LcmDataLoader(List<Dataset> datasets, LoaderOptions options, ConceptEncoder encoder) {
        if (datasets.isEmpty()) throw new LcmException("no dataset given to the data loader");
        this.datasets = List.copyOf(datasets);
        this.options = options;
        for (Dataset ds : datasets) {
            DataColumns cols = ds.columns();
            if (options.lenToWrapLongSeq() != null && cols.hasTarget()) {
                throw new LcmException("len_to_wrap_long_seq cannot be used with target columns (dataset " + ds.name()
                        + " has target_column " + cols.target() + ")");
            }
            List<Fragment> fragments = new ArrayList<>();
            int dim = options.expectedDim();
            for (Path f : ds.files()) {
                try (LcmParquetReader r = LcmParquetReader.open(f, cols, dim)) {
                    for (int g = 0; g < r.rowGroupCount(); g++) fragments.add(new Fragment(f, g, r.rowCount(g)));
                }
            }
            if (dim == 0) dim = probeDim(fragments, cols);
            Affixes affixes = options.affixes().orFrom(ds.card().extra());
            ConceptEncoder enc = encoder != null || affixes.isEmpty() ? encoder : affixEncoder(ds, dim);
            pipelines.add(new DatasetPipeline(ds, options, fragments, affixes.bind(enc, dim, affixLanguage(ds)), dim));
        }
    }

    /**
     * The encoder that embeds a dataset's affix texts ({@code "End of text."}): the one that made its vectors, named
     * by the datacard's {@code concept_encoder} (which {@code ./lcm prepare} writes). A card naming none is assumed to
     * be 1024-d SONAR data, as in the reference; for any other dimension the card must say.
     */
    static ConceptEncoder affixEncoder(Dataset ds, int dim) {
        Object name = ds.card() == null ? null : ds.card().extra().get("concept_encoder");
        if (name == null) {
            if (dim != 1024) {
                throw new LcmException("dataset " + ds.name() + " has affix texts but its datacard names no concept_encoder and its "
                        + dim + "-d vectors are not SONAR's; add 'concept_encoder: CARD' (the encoder that made the data) to the datacard");
            }
            name = "text_sonar_basic_encoder";
        }
        return dev.lcm4j.concepts.ConceptModels.sharedEncoder(String.valueOf(name));
    }

    private static String affixLanguage(Dataset ds) {
        Object lang = ds.card() == null ? null : ds.card().extra().get("lang");
        return lang == null ? dev.lcm4j.concepts.Languages.DEFAULT : String.valueOf(lang);
    }

    /** Resolves {@code references} ({@code card[=split][:weight]}) in {@code registry} and opens a loader. */
    public static LcmDataLoader open(DatacardRegistry registry, List<String> references, LoaderOptions options,
                                     ConceptEncoder encoder) {
        return new LcmDataLoader(references.stream().map(registry::resolve).toList(), options, encoder);
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
            if (pipelines.size() > 1) {
                double u = uniform(mix(options.seed() + options.rank(), 0xD1CE, draws++)) * total;
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

    private int probeDim(List<Fragment> fragments, DataColumns cols) {
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

    /** Where one dataset's stream stands: epoch, buffer cursor in the epoch's row-group order, batches of that buffer. */
    public record DatasetState(String name, int epoch, int cursor, int emitted, boolean done) {
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
                            (Boolean) x.get("done")));
                }
                return new State(((Number) m.get("batches")).longValue(), ((Number) m.get("draws")).longValue(), ds);
            } catch (RuntimeException e) {
                throw new LcmException("invalid data loader state " + m + ": " + e.getMessage(), e);
            }
        }
    }
}
