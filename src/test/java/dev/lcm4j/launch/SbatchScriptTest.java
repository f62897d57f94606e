package dev.lcm4j.launch;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.config.RequirementsConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sbatch scripts lcm4j writes, from a requirements config to the exact text, and the submission steps around
 * them with stand-ins for sbatch and scancel (the real SLURM runs in {@code SlurmClusterTest}).
 */
class SbatchScriptTest {
    @TempDir Path tmp;
    static final List<String> JVM = List.of("/opt/jdk/bin/java", "-Xmx2g", "-cp", "/opt/lcm/lcm4j.jar:/opt/lcm/lib/*", "dev.lcm4j.cli.Main");

    @Test
    void trainingJobFromTheReferenceRequirements() {
        // recipes/common/requirements.yaml's values (4 nodes x 8 GPUs) and a partition, as the reference submits them
        RequirementsConfig req = RequirementsConfig.builder().nodes(4).tasks_per_node(8).gpus_per_node(8).cpus_per_task(8)
                .mem_gb(256).timeout_min(4320).constraint(null).max_num_timeout(10).build();
        LauncherConfig launcher = LauncherConfig.builder().cluster("slurm").partition("learn").qos("high")
                .log_folder("/runs/mse/executor_logs").build();
        SlurmJobSpec spec = SlurmJobSpec.training(req, launcher, null, Path.of("/home/me"));
        assertEquals(32, spec.tasks());
        assertEquals(List.of("--job-name=lcm_train", "--nodes=4", "--ntasks-per-node=8", "--gpus-per-node=8",
                "--cpus-per-task=8", "--mem=256G", "--time=4320", "--partition=learn", "--qos=high",
                "--output=/runs/mse/executor_logs/%j.log", "--error=/runs/mse/executor_logs/%j.log", "--open-mode=append",
                "--chdir=/home/me", "--export=ALL", "--signal=USR1@90", "--requeue"), SbatchScript.directives(spec));
    }

    @Test
    void cpuJobLeavesOutWhatIsNotAskedFor() {
        RequirementsConfig req = RequirementsConfig.builder().nodes(1).tasks_per_node(2).gpus_per_node(0).cpus_per_task(1)
                .mem_gb(0).timeout_min(10).constraint("volta32gb").build();
        LauncherConfig launcher = LauncherConfig.builder().cluster("slurm").account("proj1").log_folder("out/executor_logs").build();
        SlurmJobSpec spec = SlurmJobSpec.training(req, launcher, "my_exp", Path.of("/work"));
        List<String> d = SbatchScript.directives(spec);
        assertEquals(List.of("--job-name=my_exp", "--nodes=1", "--ntasks-per-node=2", "--cpus-per-task=1", "--time=10",
                "--constraint=volta32gb", "--account=proj1", "--output=/work/out/executor_logs/%j.log",
                "--error=/work/out/executor_logs/%j.log", "--open-mode=append", "--chdir=/work", "--export=ALL",
                "--signal=USR1@90", "--requeue"), d, "no --gpus-per-node, --mem, --partition or --qos");
    }

