package dev.lcm4j.launch;

import dev.lcm4j.LcmException;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * lcm4j's submitit: turns an lcm command into a SLURM job. The job runs the same command in a JVM like this one
 * (same java, JVM options and class path, which the nodes must see at the same paths, as a shared file system
 * gives), so the job's processes find themselves inside a SLURM step and do the work instead of submitting again.
 * <ul>
 *   <li>{@link #submitTraining}: one batch job whose {@code srun} starts one worker per task; the workers read their
 *       rank from SLURM's variables ({@link DistributedEnvironment}) and train data-parallel;</li>
 *   <li>{@link #submitEvaluation}: the same for {@code ./lcm evaluate}: one task per shard, each evaluating its share
 *       of every run's batches, rank 0 writing the results;</li>
 *   <li>{@link #submitArray}: an array job of N single-process tasks plus a job that runs after all of them
 *       succeeded (how {@code ./lcm prepare --launcher submitit} splits a corpus);</li>
 *   <li>{@link #requeueAfterPreemption}: what rank 0 does when the trainer stopped for SLURM's warning signal.</li>
 * </ul>
 * Each job's script is kept in its log folder as {@code <job id>_submission.sbatch}, next to its log.
 */
public final class SlurmLauncher {
    /** What {@link #submitTraining}, {@link #submitEvaluation} and {@link #submitArray} return. */
    public record Submitted(String jobId, Path script, List<SlurmJobFollower.Log> logs) {
    }

    private final Slurm slurm;
    private final PrintStream out;
    private final List<String> jvm;

    /** Jobs run this JVM's java binary, JVM options and class path. */
    public SlurmLauncher(Slurm slurm, PrintStream out) {
        this(slurm, out, LocalLauncher.currentJvm());
    }

    SlurmLauncher(Slurm slurm, PrintStream out, List<String> jvm) {
        this.slurm = slurm;
        this.out = out;
        this.jvm = List.copyOf(jvm);
    }

    /**
     * The body of a training job: each task gets its share of the cores, then {@code srun} starts one
     * {@code lcm <args>} per task ({@code --kill-on-bad-exit}: one failed rank stops the others instead of leaving
     * them waiting in a collective; {@code --label}: each log line starts with its task's rank).
     */
    public List<String> trainingBody(List<String> lcmArgs) {
        List<String> body = new ArrayList<>(SbatchScript.threadEnvironment());
        List<String> argv = new ArrayList<>(jvm);
        argv.addAll(lcmArgs);
        body.add("srun --kill-on-bad-exit=1 --label " + SbatchScript.commandLine(argv));
        return body;
    }

    /** Submits a training job running {@code lcm <lcmArgs>} in every task of {@code spec}. */
    public Submitted submitTraining(SlurmJobSpec spec, List<String> lcmArgs) {
        String comment = "written by ./lcm train (launcher=submitit); every task is one worker (rank = SLURM_PROCID)";
        return announce(submit(spec, comment, trainingBody(lcmArgs)), spec, "");
    }

    /** The variable by which a task of a job {@link #submitEvaluation} submitted knows that the job was shaped for it. */
    public static final String EVALUATION_JOB_VARIABLE = "LCM_EVALUATE_SUBMITTED";

    /**
     * The body of an evaluation job: as {@link #trainingBody}, after clearing torchrun's variables (a
     * {@code torchrun --nproc-per-node 1} around the submitting command sets {@code WORLD_SIZE=1}, which
     * {@code --export=ALL} would carry into every task and which wins over SLURM's: each task would evaluate
     * everything on its own) and marking the tasks as those of a submitted evaluation job.
     */
    public List<String> evaluationBody(List<String> lcmArgs) {
        List<String> body = new ArrayList<>(SbatchScript.threadEnvironment());
        body.add("unset RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT TORCHELASTIC_RESTART_COUNT");
        body.add("export " + EVALUATION_JOB_VARIABLE + "=1");
        List<String> argv = new ArrayList<>(jvm);
        argv.addAll(lcmArgs);
        body.add("srun --kill-on-bad-exit=1 --label " + SbatchScript.commandLine(argv));
        return body;
    }

    /**
     * Submits an evaluation job running {@code lcm <lcmArgs>} in every task of {@code spec}: each task is one shard
     * (rank = SLURM_PROCID), rank 0 merges the shards' batches and writes the results.
     */
    public Submitted submitEvaluation(SlurmJobSpec spec, List<String> lcmArgs) {
        String comment = "written by ./lcm evaluate (--launcher submitit); every task is one shard (rank = SLURM_PROCID), rank 0 writes";
        return announce(submit(spec, comment, evaluationBody(lcmArgs)), spec, ", one shard each");
    }

    /** Prints the job id, its shape, its script and its log, as every submission does. */
    private Submitted announce(Submitted s, SlurmJobSpec spec, String perTask) {
        out.printf("submitted SLURM job %s (%s: %d node%s x %d task%s%s%s)%n", s.jobId(), spec.jobName(), spec.nodes(),
                spec.nodes() == 1 ? "" : "s", spec.tasksPerNode(), spec.tasksPerNode() == 1 ? "" : "s", perTask,
                spec.partition() == null || spec.partition().isBlank() ? "" : ", partition " + spec.partition());
        out.printf("script %s%nlog %s%n", s.script(), s.logs().get(0).file());
        return s;
    }

    /**
     * Submits an array job of {@code tasks} tasks, task i running {@code lcm <taskArgs> <indexFlag> i}, then a job
     * running {@code lcm <finalArgs>} once all tasks succeeded ({@code afterok}; a failed task cancels it). When the
     * second submission is refused the array is cancelled, so nothing half-submitted stays behind. Returns the array
     * job, then the final job.
     */
    public List<Submitted> submitArray(SlurmJobSpec taskSpec, int tasks, List<String> taskArgs, String indexFlag,
                                       SlurmJobSpec finalSpec, List<String> finalArgs, String what) {
        if (tasks < 1) throw new LcmException("an array job needs at least 1 task, got " + tasks);
        List<String> argv = new ArrayList<>(jvm);
        argv.addAll(taskArgs);
        List<String> taskBody = new ArrayList<>(SbatchScript.threadEnvironment());
        // the index stays a shell variable: each task of the array expands its own
        taskBody.add("exec " + SbatchScript.commandLine(argv) + " " + indexFlag + " \"$SLURM_ARRAY_TASK_ID\"");
        Submitted array = submit(taskSpec, "written by ./lcm " + what + "; task i of the array does part i", taskBody);
        List<SlurmJobFollower.Log> taskLogs = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            taskLogs.add(new SlurmJobFollower.Log(taskSpec.logFolder().resolve(array.jobId() + "_" + i + ".log"), "[task " + i + "] "));
        }
        array = new Submitted(array.jobId(), array.script(), taskLogs);
        List<String> finalArgv = new ArrayList<>(jvm);
        finalArgv.addAll(finalArgs);
        List<String> finalBody = new ArrayList<>(SbatchScript.threadEnvironment());
        finalBody.add("exec " + SbatchScript.commandLine(finalArgv));
        Submitted last;
        try {
            last = submit(finalSpec.withDependency("afterok:" + array.jobId()),
                    "written by ./lcm " + what + "; runs once every task of array job " + array.jobId() + " succeeded", finalBody);
        } catch (LcmException e) {
            slurm.cancel(array.jobId());
            throw new LcmException(e.getMessage() + " (array job " + array.jobId() + " was cancelled)");
        }
        last = new Submitted(last.jobId(), last.script(), List.of(new SlurmJobFollower.Log(last.logs().get(0).file(), "[merge] ")));
        return List.of(array, last);
    }

    /**
     * Writes the script under a temporary name in the log folder, submits it, and renames it to
     * {@code <job id>_submission.sbatch}; a refused submission leaves nothing behind (not even the folders this call
     * created).
     */
    Submitted submit(SlurmJobSpec spec, String comment, List<String> body) {
        Path folder = spec.logFolder();
        Path existing = folder; // the deepest folder that exists already: what this call creates lies below it
        while (existing != null && !Files.isDirectory(existing)) existing = existing.getParent();
        String script = SbatchScript.render(spec, comment, body);
        Path pending = folder.resolve("pending-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".sbatch");
        try {
            Files.createDirectories(folder); // SLURM does not create the folder of --output; the job would fail
        } catch (IOException e) {
            throw new LcmException("cannot create the log folder " + folder + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeString(pending, script);
        String jobId;
        try {
            jobId = slurm.submit(pending, List.of());
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(pending);
                for (Path d = folder; d != null && !d.equals(existing); d = d.getParent()) deleteIfEmpty(d);
            } catch (IOException ignored) {
                // the refusal is what the user needs to hear about
            }
            throw e;
        }
        Path kept = folder.resolve(jobId + "_submission.sbatch");
        try {
            AtomicFiles.move(pending, kept);
        } catch (IOException e) {
            kept = pending; // the job is submitted; its script just keeps the temporary name
        }
        Path log = folder.resolve(spec.logName().replace("%j", jobId).replace("%A", jobId));
        return new Submitted(jobId, kept, List.of(new SlurmJobFollower.Log(log, "")));
    }

    private static void deleteIfEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isEmpty()) Files.delete(dir);
        }
    }

    /** Follows submitted jobs to their end ({@code --wait}): their logs are printed as they grow; returns the exit status. */
    public int follow(List<SlurmJobFollower.Watched> jobs) {
        out.println("following " + String.join(", ", jobs.stream().map(w -> w.label() + " " + w.jobId()).toList())
                + " (Ctrl-C stops following, not the job" + (jobs.size() > 1 ? "s" : "") + ")");
        return new SlurmJobFollower(slurm, out, Duration.ofSeconds(1)).follow(jobs);
    }

    /**
     * After the trainer stopped for SLURM's warning signal: rank 0 puts the job back in the queue, so that it starts
     * again and resumes from the checkpoint just written, at most {@code maxRequeues} times
     * ({@code trainer.requirements.max_num_timeout}). Outside SLURM it only says how to resume. Returns whether the
     * job was requeued.
     */
    public boolean requeueAfterPreemption(DistributedEnvironment dist, Map<String, String> env, int maxRequeues, long step) {
        String jobId = env.get("SLURM_JOB_ID");
        if (!"slurm".equals(dist.source()) || jobId == null) {
            out.printf("stopped at step %d for a preemption warning, with a checkpoint; run the same command to resume%n", step);
            return false;
        }
        if (!dist.isMain()) return false;
        if (dist.restartCount() >= maxRequeues) {
            out.printf("stopped at step %d for a preemption warning; not requeued: job %s was requeued %d times already "
                    + "(trainer.requirements.max_num_timeout=%d); submit the same command again to resume%n",
                    step, jobId, dist.restartCount(), maxRequeues);
            return false;
        }
        out.printf("stopped at step %d for a preemption warning; requeueing SLURM job %s (restart %d of at most %d); "
                + "it resumes from the step %d checkpoint%n", step, jobId, dist.restartCount() + 1, maxRequeues, step);
        out.flush();
        slurm.requeue(jobId);
        return true;
    }
}
