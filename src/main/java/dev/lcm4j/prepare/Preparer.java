package dev.lcm4j.prepare;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.retrieval.SentenceBank;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.io.FileTrees;
import dev.lcm4j.text.SentenceSplitter;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * {@code lcm prepare}: streams documents from a {@link DocumentSource}, drops blank ones (counted) and, with the
 * language filter, other languages (counted), groups the kept documents into shards of {@code shardSize}, and for each
 * shard splits the documents into sentences (in parallel), embeds all its sentences in token-budgeted batches, and
 * writes {@code DIR/split=S/part-XXXXX.parquet} per split, each atomically. {@link Manifest} records finished shards,
 * so a rerun after a kill skips them (no re-encoding) and redoes only the rest; settings that differ from the
 * manifest's are refused unless {@code overwrite}. {@code DIR/datacard.yaml} is written last.
 *
 * <p>Split over a SLURM array ({@link #runTask}): every task streams the same documents, so shard numbers are the
 * same everywhere, and prepares only the shards {@code i} with {@code i % N == task}, recording them in its own
 * task file (see {@link Manifest}); {@link #merge} then folds the task files into the manifest and writes the
 * datacard, exactly as a local run would have: the files are byte for byte those of a local run.
 */
public final class Preparer {
    /** Progress callbacks (the CLI draws a bar with documents/s and sentences/s). */
    public interface Listener {
        /** A shard is finished; {@code resumed} when it was already done in an earlier run and was skipped. */
        void shard(int index, long documents, long sentences, boolean resumed);
    }

    /**
     * Which shards one SLURM array task prepares: those whose index modulo {@code count} is {@code index}.
     *
     * @param index this task, 0 .. count-1 (SLURM_ARRAY_TASK_ID)
     * @param count the array's size ({@code --nshards})
     */
    public record ArrayTask(int index, int count) {
        public ArrayTask {
            if (count < 1) throw new LcmException("--nshards must be at least 1, got " + count);
            if (index < 0 || index >= count) {
                throw new LcmException("--array-task must be between 0 and " + (count - 1) + " (--nshards " + count + "), got " + index);
            }
        }

        public boolean owns(int shard) {
            return shard % count == index;
        }
    }

    /**
     * What one array task did.
     *
     * @param task          which task
     * @param totalShards   shards of the whole dataset
     * @param ownedShards   shards that are this task's
     * @param preparedShards of those, prepared now
     * @param resumedShards  of those, found finished (by an earlier attempt of the task, or any other run)
     */
    public record TaskResult(ArrayTask task, int totalShards, int ownedShards, int preparedShards, int resumedShards) {
    }

    /** What becomes of a read document: prepared, or skipped and counted as blank or of another language. */
    public enum Verdict { KEPT, EMPTY, OTHER_LANGUAGE }

    /** The one rule that decides which documents a dataset holds (a local run and the Spark job both apply it). */
    public static Verdict verdict(SourceDocument d, PrepareOptions opt) {
        // prompt/answer data: a row without a prompt or without an answer teaches nothing; both are needed
        if (blank(d.text()) || (opt.source().hasTarget() && blank(d.target()))) return Verdict.EMPTY;
        if (opt.languageFilter() && !opt.lang().equals(LanguageId.identify(fullText(d)))) return Verdict.OTHER_LANGUAGE;
        return Verdict.KEPT;
    }

    /**
     * Documents and sentences of one prepared shard, per split; {@code targetSentences} the target column's
     * ({@code null} without one, and then left out of the manifest, so one-text manifests keep their form). The
     * manifest records each finished shard as one; a Spark task sends one to the driver.
     */
    public record ShardCounts(Map<String, Long> documents, Map<String, Long> sentences,
                              @JsonProperty("target_sentences") @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Long> targetSentences)
            implements Serializable {
    }

    /** The error of an input with no document left to prepare, with what was skipped and why. */
    public static LcmException noDocuments(PrepareOptions opt, long empty, long otherLanguage) {
        return new LcmException("no documents to prepare in " + opt.source().input() + " (" + empty + " empty"
                + (opt.languageFilter() ? ", " + otherLanguage + " not identified as " + opt.lang() : "") + ")");
    }

    /** A run's totals, split by split, from the counts of all its shards. */
    public static Result totals(Path datacard, Collection<ShardCounts> shards, int shardCount, int resumedShards, long skippedEmpty,
                                long filteredLanguage, Map<String, Long> sourceCounters) {
        Map<String, Long> docs = new TreeMap<>(), sentences = new TreeMap<>(), targetSentences = new TreeMap<>();
        for (ShardCounts s : shards) {
            s.documents().forEach((k, v) -> docs.merge(k, v, Long::sum));
            s.sentences().forEach((k, v) -> sentences.merge(k, v, Long::sum));
            if (s.targetSentences() != null) s.targetSentences().forEach((k, v) -> targetSentences.merge(k, v, Long::sum));
        }
        return new Result(datacard, docs, sentences, shardCount, resumedShards, skippedEmpty, filteredLanguage, sourceCounters,
                targetSentences);
    }

    /**
     * Totals of a run, including shards finished by earlier runs; {@code sentences} are the (source) text's,
     * {@code targetSentences} the target column's (empty without one).
     */
    public record Result(Path datacard, Map<String, Long> documents, Map<String, Long> sentences, int shards,
                         int resumedShards, long skippedEmpty, long filteredLanguage, Map<String, Long> sourceCounters,
                         Map<String, Long> targetSentences) {
    }

    private final PrepareOptions opt;
    private final ConceptEncoder encoder;
    private final SentenceSplitter splitter;
    private final SplitAssigner assigner;
    private final OutputColumns cols;

    public Preparer(PrepareOptions options, ConceptEncoder encoder, SentenceSplitter splitter) {
        this.opt = options;
        this.encoder = encoder;
        this.splitter = splitter;
        this.assigner = new SplitAssigner(options.seed(), options.validationFraction());
        this.cols = OutputColumns.of(options.source().textColumn(), options.source().targetColumn());
    }

    /** The columns of the written dataset, as its datacard declares them. */
    public DataColumns columns() {
        return cols.dataColumns();
    }

    /** The settings a resume must match: input, options that change the output, encoder and dimension. */
    Map<String, String> settings() {
        Map<String, String> s = new TreeMap<>();
        SourceSpec src = opt.source();
        s.put("input", DocumentSources.fingerprint(src));
        s.put("format", src.europarl() ? "europarl" : src.format());
        s.put("text_column", src.textColumn());
        if (src.hasTarget()) s.put("target_column", src.targetColumn()); // absent for one-text data: older manifests match
        s.put("id_column", String.valueOf(src.idColumn()));
        s.put("split_column", String.valueOf(src.splitColumn()));
        s.put("lang", opt.lang());
        s.put("language_filter", String.valueOf(opt.languageFilter()));
        s.put("max_docs", String.valueOf(opt.maxDocs()));
        s.put("shard_size", String.valueOf(opt.shardSize()));
        s.put("validation_fraction", String.valueOf(opt.validationFraction()));
        s.put("seed", String.valueOf(opt.seed()));
        s.put("row_group_rows", String.valueOf(opt.rowGroupRows()));
        s.put("splitter", opt.splitter());
        s.put("encoder", encoder.name());
        s.put("dim", String.valueOf(encoder.dim()));
        return s;
    }

    /** A local run: prepares every unfinished shard and writes the manifest, the datacard and nothing else. */
    public Result run(Listener listener) {
        return (Result) execute(null, true, listener);
    }

    /**
     * The last step after a SLURM array: folds the tasks' records into the manifest and writes the datacard, as a
     * local run that finds every shard finished. A shard no task finished is an error (nothing is prepared here).
     */
    public Result merge(Listener listener) {
        return (Result) execute(null, false, listener);
    }

    /**
     * One task of a SLURM array: prepares the unfinished shards that are {@code task}'s and records them in its own
     * task file; the manifest, the datacard and the other tasks' shards are left alone (they run at the same time).
     */
    public TaskResult runTask(ArrayTask task, Listener listener) {
        return (TaskResult) execute(task, true, listener);
    }

    private Object execute(ArrayTask task, boolean mayPrepare, Listener listener) {
        Path dir = opt.output();
        Map<String, String> settings = settings();
        try (DocumentSource source = DocumentSources.open(opt.source())) {
            Progress progress = task == null ? new Progress(startOrResume(dir, settings), null, null)
                    : startTask(dir, settings, task);
            ExecutorService pool = newPool();
            try {
                return stream(source, progress, task, mayPrepare, pool, listener);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Where finished shards are looked up and recorded: a local run has the manifest only; an array task reads the
     * manifest and every task file ({@code done}) and writes its own file ({@code own}).
     */
    private record Progress(Manifest.Content manifest, Map<Integer, ShardCounts> done, Manifest.Content own) {
        ShardCounts finished(int shard) {
            return done != null ? done.get(shard) : manifest.shards().get(shard);
        }
    }

    private Object stream(DocumentSource source, Progress progress, ArrayTask task, boolean mayPrepare, ExecutorService pool,
                          Listener listener) {
        Embedder embedder = new Embedder(encoder, opt.lang(), opt.tokenBudget(), opt.maxBatchSentences(), pool);
        long kept = 0, empty = 0, otherLanguage = 0;
        int shard = 0, resumed = 0, owned = 0, prepared = 0;
        List<SourceDocument> batch = new ArrayList<>(opt.shardSize());
        while (true) {
            boolean full = opt.maxDocs() > 0 && kept == opt.maxDocs();
            SourceDocument d = full ? null : source.next();
            if (d != null) {
                Verdict v = verdict(d, opt);
                if (v == Verdict.EMPTY) {
                    empty++;
                    continue;
                }
                if (v == Verdict.OTHER_LANGUAGE) {
                    otherLanguage++;
                    continue;
                }
                kept++;
                batch.add(d);
            }
            if (batch.size() == opt.shardSize() || (d == null && !batch.isEmpty())) {
                if (task == null || task.owns(shard)) { // another task's shard: only counted, so numbers agree
                    owned++;
                    ShardCounts done = progress.finished(shard);
                    boolean wasDone = done != null;
                    if (wasDone) {
                        resumed++; // finished by an earlier run: its files are complete, nothing is re-encoded
                    } else if (!mayPrepare) {
                        throw new LcmException("shard " + shard + " of " + opt.output() + " was not prepared by the array "
                                + "tasks (neither " + Manifest.FILE + " nor " + Manifest.TASKS_DIR + "/ lists it); run the "
                                + "same ./lcm prepare --launcher submitit command again: it prepares only what is missing");
                    } else {
                        done = processShard(shard, batch, embedder, pool, opt.output());
                        prepared++;
                        if (task == null) {
                            progress.manifest().shards().put(shard, done);
                            Manifest.write(opt.output(), progress.manifest());
                        } else {
                            progress.own().shards().put(shard, done);
                            progress.done().put(shard, done);
                            Manifest.writeFile(Manifest.taskPath(opt.output(), task.index(), task.count()), progress.own());
                        }
                    }
                    listener.shard(shard, sum(done.documents()), sum(done.sentences()), wasDone);
                }
                shard++;
                batch = new ArrayList<>(opt.shardSize());
            }
            if (d == null) break;
        }
        if (kept == 0) throw noDocuments(opt, empty, otherLanguage);
        if (task != null) return new TaskResult(task, shard, owned, prepared, resumed);
        Result r = totals(opt.output().resolve("datacard.yaml"), progress.manifest().shards().values(), shard, resumed, empty,
                otherLanguage, new LinkedHashMap<>(source.counters()));
        Datacards.write(r, opt, encoder.name(), encoder.dim(), columns());
        return r;
    }

    /**
     * Prepares shard {@code index} (the kept documents {@code [index*K, (index+1)*K)} in input order) exactly as a
     * local run does, but writes its files under {@code dir} ({@code dir/split=S/part-XXXXX.parquet}) instead of the
     * output directory, with this preparer's threads; no manifest. The Spark job runs one call per shard, each in a
     * staging directory from which it moves the files to the dataset.
     */
    public ShardCounts prepareShard(int index, List<SourceDocument> docs, Path dir) {
        ExecutorService pool = newPool();
        try {
            Embedder embedder = new Embedder(encoder, opt.lang(), opt.tokenBudget(), opt.maxBatchSentences(), pool);
            return processShard(index, docs, embedder, pool, dir);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Writes {@code DIR/datacard.yaml} for a dataset whose shards were prepared elsewhere (the Spark job), from the
     * totals in {@code r} and the encoder's name and dimension: the same card a local run writes.
     */
    public static void writeDatacard(Result r, PrepareOptions opt, String encoderName, int encoderDim) {
        DataColumns cols = OutputColumns.of(opt.source().textColumn(), opt.source().targetColumn()).dataColumns();
        Datacards.write(r, opt, encoderName, encoderDim, cols);
    }

    /** The --threads workers that split and embed; daemon threads, so a failed run still exits. */
    private ExecutorService newPool() {
        return Executors.newFixedThreadPool(opt.threads(), r -> {
            Thread t = new Thread(r, "prepare");
            t.setDaemon(true);
            return t;
        });
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** What the language filter looks at: the text, and with a target column the target after it. */
    private static String fullText(SourceDocument d) {
        return d.target() == null ? d.text() : d.text() + "\n" + d.target();
    }

    private ShardCounts processShard(int index, List<SourceDocument> docs, Embedder embedder, ExecutorService pool, Path dir) {
        boolean withTarget = cols.hasTarget();
        // 1. sentences, one task per text (splitters are thread-safe); the target, if any, is split on its own
        List<Future<List<String>>> futures = new ArrayList<>(docs.size() * (withTarget ? 2 : 1));
        for (SourceDocument d : docs) {
            futures.add(pool.submit(() -> splitter.split(d.text(), opt.lang())));
            if (withTarget) futures.add(pool.submit(() -> splitter.split(d.target(), opt.lang())));
        }
        Parallel.await(futures);
        List<List<String>> split = new ArrayList<>(futures.size()); // per document: text[, target]
        for (Future<List<String>> f : futures) split.add(Parallel.done(f));
        // 2. all sentences of the shard (both columns) in one list -> token-budgeted batches; a sentence's vector does
        //    not depend on its batch, so a target embeds as it would alone
        List<String> all = new ArrayList<>();
        for (List<String> s : split) all.addAll(s);
        float[][] vectors = embedder.embed(all);
        // 3. group by split, in input order
        Map<String, List<PreparedDocument>> bySplit = new TreeMap<>();
        int at = 0, text = 0;
        for (SourceDocument d : docs) {
            List<String> s = split.get(text++);
            float[][] v = Arrays.copyOfRange(vectors, at, at + s.size());
            at += s.size();
            List<String> ts = null;
            float[][] tv = null;
            if (withTarget) {
                ts = split.get(text++);
                tv = Arrays.copyOfRange(vectors, at, at + ts.size());
                at += ts.size();
            }
            bySplit.computeIfAbsent(splitOf(d), k -> new ArrayList<>())
                    .add(new PreparedDocument(d.id(), d.text(), s, v, d.target(), ts, tv));
        }
        Map<String, Long> nDocs = new TreeMap<>(), nSent = new TreeMap<>(), nTarget = withTarget ? new TreeMap<>() : null;
        for (Map.Entry<String, List<PreparedDocument>> e : bySplit.entrySet()) {
            cols.write(partFile(dir, e.getKey(), index), opt.rowGroupRows(), e.getValue());
            nDocs.put(e.getKey(), (long) e.getValue().size());
            nSent.put(e.getKey(), e.getValue().stream().mapToLong(p -> p.sentences().size()).sum());
            if (withTarget) nTarget.put(e.getKey(), e.getValue().stream().mapToLong(p -> p.targetSentences().size()).sum());
        }
        return new ShardCounts(nDocs, nSent, nTarget);
    }

    /** The file of one shard's documents of one split: {@code dir/split=S/part-XXXXX.parquet}. */
    public static Path partFile(Path dir, String split, int shard) {
        return dir.resolve(partFileName(split, shard));
    }

    /** {@link #partFile}'s path relative to the dataset directory, {@code split=S/part-XXXXX.parquet}. */
    public static String partFileName(String split, int shard) {
        return "split=" + split + "/" + String.format("part-%05d.parquet", shard);
    }

    private String splitOf(SourceDocument d) {
        if (opt.source().splitColumn() == null) return assigner.assign(d.id());
        String s = d.split();
        if (s == null || !s.matches("[A-Za-z0-9_.-]+")) {
            throw new LcmException(d.origin() + ": split column '" + opt.source().splitColumn() + "' has value "
                    + (s == null ? "null" : "'" + s + "'") + "; splits must match [A-Za-z0-9_.-]+ (e.g. train, validation)");
        }
        return s;
    }

    private static long sum(Map<String, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Checks the output directory against the manifest (resume), or against an existing dataset's vector dimension,
     * and clears leftovers of killed writes. Returns the manifest to continue.
     */
    private Manifest.Content startOrResume(Path dir, Map<String, String> settings) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new LcmException("--output " + dir + " is a file; pass a directory");
        }
        if (opt.overwrite()) clear(dir);
        Manifest.Content m = Files.isDirectory(dir) ? Manifest.read(dir) : null;
        if (m == null) {
            // parquet files with array tasks' records are a prepare run's (the tasks never write the manifest)
            List<Path> existing = Manifest.taskFiles(dir).isEmpty() ? parquetFiles(dir) : List.of();
            if (!existing.isEmpty()) {
                int dim = existingDim(existing.get(0));
                if (dim != encoder.dim() && dim > 0) {
                    throw new LcmException("encoder " + encoder.name() + " makes " + encoder.dim() + "-dim vectors but "
                            + dir + " already holds a dataset of dim " + dim + " (" + existing.get(0).getFileName()
                            + "); choose another --output, or --overwrite to replace it");
                }
                throw new LcmException(dir + " already holds parquet files not written by a prepare run (no "
                        + Manifest.FILE + "); choose another --output, or --overwrite to replace them");
            }
            m = new Manifest.Content(settings, new TreeMap<>());
        } else if (!m.settings().equals(settings)) {
            List<String> diff = differences(m.settings(), settings);
            String dims = settings.get("dim").equals(m.settings().get("dim")) ? ""
                    : " (the encoder's dimension differs from the existing dataset's)";
            throw new LcmException(dir + " was prepared with other settings" + dims + ": " + String.join("; ", diff)
                    + "; rerun with the same options to resume, or pass --overwrite to start afresh");
        }
        deleteTemporaries(dir); // no array task runs now: their leftovers are as dead as a killed local run's
        foldTaskFiles(dir, m);
        return m;
    }

    /**
     * Moves the shards recorded by array tasks into the manifest: the manifest is written first, then the task files
     * are deleted, so a kill in between loses nothing (the next run folds the same shards again).
     */
    private static void foldTaskFiles(Path dir, Manifest.Content m) {
        List<Path> files = Manifest.taskFiles(dir);
        if (files.isEmpty()) return;
        for (Path f : files) {
            Manifest.Content t = Manifest.readFile(f);
            if (t == null) continue;
            checkSameSettings(f, t.settings(), m.settings());
            m.shards().putAll(t.shards());
        }
        Manifest.write(dir, m);
        try {
            for (Path f : files) Files.deleteIfExists(f);
            FileTrees.deleteTree(dir.resolve(Manifest.TASKS_DIR));
        } catch (IOException e) {
            throw new LcmException("cannot remove the array tasks' files in " + dir.resolve(Manifest.TASKS_DIR) + ": " + e.getMessage(), e);
        }
    }

    /** Settings that differ, as "key was A, now B"; a key only one side has (target_column) counts as "none" on the other. */
    private static List<String> differences(Map<String, String> was, Map<String, String> now) {
        List<String> diff = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(was.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            if (!java.util.Objects.equals(was.get(k), now.get(k))) {
                diff.add(k + " was " + was.getOrDefault(k, "none") + ", now " + now.getOrDefault(k, "none"));
            }
        }
        return diff;
    }

    private static void checkSameSettings(Path file, Map<String, String> found, Map<String, String> expected) {
        if (found.equals(expected)) return;
        List<String> diff = differences(found, expected);
        throw new LcmException(file + " was written by an array task with other settings: " + String.join("; ", diff)
                + "; rerun with the same options to resume, or pass --overwrite to start afresh");
    }

    /**
     * An array task's start: checks its settings against the manifest and every task file, and collects the shards
     * finished anywhere. It neither clears nor writes shared files (the other tasks run at the same time); the
     * submitter checked the directory beforehand ({@link #checkOutputForArray}).
     */
    private Progress startTask(Path dir, Map<String, String> settings, ArrayTask task) {
        if (!Files.isDirectory(dir)) {
            throw new LcmException("--output " + dir + " is not a directory; array tasks expect the directory the submission prepared");
        }
        Map<Integer, ShardCounts> done = new TreeMap<>();
        Manifest.Content m = Manifest.read(dir);
        if (m != null) {
            checkSameSettings(Manifest.path(dir), m.settings(), settings);
            done.putAll(m.shards());
        }
        Path ownFile = Manifest.taskPath(dir, task.index(), task.count());
        Manifest.Content own = new Manifest.Content(settings, new TreeMap<>());
        for (Path f : Manifest.taskFiles(dir)) {
            Manifest.Content t = Manifest.readFile(f);
            if (t == null) continue;
            checkSameSettings(f, t.settings(), settings);
            done.putAll(t.shards());
            if (f.equals(ownFile)) own.shards().putAll(t.shards()); // an earlier attempt of this same task
        }
        return new Progress(m, done, own);
    }

    /**
     * Before an array is submitted: refuses a file or a foreign dataset at {@code dir} as a local run would, or with
     * {@code overwrite} clears the previous dataset (once, here: the tasks must not clear each other's work).
     */
    public static void checkOutputForArray(Path dir, boolean overwrite) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new LcmException("--output " + dir + " is a file; pass a directory");
        }
        if (overwrite) clear(dir);
        if (Manifest.read(dir) == null && Manifest.taskFiles(dir).isEmpty() && !parquetFiles(dir).isEmpty()) {
            throw new LcmException(dir + " already holds parquet files not written by a prepare run (no "
                    + Manifest.FILE + "); choose another --output, or --overwrite to replace them");
        }
    }

    private int existingDim(Path file) {
        DataColumns c = null;
        Path card = opt.output().resolve("datacard.yaml");
        if (Files.isRegularFile(card)) {
            try {
                c = DatacardRegistry.parse(card).get(0).columns();
            } catch (LcmException e) {
                c = null;
            }
        }
        if (c == null) c = columns();
        try (LcmParquetReader r = LcmParquetReader.open(file, c, 0)) {
            for (int g = 0; g < r.rowGroupCount() && r.dim() == 0; g++) r.readRowGroup(g);
            return r.dim();
        } catch (LcmException e) {
            return -1; // not an LCM file we can read: reported as foreign files by the caller
        }
    }

    private static List<Path> parquetFiles(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes {@code *.tmp-PID} files that a killed run left behind. */
    private static void deleteTemporaries(Path dir) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().matches(".*\\.tmp-\\d+$")).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new LcmException("cannot clean temporary files in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code name}, an entry of a dataset directory, is part of a prepared dataset: the split directories, the
     * manifest, the array tasks' files, the datacard and the sentence bank (it belongs to the dataset it was built
     * from). --overwrite removes these and nothing else.
     */
    public static boolean isDatasetEntry(String name) {
        return name.startsWith("split=") || name.equals(Manifest.FILE) || name.equals(Manifest.TASKS_DIR)
                || name.equals("datacard.yaml") || name.equals(SentenceBank.FILE_NAME);
    }

    /** --overwrite: removes what a previous dataset put there ({@link #isDatasetEntry}), nothing else. */
    private static void clear(Path dir) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> top = Files.list(dir)) {
            for (Path p : top.toList()) {
                if (isDatasetEntry(p.getFileName().toString())) FileTrees.deleteTree(p);
            }
        } catch (IOException e) {
            throw new LcmException("cannot clear " + dir + " for --overwrite: " + e.getMessage(), e);
        }
    }
}