    @Test
    void wholeTrainingScript() {
        RequirementsConfig req = RequirementsConfig.builder().nodes(1).tasks_per_node(2).gpus_per_node(0).cpus_per_task(1)
                .mem_gb(4).timeout_min(30).constraint(null).build();
        LauncherConfig launcher = LauncherConfig.builder().cluster("slurm").partition("debug").log_folder("/r/executor logs").build();
        SlurmJobSpec spec = SlurmJobSpec.training(req, launcher, null, Path.of("/w"));
        SlurmLauncher l = new SlurmLauncher(Slurm.fromEnvironment(), System.out, JVM);
        List<String> args = List.of("train", "--recipes", "/opt/lcm/recipes", "launcher=submitit", "+pretrain=mse",
                "++trainer.output_dir=/r", "++trainer.training_data=[{name: it's=train}]");
        String text = SbatchScript.render(spec, "written by a test\nsecond line", l.trainingBody(args));
        assertEquals("""
                #!/bin/bash
                #SBATCH --job-name=lcm_train
                #SBATCH --nodes=1
                #SBATCH --ntasks-per-node=2
                #SBATCH --cpus-per-task=1
                #SBATCH --mem=4G
                #SBATCH --time=30
                #SBATCH --partition=debug
                #SBATCH '--output=/r/executor logs/%j.log'
                #SBATCH '--error=/r/executor logs/%j.log'
                #SBATCH --open-mode=append
                #SBATCH --chdir=/w
                #SBATCH --export=ALL
                #SBATCH --signal=USR1@90
                #SBATCH --requeue

                # written by a test
                # second line
                set -u
                export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}" LCM_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
                srun --kill-on-bad-exit=1 --label /opt/jdk/bin/java -Xmx2g -cp '/opt/lcm/lcm4j.jar:/opt/lcm/lib/*' dev.lcm4j.cli.Main \
                train --recipes /opt/lcm/recipes launcher=submitit +pretrain=mse ++trainer.output_dir=/r \
                '++trainer.training_data=[{name: it'\\''s=train}]'
                """, text);
    }

    @Test
    void wholeEvaluationScript() {
        // what ./lcm evaluate --launcher submitit --job_args '{"nshards": 3, ...}' submits: one task per shard
        SlurmJobSpec spec = new SlurmJobSpec("lcm_eval_out", 1, 3, 0, 2, 0, 60, null, "debug", null, null, Path.of("/r/out/executor_logs"),
                "%j.log", Path.of("/w"), null, null, false, true);
        SlurmLauncher l = new SlurmLauncher(Slurm.fromEnvironment(), System.out, JVM);
        List<String> args = List.of("evaluate", "--tasks", "lcm_generation", "--predictor", "base_lcm", "--dump_dir", "/r/out",
                "--launcher", "submitit", "--job_args", "{\"nshards\": 3, \"launcher.partition\": \"debug\"}");
        assertEquals("""
                #!/bin/bash
                #SBATCH --job-name=lcm_eval_out
                #SBATCH --nodes=1
                #SBATCH --ntasks-per-node=3
                #SBATCH --cpus-per-task=2
                #SBATCH --time=60
                #SBATCH --partition=debug
                #SBATCH --output=/r/out/executor_logs/%j.log
                #SBATCH --error=/r/out/executor_logs/%j.log
                #SBATCH --open-mode=append
                #SBATCH --chdir=/w
                #SBATCH --export=ALL
                #SBATCH --requeue

                # a test
                set -u
                export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}" LCM_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
                unset RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT TORCHELASTIC_RESTART_COUNT
                export LCM_EVALUATE_SUBMITTED=1
                srun --kill-on-bad-exit=1 --label /opt/jdk/bin/java -Xmx2g -cp '/opt/lcm/lcm4j.jar:/opt/lcm/lib/*' dev.lcm4j.cli.Main \
                evaluate --tasks lcm_generation --predictor base_lcm --dump_dir /r/out --launcher submitit --job_args \
                '{"nshards": 3, "launcher.partition": "debug"}'
                """, SbatchScript.render(spec, "a test", l.evaluationBody(args)));
    }

