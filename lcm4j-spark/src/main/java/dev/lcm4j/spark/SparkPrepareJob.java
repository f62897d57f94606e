package dev.lcm4j.spark;

import dev.lcm4j.LcmException;
import dev.lcm4j.cli.PrepareCommand;
import dev.lcm4j.concepts.retrieval.SentenceBank;
import dev.lcm4j.io.FileTrees;
import dev.lcm4j.prepare.DocumentSource;
import dev.lcm4j.prepare.PrepareOptions;
import dev.lcm4j.prepare.Preparer;
import dev.lcm4j.prepare.SourceDocument;
import dev.lcm4j.prepare.SourceSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.TaskCompletionListener;
import scala.Tuple2;

/**
 * {@code ./lcm prepare --engine spark}: the dataset of {@code ./lcm prepare}, prepared by Spark tasks.
 *
 * <ol>
 *   <li>Read stage, one task per input file: the core's reader of the format streams the file from its Hadoop file
 *   system and the core's rule ({@link Preparer#verdict}) keeps or skips each document, as a local run does.</li>
 *   <li>The driver numbers the kept documents in input order (files by relative path, then file order) from the
 *   per-file counts; kept document {@code i} belongs to shard {@code i / --shard-size}, as in a local run.</li>
 *   <li>Prepare stage, one task per shard: {@link Preparer#prepareShard} splits, embeds (token-budgeted batches,
 *   one encoder per executor JVM) and writes the shard's {@code split=S/part-XXXXX.parquet} files in a local staging
 *   directory; the task then copies each file next to its final name and renames it over that name. A retried or
 *   speculative attempt writes the same bytes under the same names, so retries neither lose nor duplicate documents.</li>
 *   <li>The driver writes the same {@code datacard.yaml} as a local run, then the sentence bank as a separate step.</li>
 * </ol>
 * No {@code prepare_manifest.json}: Spark retries failed tasks itself, and a rerun starts afresh ({@code --overwrite}).
 */
final class SparkPrepareJob {
    /** Test only: the shard whose first attempt fails after committing its first file (a retry must repair it). */
    static final String FAIL_FIRST_ATTEMPT_OF_SHARD = "lcm4j.spark.failFirstAttemptOfShard";

    private final PrepareCommand cmd;
    /** Wall-clock seconds of each phase, printed at the end (where the time of a run goes, next to a local run's). */
    private final Map<String, Double> phases = new LinkedHashMap<>();

    SparkPrepareJob(PrepareCommand cmd) {
        this.cmd = cmd;
    }

