package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.cli.EvaluateLaunch.JobArgs;
import dev.lcm4j.cli.EvaluateLaunch.Launcher;
import dev.lcm4j.cli.EvaluateLaunch.Mode;
import dev.lcm4j.cli.EvaluateLaunch.Plan;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.launch.SbatchScript;
import dev.lcm4j.launch.SlurmJobSpec;
import dev.lcm4j.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./lcm evaluate --launcher / --job_args}: parsing, the sharding plan in each environment, the SLURM job a
 * submission makes (with stand-ins for sbatch and scontrol; the real SLURM runs in {@code SlurmClusterTest}), bad input.
 */
class EvaluateLaunchTest {
    @TempDir Path tmp;

    static final Map<String, String> TORCHRUN_2 = Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29500");
    static final Map<String, String> SRUN_3 = Map.of("SLURM_PROCID", "2", "SLURM_NTASKS", "3", "SLURM_STEP_ID", "0",
            "SLURM_JOB_ID", "77", "SLURM_JOB_NODELIST", "node[1-3]");
    static final Map<String, String> SRUN_1 = Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "1", "SLURM_STEP_ID", "0",
            "SLURM_JOB_ID", "77", "SLURM_JOB_NODELIST", "node1");

    private static Plan plan(String launcher, Integer nshards, Map<String, String> env) {
        return EvaluateLaunch.plan(Launcher.parse(launcher), nshards, DistributedEnvironment.from(env), env);
    }

    @Test
    void theReadmeJobArgsParse() {
        // examples/evaluation/README.md's submitit example, with its shell variables filled in
        JobArgs j = JobArgs.parse("{\"launcher.cache\": \"null\", \"launcher.partition\": \"learn\", \"launcher.qos\": \"high\", \"nshards\": 4,"
                + " \"requirements\": {\"gpus_per_node\": 1, \"timeout_min\": 60}}");
        assertEquals(4, j.nshards());
        assertNull(j.launcher().cache(), "Hydra's null");
        assertEquals("learn", j.launcher().partition());
        assertEquals("high", j.launcher().qos());
        assertEquals(1, j.requirements().gpus_per_node());
        assertEquals(60, j.requirements().timeout_min());
        // partition, qos and the requirements shape a submitted job; the stopes cache never acts
        assertEquals(List.of("launcher.cache"), j.noEffect(true));
        assertEquals(List.of("launcher.cache", "launcher.partition", "launcher.qos", "requirements.gpus_per_node",
                "requirements.timeout_min"), j.noEffect(false), "nothing is submitted: the job's shape has no effect");
        JobArgs t = JobArgs.parse("{\"launcher.collective_timeout_s\": \"90\", \"launcher.rendezvous_timeout_s\": 30}");
        assertEquals(90, t.launcher().collective_timeout_s());
        assertEquals(30, t.launcher().rendezvous_timeout_s());
        assertEquals(List.of(), t.noEffect(false), "the timeouts act");
        JobArgs never = JobArgs.parse("{\"launcher._target_\": \"x\", \"launcher.cluster\": \"slurm\", \"launcher.config_dump_dir\": \"c\","
                + " \"requirements\": {\"max_num_timeout\": 3, \"nodes\": 1}}");
        assertEquals(List.of("launcher._target_", "launcher.cluster", "launcher.config_dump_dir", "requirements.max_num_timeout"),
                never.noEffect(true));
        assertNull(JobArgs.parse(null).nshards());
        // the dotted form of the reference's commands means the same as the nested one
        JobArgs dotted = JobArgs.parse("{\"requirements.gpus_per_node\": 2, \"requirements\": {\"timeout_min\": 30}}");
        assertEquals(2, dotted.requirements().gpus_per_node());
        assertEquals(30, dotted.requirements().timeout_min());
        String m = assertThrows(LcmException.class, () -> JobArgs.parse("{\"requirements.gpu\": 1}")).getMessage();
        assertTrue(m.contains("requirements.gpu"), m);
    }

    @Test
    void badJobArgsNameTheProblem() {
        assertTrue(assertThrows(LcmException.class, () -> JobArgs.parse("{\"nshards\": 0}")).getMessage().contains("nshards must be >= 1"));
        assertTrue(assertThrows(LcmException.class, () -> JobArgs.parse("{\"nshards\": 1.5}")).getMessage().contains("whole number"));
        assertTrue(assertThrows(LcmException.class, () -> JobArgs.parse("{\"shards\": 2}")).getMessage().contains("unknown key 'shards'"));
        String m = assertThrows(LcmException.class, () -> JobArgs.parse("{\"launcher.partitoin\": \"x\"}")).getMessage();
        assertTrue(m.contains("launcher.partitoin") && m.contains("partition"), m);
        m = assertThrows(LcmException.class, () -> JobArgs.parse("{\"requirements\": {\"gpus\": 1}}")).getMessage();
        assertTrue(m.contains("requirements.gpus"), m);
        assertTrue(assertThrows(LcmException.class, () -> JobArgs.parse("[1]")).getMessage().contains("JSON object"));
        assertTrue(assertThrows(LcmException.class, () -> JobArgs.parse("{nshards: 2")).getMessage().contains("not valid JSON"));
        assertTrue(assertThrows(LcmException.class, () -> JobArgs.parse("{\"launcher.collective_timeout_s\": 0}")).getMessage()
                .contains("collective_timeout_s must be at least 1"));
    }

    @Test
    void thePlanInEachEnvironment() {
        assertEquals(new Plan(Mode.SINGLE, 1), plan("standalone", null, Map.of()));
        assertEquals(new Plan(Mode.SINGLE, 1), plan("standalone", 1, Map.of()));
        assertEquals(new Plan(Mode.SPAWN, 3), plan("standalone", 3, Map.of()));
        assertEquals(new Plan(Mode.SPAWN, 2), plan("local", 2, Map.of()));
        // torchrun / ./lcm launch: every process is a shard, whatever the launcher
        assertEquals(new Plan(Mode.RANK, 2), plan("standalone", null, TORCHRUN_2));
        assertEquals(new Plan(Mode.RANK, 2), plan("standalone", 2, TORCHRUN_2));
        String m = assertThrows(LcmException.class, () -> plan("standalone", 3, TORCHRUN_2)).getMessage();
        assertTrue(m.contains("nshards 3") && m.contains("WORLD_SIZE=2"), m);
        // srun: every task is a shard
        assertEquals(new Plan(Mode.RANK, 3), plan("submitit", null, SRUN_3));
        assertEquals(new Plan(Mode.RANK, 3), plan("slurm", 3, SRUN_3));
        assertTrue(assertThrows(LcmException.class, () -> plan("submitit", 2, SRUN_3)).getMessage().contains("SLURM_NTASKS=3"));
        assertEquals(new Plan(Mode.SINGLE, 1), plan("submitit", null, SRUN_1));
        assertTrue(assertThrows(LcmException.class, () -> plan("submitit", 2, SRUN_1)).getMessage().contains("srun --ntasks 2"));
        // outside a SLURM step, or in an salloc shell without srun: a job of nshards tasks is submitted
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("SLURM_JOB_ID", "77", "SLURM_NTASKS", "2"))) {
            assertEquals(new Plan(Mode.SUBMIT, 2), plan("submitit", 2, env));
        }
        assertEquals(new Plan(Mode.SUBMIT, 1), plan("slurm", null, Map.of()));
        // torchrun --nproc-per-node 1 around the submission is harmless (its variables do not reach the job's tasks)
        assertEquals(new Plan(Mode.SUBMIT, 2), plan("submitit", 2, Map.of("RANK", "0", "WORLD_SIZE", "1")));
        m = assertThrows(LcmException.class, () -> plan("submitit", null, TORCHRUN_2)).getMessage();
        assertEquals("--launcher submitit under torchrun or ./lcm launch (WORLD_SIZE=2): each process would submit its own SLURM job;"
                + " run ./lcm evaluate --launcher submitit once, outside them (its job runs one task per shard), or use --launcher standalone", m);
        m = assertThrows(LcmException.class, () -> Launcher.parse("ray")).getMessage();
        assertTrue(m.contains("'ray'") && m.contains("standalone, local, submitit, slurm"), m);
    }

    private String[] dummy(Path dump, String... extra) throws Exception {
        Path data = tmp.resolve("rows.jsonl");
        if (!Files.exists(data)) Files.writeString(data, "{\"input_text\": \"One. Two.\"}\n{\"input_text\": \"Three.\"}\n");
        List<String> a = new ArrayList<>(List.of("evaluate", "--tasks", "dummy_json_generation", "--predictor", "dummy",
                "--dataset.file_path", data.toString(), "--dataset.source_text_column", "input_text", "--dump_dir", dump.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void badLaunchInputGetsOneErrorLineAndWritesNothing() throws Exception {
        Path d = tmp.resolve("out");
        Cli.assertUserError(Cli.exec(dummy(d, "--launcher", "ray")), "--launcher 'ray' is not one of standalone, local, submitit, slurm");
        Cli.assertUserError(Cli.exec(dummy(d, "--job_args", "{\"nshards\": 0}")), "nshards must be >= 1");
        Cli.assertUserError(Cli.exec(dummy(d, "--job_args", "{\"nshard\": 2}")), "unknown key 'nshard'");
        Cli.assertUserError(Cli.exec(dummy(d, "--job_args", "{\"launcher.queue\": \"a\"}")), "launcher.queue");
        Cli.assertUserError(Cli.exec(dummy(d, "--wait")), "--wait follows the SLURM job evaluate submits; it needs --launcher submitit");
        // the job's shape is checked before anything is submitted (here: by a dry run, which never calls sbatch)
        Cli.assertUserError(Cli.exec(dummy(d, "--dry_run", "--launcher", "submitit", "--job_args", "{\"nshards\": 3, \"requirements\": {\"nodes\": 2}}")),
                "--job_args nshards 3 does not split evenly over requirements.nodes 2");
        Cli.Outcome o = Cli.exec(dummy(d, "--launcher", "ray"));
        assertEquals(1, o.err().strip().lines().count(), "nothing but the error line: " + o.err());
        assertFalse(Files.exists(d), "nothing written");
    }

    @Test
    void dryRunShowsTheShards() throws Exception {
        Path d = tmp.resolve("dry");
        Cli.Outcome o = Cli.exec(dummy(d, "--dry_run", "--job_args", "{\"nshards\": 3}"));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("launcher standalone, 3 shard(s) in local worker processes"), o.out());
        o = Cli.exec(dummy(d, "--dry_run", "--launcher", "submitit", "--job_args", "{\"nshards\": 2}"));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("launcher submitit, 2 shard(s) as the tasks of one SLURM job (lcm_eval_dry, logs in "
                + d.toAbsolutePath().resolve("executor_logs") + ")"), o.out());
        assertFalse(Files.exists(d));
    }

    @Test
    void theSlurmJobOfASubmission() {
        JobArgs j = JobArgs.parse("{\"nshards\": 4, \"launcher.partition\": \"learn\", \"launcher.account\": \"a1\","
                + " \"requirements\": {\"nodes\": 2, \"gpus_per_node\": 2, \"cpus_per_task\": 6, \"mem_gb\": 64, \"timeout_min\": 90}}");
        SlurmJobSpec s = j.slurmJob(4, Path.of("out/eval run"), Path.of("/w"));
        assertEquals(List.of("--job-name=lcm_eval_eval_run", "--nodes=2", "--ntasks-per-node=2", "--gpus-per-node=2",
                "--cpus-per-task=6", "--mem=64G", "--time=90", "--partition=learn", "--account=a1",
                "--output=/w/out/eval run/executor_logs/%j.log", "--error=/w/out/eval run/executor_logs/%j.log",
                "--open-mode=append", "--chdir=/w", "--export=ALL", "--requeue"), SbatchScript.directives(s),
                "no preemption signal: evaluate has nothing to checkpoint; requeueable: a requeued job resumes");
        // nothing given: one node, one task per shard, no GPU, the partition's defaults; log_folder relative to the work dir
        SlurmJobSpec d = JobArgs.parse("{\"launcher.log_folder\": \"logs\"}").slurmJob(1, Path.of("/abs/dump"), Path.of("/w"));
        assertEquals(List.of("--job-name=lcm_eval_dump", "--nodes=1", "--ntasks-per-node=1", "--cpus-per-task=4", "--time=1440",
                "--output=/w/logs/%j.log", "--error=/w/logs/%j.log", "--open-mode=append", "--chdir=/w", "--export=ALL", "--requeue"),
                SbatchScript.directives(d));
        assertEquals(4, JobArgs.parse("{\"requirements\": {\"tasks_per_node\": 4}}").slurmJob(4, Path.of("d"), Path.of("/w")).tasks());
        String m = assertThrows(LcmException.class, () -> JobArgs.parse("{\"requirements\": {\"tasks_per_node\": 4}}")
                .slurmJob(2, Path.of("d"), Path.of("/w"))).getMessage();
        assertEquals("--job_args requirements.tasks_per_node 4 does not match nshards 2 over 1 node: every task is one shard,"
                + " so tasks_per_node is nshards / nodes = 2; leave it out or make them agree", m);
        m = assertThrows(LcmException.class, () -> JobArgs.parse("{\"requirements\": {\"cpus_per_task\": 0}}")
                .slurmJob(1, Path.of("d"), Path.of("/w"))).getMessage();
        assertEquals("--job_args requirements.cpus_per_task must be at least 1, got 0", m);
        assertEquals("lcm_eval", JobArgs.jobName(Path.of("/")));
    }

    /**
     * Stand-ins for SLURM's client (as in SbatchScriptTest): sbatch keeps the script, writes the job's log (two task
     * lines, where the script's --output says) and prints ids 41, 42, ...; it refuses partition "nope" as SLURM does.
     * scontrol reports every job as FAKE_STATE with FAKE_EXIT (default COMPLETED, 0:0).
     */
    Map<String, String> standInSlurm(String... extra) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("fakebin"));
        Path state = Files.createDirectories(tmp.resolve("fakestate"));
        script(bin.resolve("sbatch"), """
                #!/bin/bash
                d="$FAKE_DIR"; s="${@: -1}"
                if grep -q -- '--partition=nope' "$s"; then
                  echo "sbatch: error: invalid partition specified: nope" >&2
                  echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1
                fi
                n=$(cat "$d/next" 2>/dev/null || echo 41); echo $((n+1)) > "$d/next"
                cp "$s" "$d/script-$n"
                log=$(sed -n 's/^#SBATCH --output=//p' "$s"); log="${log//%j/$n}"
                printf '0: rank 0 of 2 joined\n1: rank 1 of 2 joined\n' > "$log"
                echo "$n"
                """);
        script(bin.resolve("scontrol"), """
                #!/bin/bash
                echo "JobId=$4 JobName=x JobState=${FAKE_STATE:-COMPLETED} Reason=None Restarts=0 ExitCode=${FAKE_EXIT:-0:0}"
                """);
        Map<String, String> env = new HashMap<>(Map.of("PATH", bin + ":/usr/bin:/bin", "FAKE_DIR", state.toString()));
        for (int i = 0; i < extra.length; i += 2) env.put(extra[i], extra[i + 1]);
        return env;
    }

    static void script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The command line in this JVM, its SLURM client commands looked up in {@code slurmEnv}. */
    static Cli.Outcome withSlurm(Map<String, String> slurmEnv, String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K k = CommandLine.defaultFactory().create(cls);
                if (k instanceof EvaluateCommand e) e.slurmEnvironment = slurmEnv;
                return k;
            }
        };
        return Cli.capture(() -> Main.execute(factory, args));
    }

    @Test
    void submitsOneSlurmJobWithATaskPerShard() throws Exception {
        Map<String, String> env = standInSlurm();
        Path state = Path.of(env.get("FAKE_DIR"));
        Path d = tmp.resolve("sub");
        String jobArgs = "{\"nshards\": 2, \"launcher.partition\": \"debug\", \"launcher.cache\": \"null\","
                + " \"requirements\": {\"cpus_per_task\": 1, \"timeout_min\": 10}}";
        String[] args = dummy(d, "--launcher", "submitit", "--job_args", jobArgs);
        Cli.Outcome o = withSlurm(env, concat(args, "--wait"));
        assertEquals(0, o.code(), o.out() + o.err());
        Path logs = d.toAbsolutePath().resolve("executor_logs");
        assertTrue(o.out().startsWith("submitted SLURM job 41 (lcm_eval_sub: 1 node x 2 tasks, one shard each, partition debug)\n"
                + "script " + logs.resolve("41_submission.sbatch") + "\nlog " + logs.resolve("41.log") + "\n"), o.out());
        // --wait: the job's state and log, then the job's exit status
        assertTrue(o.out().contains("slurm: evaluation job 41 COMPLETED\n"), o.out());
        assertTrue(o.out().contains("\n0: rank 0 of 2 joined\n1: rank 1 of 2 joined\n"), o.out());
        // partition and requirements shaped the job; only the stopes cache is named as having no effect
        assertEquals(List.of("evaluate: --job_args launcher.cache accepted with no effect here (launcher._target_, cluster, cache,"
                + " config_dump_dir and requirements.max_num_timeout never act in lcm4j; requirements and launcher.partition, qos,"
                + " account, log_folder shape the job of --launcher submitit; see ./lcm evaluate --help)"), o.err().lines().toList());

        String script = Files.readString(state.resolve("script-41"));
        assertEquals(script, Files.readString(logs.resolve("41_submission.sbatch")), "the kept script is the submitted one");
        assertTrue(script.startsWith("""
                #!/bin/bash
                #SBATCH --job-name=lcm_eval_sub
                #SBATCH --nodes=1
                #SBATCH --ntasks-per-node=2
                #SBATCH --cpus-per-task=1
                #SBATCH --time=10
                #SBATCH --partition=debug
                #SBATCH --output=%s
                """.formatted(logs.resolve("%j.log"))), script);
        List<String> body = script.lines().dropWhile(l -> !l.equals("set -u")).toList();
        assertEquals("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\" LCM_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"", body.get(1));
        assertEquals("unset RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT TORCHELASTIC_RESTART_COUNT", body.get(2));
        assertEquals("export LCM_EVALUATE_SUBMITTED=1", body.get(3));
        String srun = body.get(4);
        assertEquals(5, body.size(), script);
        // every task runs this command (without --wait, which was the submission's), in a JVM like this one
        assertTrue(srun.startsWith("srun --kill-on-bad-exit=1 --label "), srun);
        assertTrue(srun.endsWith(" dev.lcm4j.cli.Main " + SbatchScript.commandLine(List.of(args))), srun);
        try (Stream<Path> files = Files.walk(d)) {
            assertEquals(List.of("executor_logs/41.log", "executor_logs/41_submission.sbatch"), files.filter(Files::isRegularFile)
                    .map(p -> d.relativize(p).toString()).sorted().toList(), "the job, not the submission, writes results");
        }

        // a job that fails: --wait exits with its status
        Path f = tmp.resolve("fails");
        o = withSlurm(standInSlurm("FAKE_STATE", "FAILED", "FAKE_EXIT", "2:0"), dummy(f, "--launcher", "slurm", "--wait"));
        assertEquals(2, o.code(), o.out());
        assertTrue(o.out().contains("submitted SLURM job 42 (lcm_eval_fails: 1 node x 1 task, one shard each)"), o.out());
        assertTrue(o.out().contains("slurm: evaluation job 42 ended FAILED (exit code 2:0)"), o.out());
        // without --wait the submission is all
        o = withSlurm(env, dummy(tmp.resolve("nowait"), "--launcher", "submitit"));
        assertEquals(0, o.code(), o.err());
        assertFalse(o.out().contains("slurm: "), o.out());
        assertEquals("", o.err());
    }

    @Test
    void withoutSbatchOrWithARefusalNothingIsWritten() throws Exception {
        Path d = tmp.resolve("nosbatch");
        Path empty = Files.createDirectories(tmp.resolve("nobin"));
        Cli.Outcome o = withSlurm(Map.of("PATH", empty.toString()), dummy(d, "--launcher", "submitit", "--job_args", "{\"nshards\": 2}", "--wait"));
        Cli.assertUserError(o);
        assertEquals("error: sbatch not found on PATH: submitting to SLURM needs its client commands (run on a SLURM login node,"
                + " or install slurm-client); use --launcher standalone to evaluate on this machine", o.err().strip());
        assertEquals("", o.out());
        assertFalse(Files.exists(d), "nothing written");
        o = withSlurm(standInSlurm(), dummy(d, "--launcher", "submitit", "--job_args", "{\"launcher.partition\": \"nope\"}"));
        Cli.assertUserError(o, "sbatch refused the job: invalid partition specified: nope; Batch job submission failed: Invalid partition name specified");
        assertFalse(Files.exists(d), "a refused job leaves no folders behind");
    }

    private static String[] concat(String[] a, String... b) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(b));
        return out.toArray(String[]::new);
    }
}
