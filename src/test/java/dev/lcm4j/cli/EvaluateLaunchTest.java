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
import dev.lcm4j.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lcm evaluate --launcher / --job_args}: parsing, the sharding plan in each environment, bad input. */
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
        assertEquals(List.of("launcher.cache", "launcher.partition", "launcher.qos", "requirements"), j.noEffect());
        JobArgs t = JobArgs.parse("{\"launcher.collective_timeout_s\": \"90\", \"launcher.rendezvous_timeout_s\": 30}");
        assertEquals(90, t.launcher().collective_timeout_s());
        assertEquals(30, t.launcher().rendezvous_timeout_s());
        assertEquals(List.of(), t.noEffect(), "the timeouts act");
        assertNull(JobArgs.parse(null).nshards());
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
        // outside a SLURM step, or in an salloc shell without srun
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("SLURM_JOB_ID", "77", "SLURM_NTASKS", "2"))) {
            m = assertThrows(LcmException.class, () -> plan("submitit", 2, env)).getMessage();
            assertEquals("--launcher submitit: SLURM submission of evaluate is not available yet; run inside an salloc/srun allocation"
                    + " (every task becomes a shard) or use --launcher standalone", m);
        }
        assertTrue(assertThrows(LcmException.class, () -> plan("slurm", null, Map.of())).getMessage().startsWith("--launcher slurm: SLURM submission"));
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
        Cli.assertUserError(Cli.exec(dummy(d, "--launcher", "submitit", "--job_args", "{\"nshards\": 2}")),
                "--launcher submitit: SLURM submission of evaluate is not available yet; run inside an salloc/srun allocation");
        for (String launcher : List.of("ray", "submitit")) {
            Cli.Outcome o = Cli.exec(dummy(d, "--launcher", launcher));
            assertEquals(1, o.err().strip().lines().count(), "nothing but the error line: " + o.err());
        }
        assertFalse(Files.exists(d), "nothing written");
    }

    @Test
    void dryRunShowsTheShards() throws Exception {
        Path d = tmp.resolve("dry");
        Cli.Outcome o = Cli.exec(dummy(d, "--dry_run", "--job_args", "{\"nshards\": 3}"));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("launcher standalone, 3 shard(s) in local worker processes"), o.out());
        assertFalse(Files.exists(d));
    }
}