    int run() {
        PrepareOptions driverOptions = cmd.options(1); // checks every option before Spark starts
        cmd.newSplitter();
        SparkConf sparkConf = new SparkConf().setAppName("lcm4j prepare " + driverOptions.name()).set("spark.ui.enabled", "false");
        String master = master();
        if (master != null) sparkConf.setMaster(master);
        if (master != null && master.startsWith("local")) {
            // one machine: no host name lookup (and its warning about which interface Spark binds)
            sparkConf.set("spark.driver.host", "localhost").set("spark.driver.bindAddress", "127.0.0.1");
        }
        // input and output are checked before Spark starts: a bad path is one quick error line, and nothing is written
        SourceSpec spec = driverOptions.source();
        Configuration checkConf = hadoopConfiguration(sparkConf);
        List<InputFile> files = InputFile.list(spec, checkConf);
        files.get(0).checkReadable(spec, checkConf);
        Output out = Output.locate(cmd.outputLocation(), checkConf);
        if (cmd.bank() && !out.local()) {
            throw new LcmException("--output " + out.location() + " is not a local directory, where the sentence bank is built; "
                    + "pass --no-bank (then build it with ./lcm bank build on a local copy of the dataset)");
        }
        out.checkOrClear(driverOptions.overwrite());
        long t0 = System.nanoTime();
        SparkSession spark = SparkSession.builder().config(sparkConf).getOrCreate();
        phases.put("spark start", seconds(t0));
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            sc.setLogLevel("WARN");
            int threadsPerTask = Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
            System.out.printf("spark: master %s, %d input file%s, %d thread%s per task%n", sc.master(), files.size(),
                    files.size() == 1 ? "" : "s", threadsPerTask, threadsPerTask == 1 ? "" : "s");
            return prepare(sc, files, out, driverOptions, threadsPerTask);
        } finally {
            spark.stop();
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Hadoop's configuration with Spark's {@code spark.hadoop.*} settings, as Spark gives it to its own jobs. */
    private static Configuration hadoopConfiguration(SparkConf sparkConf) {
        Configuration c = new Configuration();
        for (Tuple2<String, String> e : sparkConf.getAll()) {
            if (e._1().startsWith("spark.hadoop.")) c.set(e._1().substring("spark.hadoop.".length()), e._2());
        }
        return c;
    }

    /** --spark-master, else spark-submit's master, else local[--threads or all cores]. */
    private String master() {
        if (cmd.sparkMaster() != null) {
            if (cmd.threads() != null) {
                throw new LcmException("--threads sets the N of local[N] and --spark-master " + cmd.sparkMaster() + " names the "
                        + "master already: drop --threads (on a cluster set --executor-cores and spark.task.cpus instead)");
            }
            return cmd.sparkMaster();
        }
        if (System.getProperty("spark.master") != null) {
            if (cmd.threads() != null) {
                throw new LcmException("--threads sets the N of local[N]; under spark-submit set --executor-cores and spark.task.cpus instead");
            }
            return null; // spark-submit's --master
        }
        return "local[" + (cmd.threads() != null ? cmd.threads() : Runtime.getRuntime().availableProcessors()) + "]";
    }

    private int prepare(JavaSparkContext sc, List<InputFile> files, Output out, PrepareOptions opt, int threadsPerTask) {
        List<String> args = cmd.args();
        HadoopConf conf = new HadoopConf(sc.hadoopConfiguration());
        long maxDocs = opt.maxDocs();
        int shardSize = opt.shardSize();

        // 1. read: every file once, in parallel
        long t0 = System.nanoTime();
        JavaRDD<ReadRecord> read = sc.parallelize(files, files.size())
                .flatMap(f -> new FileReader(f, args, conf.get()));
        read.persist(StorageLevel.MEMORY_AND_DISK());
        List<ReadRecord> summaries = new ArrayList<>(read.filter(ReadRecord::summary).collect());
        summaries.sort(Comparator.comparingInt(ReadRecord::file));

        // 2. number the kept documents in input order
        long[] start = new long[files.size()];
        long keptInInput = 0;
        for (ReadRecord s : summaries) {
            start[s.file()] = keptInInput;
            keptInInput += s.keptBefore();
        }
        long kept = maxDocs > 0 ? Math.min(keptInInput, maxDocs) : keptInInput;
        Map<Preparer.Verdict, Long> skipped = read
                .filter(r -> !r.summary() && !r.kept() && (maxDocs == 0 || start[r.file()] + r.keptBefore() < maxDocs))
                .map(ReadRecord::verdict).countByValue();
        long empty = skipped.getOrDefault(Preparer.Verdict.EMPTY, 0L);
        long otherLanguage = skipped.getOrDefault(Preparer.Verdict.OTHER_LANGUAGE, 0L);
        if (kept == 0) {
            read.unpersist();
            throw Preparer.noDocuments(opt, empty, otherLanguage);
        }
        Map<String, Long> counters = counters(files, summaries, start, maxDocs);
        phases.put("read and number", seconds(t0));
        t0 = System.nanoTime();

        // 3. prepare: one task per shard, its documents in input order
        int shards = (int) ((kept + shardSize - 1) / shardSize);
        int failShard = Integer.getInteger(FAIL_FIRST_ATTEMPT_OF_SHARD, -1);
        String dataset = out.location();
        JavaPairRDD<Long, SourceDocument> numbered = read.filter(ReadRecord::kept)
                .mapToPair(r -> new Tuple2<>(start[r.file()] + r.keptBefore(), r.document()))
                .filter(t -> maxDocs == 0 || t._1() < maxDocs);
        List<ShardResult> results;
        try {
            results = numbered.repartitionAndSortWithinPartitions(new ShardPartitioner(shards, shardSize))
                    .mapPartitionsWithIndex((shard, docs) -> List.of(prepareShard(shard, docs, args, threadsPerTask, dataset,
                            conf.get(), failShard)).iterator(), true)
                    .collect();
        } catch (Exception e) { // SparkException is checked in Java's eyes but not declared by collect()
            // nothing half-written: once the other tasks of the failed job have stopped, this run's shards go
            awaitNoRunningTasks(sc);
            out.removeDataset();
            throw e;
        } finally {
            read.unpersist();
        }

        phases.put("prepare shards", seconds(t0));
        t0 = System.nanoTime();

        // 4. the datacard of a local run, from the shards' counts
        ShardResult any = results.get(0);
        Preparer.Result result = Preparer.totals(out.localDatacard(), results.stream().map(ShardResult::counts).toList(),
                shards, 0, empty, otherLanguage, counters);
        Preparer.writeDatacard(result, opt, any.encoderName(), any.encoderDim());
        out.publishDatacard(result.datacard());
        PrepareCommand.printSplits(result);
        System.out.printf("prepared %s with %s (dim %d) on Spark: %d shards, %d empty documents skipped%s; datacard %s%n",
                opt.name(), any.encoderName(), any.encoderDim(), shards, empty,
                opt.languageFilter() ? ", " + otherLanguage + " not " + opt.lang() : "", out.datacardLocation());

        phases.put("datacard", seconds(t0));

        // 5. the sentence bank, a separate step on the driver (it reads the dataset back)
        if (cmd.bank()) {
            t0 = System.nanoTime();
            java.nio.file.Path dir = out.localDir();
            java.nio.file.Path file = SentenceBank.build(dir);
            System.out.printf("sentence bank %s (decode with --decoder bank:%s)%n", file, dir);
            phases.put("sentence bank", seconds(t0));
        }
        StringBuilder line = new StringBuilder("spark phases (s):");
        phases.forEach((k, v) -> line.append(String.format(" %s %.1f;", k, v)));
        System.out.println(line.substring(0, line.length() - 1));
        return 0;
    }

    /**
     * Waits (up to a minute) until no task runs: when a job fails, Spark reports it at once and asks the other running
     * tasks to stop, and they stop at their next check ({@link #prepareShard} checks before committing each file).
     */
    private static void awaitNoRunningTasks(JavaSparkContext sc) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean running = false;
            for (var e : sc.statusTracker().getExecutorInfos()) running |= e.numRunningTasks() > 0;
            if (!running) return;
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The anomaly counters a local run reports: a single source's own (read until --max-docs stopped it); for a
     * directory, those of the files it read to their end, summed by name.
     */
    private static Map<String, Long> counters(List<InputFile> files, List<ReadRecord> summaries, long[] start, long maxDocs) {
        if (files.get(0).label().isEmpty()) return new LinkedHashMap<>(summaries.get(0).counters());
        Map<String, Long> sum = new TreeMap<>();
        for (ReadRecord s : summaries) {
            boolean readToEnd = maxDocs == 0 || start[s.file()] + s.keptBefore() < maxDocs;
            if (readToEnd) s.counters().forEach((k, v) -> sum.merge(k, v, Long::sum));
        }
        return sum;
    }

    /** The prepare task of one shard: prepares it in a staging directory, then commits its files by rename. */
    private static ShardResult prepareShard(int shard, Iterator<Tuple2<Long, SourceDocument>> numbered, List<String> args,
                                            int threadsPerTask, String dataset, Configuration conf, int failShard) throws IOException {
        List<SourceDocument> docs = new ArrayList<>();
        while (numbered.hasNext()) docs.add(numbered.next()._2());
        ExecutorPipeline pipeline = ExecutorPipeline.get(args, threadsPerTask);
        java.nio.file.Path staging = Files.createTempDirectory("lcm4j-shard-" + shard + "-");
        try {
            Preparer.ShardCounts counts = pipeline.preparer.prepareShard(shard, docs, staging);
            TaskContext task = TaskContext.get();
            Path dir = new Path(dataset);
            FileSystem fs = Output.fileSystem(dir, conf);
            int committed = 0;
            for (String split : counts.documents().keySet()) {
                String name = Preparer.partFileName(split, shard);
                Path target = new Path(dir, name);
                task.killTaskIfInterrupted(); // the job failed elsewhere (or this attempt lost a speculative race): stop
                // the core's leftover pattern (*.tmp-N): a local run on this directory removes what a killed task left
                Path temporary = new Path(dir, name + ".tmp-" + task.taskAttemptId());
                fs.mkdirs(target.getParent());
                fs.copyFromLocalFile(false, true, new Path(Preparer.partFile(staging, split, shard).toUri()), temporary);
                if (fs.exists(target)) fs.delete(target, false); // an earlier attempt's identical file
                if (!fs.rename(temporary, target)) throw new IOException("cannot rename " + temporary + " to " + target);
                committed++;
                if (shard == failShard && task.attemptNumber() == 0 && committed == 1) {
                    throw new IllegalStateException("injected failure of the first attempt of shard " + shard
                            + " after committing " + name + " (" + FAIL_FIRST_ATTEMPT_OF_SHARD + ")");
                }
            }
            return new ShardResult(counts, pipeline.encoderName(), pipeline.encoderDim());
        } finally {
            deleteTree(staging);
        }
    }

    private static void deleteTree(java.nio.file.Path p) {
        try {
            FileTrees.deleteTree(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The read task of one file, as an iterator (a file's documents are never all in memory): a record per document
     * until the file ends or holds {@code --max-docs} kept documents (no later one can be in the dataset), then the
     * file's summary.
     */
    private static final class FileReader implements Iterator<ReadRecord> {
        private final InputFile file;
        private final PrepareOptions opt;
        private final DocumentSource source;
        private long kept;
        private ReadRecord next;
        private boolean done;

        FileReader(InputFile file, List<String> args, Configuration conf) {
            this.file = file;
            this.opt = PrepareCommand.parse(args).options(1);
            this.source = file.open(opt.source(), conf);
            TaskContext task = TaskContext.get();
            TaskCompletionListener closeFile = t -> close(); // a task that stops early (killed, failed) closes its file too
            if (task != null) task.addTaskCompletionListener(closeFile);
        }

        private void close() {
            if (!done) {
                done = true;
                source.close();
            }
        }

        @Override
        public boolean hasNext() {
            if (next == null && !done) next = advance();
            return next != null;
        }

        @Override
        public ReadRecord next() {
            if (!hasNext()) throw new NoSuchElementException();
            ReadRecord r = next;
            next = null;
            return r;
        }

        private ReadRecord advance() {
            boolean full = opt.maxDocs() > 0 && kept == opt.maxDocs();
            SourceDocument d = full ? null : source.next();
            if (d == null) {
                ReadRecord summary = new ReadRecord(file.index(), kept, null, null, new LinkedHashMap<>(source.counters()));
                close();
                return summary;
            }
            Preparer.Verdict v = Preparer.verdict(d, opt);
            ReadRecord r = new ReadRecord(file.index(), kept, v, v == Preparer.Verdict.KEPT ? d : null, null);
            if (v == Preparer.Verdict.KEPT) kept++;
            return r;
        }
    }
}
