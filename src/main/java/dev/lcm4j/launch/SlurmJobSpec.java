package dev.lcm4j.launch;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.config.RequirementsConfig;
import java.nio.file.Path;

/**
 * The shape of one SLURM batch job: what becomes its {@code #SBATCH} lines ({@link SbatchScript#render}).
 *
 * @param jobName       {@code --job-name}
 * @param nodes         {@code --nodes}
 * @param tasksPerNode  {@code --ntasks-per-node}: one process (one rank) per task
 * @param gpusPerNode   {@code --gpus-per-node}, left out when 0 (a CPU cluster rejects any GPU request)
 * @param cpusPerTask   {@code --cpus-per-task}
 * @param memGb         {@code --mem=<memGb>G} per node, left out when 0 (the partition's default)
 * @param timeoutMin    {@code --time} in minutes
 * @param constraint    {@code --constraint}, left out when null or blank
 * @param partition     {@code --partition}, left out when null or blank (the cluster's default partition)
 * @param qos           {@code --qos}, left out when null or blank
 * @param account       {@code --account}, left out when null or blank
 * @param logFolder     where {@code --output} / {@code --error} go (created before submission: SLURM does not create it)
 * @param logName       the log file's name pattern in {@code logFolder}, e.g. {@code %j.log} or {@code %A_%a.log}
 * @param workDir       {@code --chdir}: relative paths of the command mean what they meant where it was submitted
 * @param array         {@code --array} (e.g. {@code 0-3}), null for a single job
 * @param dependency    {@code --dependency} (e.g. {@code afterok:12}), null for none; with it the job is cancelled
 *                      when the dependency can no longer be satisfied ({@code --kill-on-invalid-dep=yes})
 * @param preemptible   {@code --signal=USR1@90}: SIGUSR1 90 s before the time limit or a preemption, so that the
 *                      trainer can checkpoint and requeue, as submitit asks for
 * @param requeue       {@code --requeue}: the job may be put back in the queue (by SLURM or by itself)
 */
public record SlurmJobSpec(String jobName, int nodes, int tasksPerNode, int gpusPerNode, int cpusPerTask, int memGb,
                           int timeoutMin, String constraint, String partition, String qos, String account,
                           Path logFolder, String logName, Path workDir, String array, String dependency,
                           boolean preemptible, boolean requeue) {

    /** The job name a training run gets without {@code trainer.experiment_name}. */
    public static final String DEFAULT_TRAIN_JOB_NAME = "lcm_train";

    public SlurmJobSpec {
        if (jobName == null || jobName.isBlank()) throw new LcmException("a SLURM job needs a name");
        if (logFolder == null || logName == null || workDir == null) throw new LcmException("a SLURM job needs a log folder and a working directory");
        logFolder = logFolder.toAbsolutePath().normalize();
        workDir = workDir.toAbsolutePath().normalize();
    }

    /**
     * The job of a training run: {@code trainer.requirements} for its shape, {@code launcher} for where it goes,
     * {@code experimentName} (or {@value #DEFAULT_TRAIN_JOB_NAME}) for its name; preemptible and requeueable, logs
     * {@code <log_folder>/<job id>.log}.
     */
    public static SlurmJobSpec training(RequirementsConfig r, LauncherConfig launcher, String experimentName, Path workDir) {
        String at = "trainer.requirements.";
        atLeast(r.nodes(), 1, at + "nodes");
        atLeast(r.tasks_per_node(), 1, at + "tasks_per_node");
        atLeast(r.gpus_per_node(), 0, at + "gpus_per_node");
        atLeast(r.cpus_per_task(), 1, at + "cpus_per_task");
        atLeast(r.mem_gb(), 0, at + "mem_gb");
        atLeast(r.timeout_min(), 1, at + "timeout_min");
        if (launcher.log_folder() == null || launcher.log_folder().isBlank()) {
            throw new LcmException("launcher.log_folder is required with launcher=submitit (the job's script and logs go there)");
        }
        String name = experimentName == null || experimentName.isBlank() ? DEFAULT_TRAIN_JOB_NAME : experimentName;
        return new SlurmJobSpec(name, r.nodes(), r.tasks_per_node(), r.gpus_per_node(), r.cpus_per_task(), r.mem_gb(),
                r.timeout_min(), r.constraint(), launcher.partition(), launcher.qos(), launcher.account(),
                workDir.resolve(launcher.log_folder()), "%j.log", workDir, null, null, true, true);
    }

    /** World size of the job: one process per task. */
    public int tasks() {
        return nodes * tasksPerNode;
    }

    /** The same job with another dependency. */
    public SlurmJobSpec withDependency(String dep) {
        return new SlurmJobSpec(jobName, nodes, tasksPerNode, gpusPerNode, cpusPerTask, memGb, timeoutMin, constraint,
                partition, qos, account, logFolder, logName, workDir, array, dep, preemptible, requeue);
    }

    /** Refuses a resource value below {@code min}, naming the setting ({@code what}) the user gave. */
    public static void atLeast(int value, int min, String what) {
        if (value < min) throw new LcmException(what + " must be at least " + min + ", got " + value);
    }
}
