package dev.lcm4j.eval;

import static dev.lcm4j.testing.TinyEvaluation.GEN;
import static dev.lcm4j.testing.TinyEvaluation.NEXT;
import static dev.lcm4j.testing.TinyEvaluation.assertSameOutputs;
import static dev.lcm4j.testing.TinyEvaluation.lines;
import static dev.lcm4j.testing.TinyEvaluation.withoutKeys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lcm4j.cli.Main;
import dev.lcm4j.testing.TinyEvaluation;
import dev.lcm4j.torch.TorchRuntime;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sharded {@code ./lcm evaluate} in real worker JVMs writes what one process writes: lcm_generation (sampled, so the
 * per-sample seeds are in play) and lcm_next_sentence on a tiny trained model, 10 samples in 4 batches of 3 dealt to 2
 * shards. Once with {@code --launcher standalone --job_args '{"nshards": 2}'} (evaluate starts 2 workers), once as
 * the 2 tasks of an emulated {@code srun -n 2} step with {@code --launcher submitit}, resuming a dump whose
 * lcm_next_sentence result was deleted.
 */
@Tag("slow")
class ShardedEvaluateTest {
    @TempDir static Path tmp;
    static Path data, run, one, two;

    @BeforeAll
    static void setUp() throws Exception {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        run = tmp.resolve("run");
        TinyEvaluation.build(data, "shardsynth", run);
        one = tmp.resolve("one");
        two = tmp.resolve("two");
        assertEquals(0, Main.execute(evaluate(one)));
        assertEquals(0, Main.execute(evaluate(two, "--launcher", "standalone", "--job_args", "{\"nshards\": 2}")));
    }

    static String[] evaluate(Path dump, String... extra) {
        return TinyEvaluation.evaluate(data, run, dump, extra).toArray(String[]::new);
    }

    @Test
    void twoWorkerProcessesWriteWhatOneProcessWrites() throws Exception {
        assertEquals(10, lines(one.resolve("raw_results/" + GEN + "/" + GEN + ".json")).size(), "one raw line per sample");
        assertEquals(10, lines(one.resolve("raw_results/" + NEXT + "/" + NEXT + ".json")).size(), "one raw line per document");
        assertSameOutputs(one, two);
    }

    @Test
    void aShardedResumeInsideAnSrunStepRecomputesOnlyWhatIsMissing() throws Exception {
        Path resume = tmp.resolve("resume");
        copyTree(two, resume);
        Files.delete(resume.resolve("results/" + NEXT + ".json"));
        Files.delete(resume.resolve("raw_results/" + NEXT + "/" + NEXT + ".json"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> tasks = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            List<String> cmd = new ArrayList<>(jvm());
            cmd.addAll(List.of(evaluate(resume, "--launcher", "submitit")));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("srun" + rank + ".log").toFile());
            Map<String, String> env = pb.environment();
            for (String k : List.of("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE")) env.remove(k);
            // what srun sets for each task of a 2-task step (MASTER_* as a job script exports them)
            env.putAll(Map.of("SLURM_PROCID", String.valueOf(rank), "SLURM_NTASKS", "2", "SLURM_STEP_ID", "0", "SLURM_JOB_ID", "4242",
                    "SLURM_LOCALID", String.valueOf(rank), "SLURM_JOB_NODELIST", "localhost", "MASTER_ADDR", "127.0.0.1",
                    "MASTER_PORT", String.valueOf(port), "LCM_NUM_THREADS", "1", "OMP_NUM_THREADS", "1"));
            tasks.add(pb.start());
        }
        for (int rank = 0; rank < 2; rank++) {
            Process p = tasks.get(rank);
            boolean done = p.waitFor(300, TimeUnit.SECONDS);
            if (!done) tasks.forEach(Process::destroyForcibly);
            String log = Files.readString(tmp.resolve("srun" + rank + ".log"));
            assertTrue(done, "task " + rank + " did not finish: " + log);
            assertEquals(0, p.exitValue(), "task " + rank + ": " + log);
        }
        String log0 = Files.readString(tmp.resolve("srun0.log"));
        assertTrue(log0.contains(GEN + " already done"), log0);
        assertTrue(log0.contains("rank 0 of 2 joined the process group") && log0.contains("(slurm)"), log0);
        assertTrue(!Files.readString(tmp.resolve("srun1.log")).contains("results in"), "only rank 0 reports");
        // the recomputed run equals the single process's, file for file; the metrics log got one more line, for it
        for (String f : List.of("results/" + NEXT + ".json", "raw_results/" + NEXT + "/" + NEXT + ".json", "results/" + GEN + ".json")) {
            assertEquals(Files.readString(one.resolve(f)), Files.readString(resume.resolve(f)), f);
        }
        List<JsonNode> log = withoutKeys(lines(resume.resolve("metrics.eval.jsonl")), "created_at");
        List<JsonNode> ref = withoutKeys(lines(one.resolve("metrics.eval.jsonl")), "created_at");
        assertEquals(3, log.size());
        assertEquals(ref.get(1), log.get(2));
        assertEquals(2, lines(resume.resolve("metadata.jsonl")).size(), "one metadata line per invocation");
    }

    /** The command that starts the CLI in a JVM like this one (its java, JVM options and class path). */
    static List<String> jvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-Xrunjdwp")) continue;
            cmd.add(a);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.lcm4j.cli.Main"));
        return cmd;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
