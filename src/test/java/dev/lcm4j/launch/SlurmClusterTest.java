package dev.lcm4j.launch;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.testing.TinyEvaluation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code launcher=submitit}, {@code prepare --launcher submitit} and {@code evaluate --launcher submitit} against a
 * real SLURM: the one-node cluster of {@code scripts/slurm-local.sh} (started here when it is not running, and stopped
 * again afterwards). Where it cannot start (not root, no packages) the tests that need it are skipped with the
 * script's reason; the checks of bad input that need no cluster run anyway. The CLI runs as a separate JVM, as {@code ./lcm} would, so that the
 * jobs run the same java, class path and environment.
 */
@Tag("slow")
class SlurmClusterTest {
    static final Path SCRIPT = Paths.get("scripts", "slurm-local.sh").toAbsolutePath();
    static final Path RECIPES = Paths.get("recipes").toAbsolutePath();
    static final Pattern SUBMITTED = Pattern.compile("submitted SLURM (?:array )?job (\\d+)");
    static String clusterProblem; // null: up
    static boolean startedHere;
    @TempDir static Path tmp;
    static Path synth;

    @BeforeAll
    static void setUp() throws Exception {
        synth = tmp.resolve("synth");
        SyntheticData.write(synth, "slurmsynth", 300, 16, 0); // ./lcm data synth --docs 300 --dim 16
        boolean running = run(List.of(SCRIPT.toString(), "status"), 30).code() == 0;
        if (running) return;
        Outcome start = run(List.of(SCRIPT.toString(), "start"), 600);
        if (start.code() != 0) {
            clusterProblem = start.out().strip().isEmpty() ? "slurm-local.sh start exited with " + start.code() : start.out().strip();
            System.out.println("SlurmClusterTest: no SLURM cluster (" + clusterProblem + "); the tests that need one are skipped");
        } else {
            startedHere = true;
            System.out.println("SlurmClusterTest: " + start.out().strip());
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (startedHere) System.out.println("SlurmClusterTest: " + run(List.of(SCRIPT.toString(), "stop"), 60).out().strip());
    }

    static void assumeCluster() {
        Assumptions.assumeTrue(clusterProblem == null, () -> "no SLURM cluster: " + clusterProblem);
    }

    record Outcome(int code, String out, double seconds) {
    }

    static Outcome run(List<String> cmd, long timeoutS) throws IOException, InterruptedException {
        return run(cmd, Map.of(), timeoutS);
    }

    static Outcome run(List<String> cmd, Map<String, String> env, long timeoutS) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(tmp.toFile());
        pb.environment().putAll(env);
        Path log = Files.createTempFile(tmp, "out", ".txt");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(cmd.get(Math.min(cmd.size() - 1, 5)) + " did not finish in " + timeoutS + " s: " + Files.readString(log));
        }
        return new Outcome(p.exitValue(), Files.readString(log), (System.nanoTime() - t0) / 1e9);
    }

    /** {@code ./lcm ARGS} in a fresh JVM (1 GB heap: the jobs' JVMs copy its options) with the synthetic datacard found. */
    static Outcome lcm(List<String> args, Map<String, String> extraEnv, long timeoutS) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), "dev.lcm4j.cli.Main"));
        cmd.addAll(args);
        Map<String, String> env = new HashMap<>(Map.of("LCM_CARDS_PATH", synth.toString(), "OMP_WAIT_POLICY", "PASSIVE",
                "LCM4J_HOME", RECIPES.getParent().toString()));
        env.putAll(extraEnv);
        return run(cmd, env, timeoutS);
    }

    static List<String> trainArgs(Path out, int maxSteps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--recipes", RECIPES.toString(), "launcher=submitit", "+pretrain=mse",
                "++trainer.output_dir=" + out, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: slurmsynth=train}]", "++trainer.validation_data=[{name: slurmsynth=validation}]",
                "++trainer.dtype=torch.float32", "++trainer.max_steps=" + maxSteps, "++trainer.num_lr_warmup_steps=2",
                "++trainer.lr=0.003", "++trainer.validate_every_n_steps=" + maxSteps,
                "++trainer.data_loading_config.max_tokens=200", "++trainer.data_loading_config.nb_epochs=1000",
                // a 2-task job that fits the 2-core test node: no GPUs, no memory request
                "++trainer.requirements.nodes=1", "++trainer.requirements.tasks_per_node=2", "++trainer.requirements.gpus_per_node=0",
                "++trainer.requirements.cpus_per_task=1", "++trainer.requirements.mem_gb=0", "++trainer.requirements.timeout_min=10",
                "++launcher.partition=debug"));
        a.addAll(List.of(extra));
        return a;
    }

    static String jobId(String out) {
        Matcher m = SUBMITTED.matcher(out);
        assertTrue(m.find(), "no job id in: " + out);
        return m.group(1);
    }

    static List<Double> trainLosses(Path out) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (line.contains("\"run\": \"Train\"")) losses.add(Double.parseDouble(line.replaceAll(".*\"loss\": ([^,}]+).*", "$1")));
        }
        return losses;
    }

    @Test
    void twoTaskTrainingJob() throws Exception {
        assumeCluster();
        Path out = tmp.resolve("train2");
        Outcome o = lcm(trainArgs(out, 4, "++trainer.checkpoint_every_n_steps=2", "++trainer.save_model_every_n_steps=2",
                "++trainer.publish_metrics_every_n_steps=1", "--wait"), Map.of(), 600);
        String job = jobId(o.out());
        System.out.printf("SlurmClusterTest: training job %s (2 tasks, 4 steps) finished in %.1f s%n", job, o.seconds());
        assertEquals(0, o.code(), o.out());
        assertTrue(o.out().contains("slurm: training job " + job + " COMPLETED"), o.out());
        Path logs = out.resolve("executor_logs");
        String log = Files.readString(logs.resolve(job + ".log"));
        assertTrue(log.contains("rank 0 of 2 joined") && log.contains("rank 1 of 2 joined"), log);
        String script = Files.readString(logs.resolve(job + "_submission.sbatch"));
        assertTrue(script.contains("#SBATCH --ntasks-per-node=2\n") && script.contains("#SBATCH --signal=USR1@90\n"), script);
        String state = Files.readString(out.resolve("checkpoints/step_4/trainer_state.yaml"));
        assertTrue(state.contains("world_size: 2"), state);
        List<Double> losses = trainLosses(out);
        assertEquals(4, losses.size(), losses.toString());
        assertTrue(losses.get(3) < losses.get(0), "the loss falls: " + losses);
    }

    @Test
    void preemptionWarningCheckpointsRequeuesAndResumes() throws Exception {
        assumeCluster();
        Path out = tmp.resolve("preempt");
        Outcome submitted = lcm(trainArgs(out, 1500, "++trainer.checkpoint_every_n_steps=1000", "++trainer.save_model_every_n_steps=1000",
                "++trainer.publish_metrics_every_n_steps=50"), Map.of(), 120);
        assertEquals(0, submitted.code(), submitted.out());
        String job = jobId(submitted.out());
        Slurm slurm = Slurm.fromEnvironment();
        long t0 = System.nanoTime();
        // SLURM's warning as --signal=USR1@90 would send it, once the workers train
        waitFor(() -> Files.isRegularFile(out.resolve("metrics.jsonl")) && !trainLosses(out).isEmpty(), 300,
                "training to reach step 50 in job " + job);
        assertEquals(0, run(List.of("scancel", "--signal=USR1", job), 30).code());
        waitFor(() -> slurm.show(job).get(0).restarts() == 1, 120, "job " + job + " to be requeued");
        String log = Files.readString(out.resolve("executor_logs/" + job + ".log"));
        Matcher m = Pattern.compile("stopped at step (\\d+) for a preemption warning; requeueing SLURM job " + job).matcher(log);
        assertTrue(m.find(), log);
        int step = Integer.parseInt(m.group(1));
        assertTrue(step >= 50 && step < 1500, log);
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step_" + step)), "a checkpoint of the step it stopped at");
        // a requeued job waits about two minutes before it may start again (its begin time, set once it is back in
        // the queue); the test waits less, but not zero: slurmd refuses to launch a job whose credential was made in
        // the same second as the kill of its previous run ("Job credential revoked"), which fails the job
        waitFor(() -> "PENDING".equals(slurm.show(job).get(0).state()), 120, "job " + job + " to be pending again");
        Outcome release = run(List.of("scontrol", "update", "JobId=" + job, "StartTime=now+5"), 30);
        assertEquals(0, release.code(), release.out());
        waitFor(() -> slurm.show(job).get(0).finished(), 400, "job " + job + " to finish after its requeue");
        Slurm.JobState s = slurm.show(job).get(0);
        System.out.printf("SlurmClusterTest: job %s stopped at step %d, requeued, resumed, finished in %.1f s%n", job, step,
                (System.nanoTime() - t0) / 1e9);
        log = Files.readString(out.resolve("executor_logs/" + job + ".log"));
        assertEquals("COMPLETED", s.state(), "job " + job + " " + s + "; its log:\n" + log);
        assertTrue(log.contains("resuming " + out + " from step " + step), log);
        assertTrue(log.contains("trained to step 1500"), log);
        assertTrue(Files.readString(out.resolve("checkpoints/step_1500/trainer_state.yaml")).contains("world_size: 2"));
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void waitFor(Condition c, int seconds, String what) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!c.holds()) {
            if (System.nanoTime() > end) fail("waited " + seconds + " s for " + what);
            Thread.sleep(500);
        }
    }

    static List<String> prepareArgs(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("prepare", "--input", "europarl", "--lang", "eng_Latn", "--max-docs", "40",
                "--shard-size", "10", "--output", out.toString(), "--name", "slurm_ep"));
        a.addAll(List.of(extra));
        return a;
    }

    static final String[] ARRAY = {"--launcher", "submitit", "--nshards", "2", "--cpus-per-task", "1", "--partition", "debug", "--wait"};

    /** Every file of a dataset directory but the SLURM scripts and logs, by relative path. */
    static Map<String, byte[]> dataset(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (!rel.startsWith("executor_logs/")) files.put(rel, Files.readAllBytes(p));
            }
        }
        return files;
    }

    static void assertSameDataset(Path expected, Path actual) throws IOException {
        Map<String, byte[]> a = dataset(expected), b = dataset(actual);
        assertEquals(a.keySet(), b.keySet());
        assertTrue(a.keySet().stream().anyMatch(k -> k.endsWith(".parquet")) && a.containsKey("datacard.yaml")
                && a.containsKey("sentence_bank.bin"), a.keySet().toString());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k + " differs");
    }

    static Path localPrepare() throws Exception {
        Path local = tmp.resolve("prep_local");
        if (!Files.isDirectory(local)) {
            Cli.Outcome o = Cli.exec(prepareArgs(local));
            assertEquals(0, o.code(), o.err());
        }
        return local;
    }

    @Test
    void prepareArrayEqualsALocalPrepare() throws Exception {
        assumeCluster();
        Path local = localPrepare();
        Path array = tmp.resolve("prep_array");
        Outcome o = lcm(prepareArgs(array, ARRAY), Map.of(), 600);
        System.out.printf("SlurmClusterTest: prepare array job %s (2 tasks + merge) finished in %.1f s%n", jobId(o.out()), o.seconds());
        assertEquals(0, o.code(), o.out());
        assertTrue(o.out().contains("[task 0] array task 0 of 2: 2 of 4 shards are this task's; 2 prepared now"), o.out());
        assertTrue(o.out().contains("[task 1] array task 1 of 2: 2 of 4 shards are this task's; 2 prepared now"), o.out());
        assertTrue(o.out().contains("[merge] prepared slurm_ep with all_minilm_l6_v2_q (dim 384): 4 shards (4 resumed)"), o.out());
        assertSameDataset(local, array);
    }

    @Test
    void aFailedPrepareTaskIsResubmittedAndRedoesOnlyItsShards() throws Exception {
        assumeCluster();
        Path local = localPrepare();
        Path array = tmp.resolve("prep_retry");
        // shard 1 (task 1's first) cannot be renamed into place: a directory holds its name
        Path blocker = Files.createDirectories(array.resolve("split=train/part-00001.parquet/blocker"));
        Outcome failed = lcm(prepareArgs(array, ARRAY), Map.of(), 600);
        String first = jobId(failed.out());
        assertEquals(2, failed.code(), failed.out());
        assertTrue(failed.out().contains("slurm: array job " + first + "_1 ended FAILED (exit code 2:0)"), failed.out());
        assertTrue(failed.out().contains("CANCELLED"), "the merge job is cancelled: " + failed.out());
        assertFalse(Files.exists(array.resolve("datacard.yaml")));
        Files.delete(blocker);
        Files.delete(blocker.getParent());

        Outcome again = lcm(prepareArgs(array, ARRAY), Map.of(), 600);
        System.out.printf("SlurmClusterTest: prepare array job %s failed a task; resubmission %s finished in %.1f s%n", first,
                jobId(again.out()), again.seconds());
        assertEquals(0, again.code(), again.out());
        assertTrue(again.out().contains("[task 0] array task 0 of 2: 2 of 4 shards are this task's; 0 prepared now, 2 already done"), again.out());
        assertTrue(again.out().contains("[task 1] array task 1 of 2: 2 of 4 shards are this task's; 2 prepared now, 0 already done"), again.out());
        assertSameDataset(local, array);
    }

    @Test
    void twoShardEvaluateJobWritesWhatOneProcessWrites() throws Exception {
        assumeCluster();
        Path data = tmp.resolve("evalsynth"), model = tmp.resolve("evalmodel");
        TinyEvaluation.build(data, "evalsynth", model);
        Path one = tmp.resolve("eval_one"), job = tmp.resolve("eval_job");
        Cli.Outcome local = Cli.exec(TinyEvaluation.evaluate(data, model, one));
        assertEquals(0, local.code(), local.err());
        // 2 tasks of 1 core each: the 2-core test node runs them at once
        Outcome o = lcm(TinyEvaluation.evaluate(data, model, job, "--launcher", "submitit", "--job_args", "{\"nshards\": 2,"
                + " \"launcher.partition\": \"debug\", \"requirements\": {\"cpus_per_task\": 1, \"timeout_min\": 10}}", "--wait"), Map.of(), 300);
        String id = jobId(o.out());
        System.out.printf("SlurmClusterTest: evaluation job %s (2 shards) finished in %.1f s%n", id, o.seconds());
        assertEquals(0, o.code(), o.out());
        assertTrue(o.out().contains("submitted SLURM job " + id + " (lcm_eval_eval_job: 1 node x 2 tasks, one shard each, partition debug)"), o.out());
        assertTrue(o.out().contains("slurm: evaluation job " + id + " COMPLETED"), o.out());
        // srun --label: each task's lines start with its rank; each task is one shard of the srun step
        assertTrue(o.out().contains("0: ") && o.out().contains("rank 0 of 2 joined the process group") && o.out().contains("(slurm)"), o.out());
        assertTrue(o.out().contains("1: ") && o.out().contains("rank 1 of 2 joined the process group"), o.out());
        String script = Files.readString(job.resolve("executor_logs/" + id + "_submission.sbatch"));
        assertTrue(script.contains("#SBATCH --ntasks-per-node=2\n") && script.contains("#SBATCH --partition=debug\n"), script);
        assertFalse(script.contains("--wait"), script);
        TinyEvaluation.assertSameOutputs(one, job);
    }

    @Test
    void unknownPartitionIsSlurmsOwnErrorLine() throws Exception {
        assumeCluster();
        Path out = tmp.resolve("badpart");
        List<String> args = new ArrayList<>(trainArgs(out, 4));
        args.add("++launcher.partition=nope");
        Cli.Outcome o = Cli.exec(args);
        Cli.assertUserError(o, "sbatch refused the job: ", "Invalid partition name specified");
        assertFalse(Files.exists(out), "a refused job leaves no folders behind");
        Path data = tmp.resolve("badpart_prep");
        Cli.Outcome p = Cli.exec(prepareArgs(data, "--launcher", "submitit", "--partition", "nope"));
        Cli.assertUserError(p, "sbatch refused the job: ", "Invalid partition name specified");
        assertFalse(Files.exists(data));
    }

    @Test
    void withoutSbatchOnPathNothingIsWritten() throws Exception {
        Path emptyBin = Files.createDirectories(tmp.resolve("nobin"));
        Map<String, String> env = Map.of("PATH", emptyBin.toString());
        Path out = tmp.resolve("nosbatch");
        Outcome t = lcm(trainArgs(out, 4), env, 120);
        assertEquals(2, t.code(), t.out());
        List<String> errors = t.out().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(List.of("error: sbatch not found on PATH: submitting to SLURM needs its client commands (run on a SLURM "
                + "login node, or install slurm-client); use launcher=standalone to train on this machine"), errors, t.out());
        Path data = tmp.resolve("nosbatch_prep");
        Outcome p = lcm(prepareArgs(data, "--launcher", "submitit", "--nshards", "2"), env, 120);
        assertEquals(2, p.code(), p.out());
        assertTrue(p.out().contains("error: sbatch not found on PATH") && p.out().contains("use --launcher standalone"), p.out());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(data));
    }

    @Test
    void badShardCounts() {
        Path data = tmp.resolve("zero");
        Cli.assertUserError(Cli.exec(prepareArgs(data, "--launcher", "submitit", "--nshards", "0")), "--nshards must be at least 1, got 0");
        Cli.assertUserError(Cli.exec(prepareArgs(data, "--nshards", "2")), "--nshards splits the work over a SLURM array; it needs --launcher submitit");
        Cli.assertUserError(Cli.exec(prepareArgs(data, "--launcher", "pbs")), "--launcher must be standalone or submitit");
        assertFalse(Files.exists(data));
    }
}