    @Test
    void quotingSurvivesTheShell() throws Exception {
        List<String> words = List.of("plain", "with space", "it's", "$HOME", "a*b", "", "back\\slash", "{x: [1, 2]}", "tab\there");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "printf '%s\\n' " + SbatchScript.commandLine(words)).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals(String.join("\n", words) + "\n", out);
    }

    @Test
    void badRequirementsAreNamed() {
        LauncherConfig launcher = LauncherConfig.builder().cluster("slurm").log_folder("logs").build();
        RequirementsConfig noTasks = RequirementsConfig.builder().tasks_per_node(0).build();
        assertEquals("trainer.requirements.tasks_per_node must be at least 1, got 0",
                assertThrows(LcmException.class, () -> SlurmJobSpec.training(noTasks, launcher, null, Path.of("/w"))).getMessage());
        RequirementsConfig noTime = RequirementsConfig.builder().timeout_min(0).build();
        assertEquals("trainer.requirements.timeout_min must be at least 1, got 0",
                assertThrows(LcmException.class, () -> SlurmJobSpec.training(noTime, launcher, null, Path.of("/w"))).getMessage());
        LcmException cluster = assertThrows(LcmException.class, () -> LauncherConfig.builder().cluster("local").build().validate("launcher"));
        assertTrue(cluster.getMessage().startsWith("launcher.cluster must be debug"), cluster.getMessage());
        assertTrue(cluster.getMessage().endsWith("got 'local'"), cluster.getMessage());
        assertTrue(LauncherConfig.builder().cluster("slurm").build().submitsToSlurm());
        assertFalse(LauncherConfig.defaults().submitsToSlurm());
    }

    @Test
    void scontrolRecordsAndErrors() {
        String line = "JobId=12 ArrayJobId=11 ArrayTaskId=1 JobName=lcm_prepare_x UserId=root(0) JobState=FAILED "
                + "Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=2 BatchFlag=1 ExitCode=2:0";
        assertEquals("FAILED", Slurm.field(line, "JobState"));
        assertEquals("12", Slurm.field(line, "JobId"), "not ArrayJobId's value");
        assertEquals("2:0", Slurm.field(line, "ExitCode"));
        assertNull(Slurm.field(line, "Partition"));
        assertEquals(2, new Slurm.JobState("12", "1", "FAILED", "NonZeroExitCode", "2:0", 2).exitStatus());
        assertEquals(143, new Slurm.JobState("12", null, "CANCELLED", "None", "0:15", 0).exitStatus());
        assertEquals(1, new Slurm.JobState("12", null, "TIMEOUT", "TimeLimit", "0:0", 0).exitStatus());
        assertEquals(0, new Slurm.JobState("12", null, "COMPLETED", "None", "0:0", 0).exitStatus());
        assertFalse(new Slurm.JobState("12", null, "REQUEUED", "None", "0:0", 1).finished());
        assertEquals("invalid partition specified: nope; Batch job submission failed: Invalid partition name specified",
                Slurm.errorLine("sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: "
                        + "Invalid partition name specified\n", "x"));
    }

    @Test
    void missingSbatchIsOneLineAndTouchesNothing() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("bin"));
        Slurm slurm = new Slurm(Map.of("PATH", empty.toString()));
        LcmException e = assertThrows(LcmException.class, () -> slurm.require("sbatch", "use launcher=standalone to train here"));
        assertTrue(e.getMessage().startsWith("sbatch not found on PATH"), e.getMessage());
        assertTrue(e.getMessage().endsWith("use launcher=standalone to train here"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /** A directory with stand-ins for sbatch (records the script, prints ids 41, 42, ...) and scancel. */
    Map<String, String> fakeSlurm() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("fakebin"));
        Path state = Files.createDirectories(tmp.resolve("fakestate"));
        script(bin.resolve("sbatch"), """
                #!/bin/bash
                d="$FAKE_DIR"; n=$(cat "$d/next" 2>/dev/null || echo 41); echo $((n+1)) > "$d/next"
                s="${@: -1}"
                if grep -q -- '--partition=nope' "$s"; then
                  echo "sbatch: error: invalid partition specified: nope" >&2
                  echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1
                fi
                echo "$*" > "$d/args-$n"; cp "$s" "$d/script-$n"; echo "$n"
                """);
        script(bin.resolve("scancel"), "#!/bin/bash\necho \"$@\" >> \"$FAKE_DIR/cancelled\"\n");
        return Map.of("PATH", bin + ":/usr/bin:/bin", "FAKE_DIR", state.toString());
    }

    static void script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    SlurmJobSpec prepareSpec(Path logs, String name, String logName, String array, String partition) {
        return new SlurmJobSpec(name, 1, 1, 0, 2, 0, 60, null, partition, null, null, logs, logName, Path.of("/w"), array,
                null, false, true);
    }

    @Test
    void arrayAndDependentJob() throws IOException {
        Map<String, String> env = fakeSlurm();
        Path state = Path.of(env.get("FAKE_DIR"));
        Path logs = tmp.resolve("data/executor_logs");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        SlurmLauncher l = new SlurmLauncher(new Slurm(env), new PrintStream(buf, true, StandardCharsets.UTF_8), JVM);
        List<SlurmLauncher.Submitted> jobs = l.submitArray(prepareSpec(logs, "lcm_prepare_x", "%A_%a.log", "0-2", null), 3,
                List.of("prepare", "--output", "data", "--nshards", "3"), "--array-task",
                prepareSpec(logs, "lcm_prepare_x_merge", "%j.log", null, null), List.of("prepare", "--output", "data", "--array-merge"), "prepare");
        assertEquals("41", jobs.get(0).jobId());
        assertEquals("42", jobs.get(1).jobId());
        assertEquals(logs.resolve("41_submission.sbatch"), jobs.get(0).script());
        assertEquals(List.of(logs.resolve("41_0.log"), logs.resolve("41_1.log"), logs.resolve("41_2.log")),
                jobs.get(0).logs().stream().map(SlurmJobFollower.Log::file).toList());
        assertEquals(logs.resolve("42.log"), jobs.get(1).logs().get(0).file());
        String array = Files.readString(state.resolve("script-41"));
        assertEquals(array, Files.readString(jobs.get(0).script()), "the kept script is the submitted one");
        assertTrue(array.contains("#SBATCH --array=0-2\n"), array);
        assertTrue(array.contains("#SBATCH --output=" + logs.resolve("%A_%a.log") + "\n"), array);
        assertFalse(array.contains("--signal"), "prepare tasks need no warning: each shard is written atomically");
        assertTrue(array.endsWith(" dev.lcm4j.cli.Main prepare --output data --nshards 3 --array-task \"$SLURM_ARRAY_TASK_ID\"\n"), array);
        String merge = Files.readString(state.resolve("script-42"));
        assertTrue(merge.contains("#SBATCH --dependency=afterok:41\n#SBATCH --kill-on-invalid-dep=yes\n"), merge);
        assertTrue(merge.endsWith(" dev.lcm4j.cli.Main prepare --output data --array-merge\n"), merge);
        assertTrue(Files.readString(state.resolve("args-41")).startsWith("--parsable "));
    }

    @Test
    void refusedSubmissionsLeaveNothingBehind() throws IOException {
        Map<String, String> env = fakeSlurm();
        Path state = Path.of(env.get("FAKE_DIR"));
        SlurmLauncher l = new SlurmLauncher(new Slurm(env), new PrintStream(new ByteArrayOutputStream()), JVM);
        Path logs = tmp.resolve("new/deep/executor_logs");
        LcmException e = assertThrows(LcmException.class, () -> l.submit(prepareSpec(logs, "x", "%j.log", null, "nope"), "c", List.of("true")));
        assertEquals("sbatch refused the job: invalid partition specified: nope; Batch job submission failed: "
                + "Invalid partition name specified", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("new")), "the folders this submission created are gone");

        // the dependent job refused: the array is cancelled, its kept script says what had been submitted
        Path logs2 = tmp.resolve("data/executor_logs");
        e = assertThrows(LcmException.class, () -> l.submitArray(prepareSpec(logs2, "a", "%A_%a.log", "0-1", null), 2,
                List.of("prepare"), "--array-task", prepareSpec(logs2, "m", "%j.log", null, "nope"), List.of("prepare"), "prepare"));
        assertTrue(e.getMessage().endsWith("(array job 42 was cancelled)"), e.getMessage());
        assertEquals("42\n", Files.readString(state.resolve("cancelled")));
        try (Stream<Path> s = Files.list(logs2)) {
            assertEquals(List.of("42_submission.sbatch"), s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
