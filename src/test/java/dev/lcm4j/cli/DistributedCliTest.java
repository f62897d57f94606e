package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.launch.LocalLauncher;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.testing.Cli;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training in several processes as a user runs it: {@code ./lcm launch --nproc-per-node 2 train ...}, a worker killed
 * with kill -9 and the run restarted and resumed exactly, a lost peer named by the survivor, a rank that never joins,
 * a port in use and a bad environment, each a single error line and a non-zero exit, never a hang.
 */
@Tag("slow")
class DistributedCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void setUp() {
        data = tmp.resolve("synth");
        SyntheticData.write(data, "distsynth", 400, 16, 3);
    }

    static List<String> train(Path out, int steps, int every, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=mse", "++trainer.output_dir=" + out, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 64, max_seq_len: 256, lcm: {num_layers: 2, num_attn_heads: 2, ffn_inner_dim: 128}}",
                "++trainer.training_data=[{name: distsynth=train}]", "++trainer.validation_data=[{name: distsynth=validation}]",
                "++trainer.dtype=torch.float32", "++trainer.max_steps=" + steps, "++trainer.num_lr_warmup_steps=2",
                "++trainer.lr=0.002", "++trainer.checkpoint_every_n_steps=" + every, "++trainer.save_model_every_n_steps=" + every,
                "++trainer.validate_every_n_steps=" + steps, "++trainer.publish_metrics_every_n_steps=1",
                "++trainer.keep_last_n_checkpoints=-1", "++trainer.data_loading_config.max_tokens=300",
                "++launcher.rendezvous_timeout_s=30"));
        a.addAll(List.of(extra));
        return a;
    }

    /** {@code ./lcm launch ARGS} in this JVM (its workers are child JVMs); stdout and stderr captured. */
    static Cli.Outcome launch(List<String> args) {
        List<String> a = new ArrayList<>(List.of("launch", "--nproc-per-node", "2"));
        a.addAll(args);
        return Cli.exec(a);
    }

    record Proc(int code, String output) {}

    /** One worker JVM with the given environment (beyond the cards path). */
    static Process worker(List<String> args, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(LocalLauncher.currentJvm());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("LCM_CARDS_PATH", data.toString());
        pb.environment().put("LCM_NUM_THREADS", "1");
        return pb.start();
    }

    static Proc finish(Process p, long seconds) throws Exception {
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
            return new Proc(-1, "did not finish within " + seconds + " s");
        }
        return new Proc(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static Map<String, String> rankEnv(int rank, int world, int port) {
        Map<String, String> env = new HashMap<>();
        env.put("RANK", String.valueOf(rank));
        env.put("WORLD_SIZE", String.valueOf(world));
        env.put("MASTER_ADDR", "127.0.0.1");
        env.put("MASTER_PORT", String.valueOf(port));
        return env;
    }

    /** A process whose command line has {@code argument} (read from /proc: this JVM's ProcessHandle sees no children here). */
    static Long pidWithArgument(String argument) throws IOException {
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : dirs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(d.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.contains("dev.lcm4j.cli.Main") && List.of(cmd.split("\u0000")).contains(argument)) {
                        return Long.parseLong(d.getFileName().toString());
                    }
                } catch (IOException e) {
                    // the process ended meanwhile
                }
            }
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<Double> trainLosses(Path run) throws IOException {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.path("run").asText().equals("Train")) out.add(n.path("loss").asDouble());
        }
        return out;
    }

    @Test
    void twoProcessesTrainAndOnlyRankZeroWrites() throws Exception {
        Path out = tmp.resolve("two");
        System.setProperty("LCM_CARDS_PATH", data.toString());
        try {
            Cli.Outcome o = launch(train(out, 6, 3));
            assertEquals(0, o.code(), o.out() + o.err());
            assertTrue(o.out().contains("[rank 0] trained to step 6"), o.out());
            assertFalse(o.out().contains("[rank 1] trained to step"), "rank 1 does not report");
            List<Double> losses = trainLosses(out);
            assertEquals(6, losses.size(), "one Train line per step, from rank 0 only");
            assertTrue(losses.get(5) < losses.get(0), "loss falls: " + losses);
            String state = Files.readString(out.resolve("checkpoints/step_6/trainer_state.yaml"));
            assertTrue(state.contains("world_size: 2") && state.contains("ranks:"), state);
            // the same checkpoint cannot continue in one process: each rank's data position is its own
            Cli.Outcome single = Cli.exec(train(out, 8, 3));
            Cli.assertUserError(single, "was written by 2 process(es) but this run has 1");
        } finally {
            System.clearProperty("LCM_CARDS_PATH");
        }
    }

    @Test
    void killedWorkerIsRestartedAndTheRunResumesExactly() throws Exception {
        System.setProperty("LCM_CARDS_PATH", data.toString());
        try {
            Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
            assertEquals(0, launch(train(whole, 60, 5)).code());
            AtomicInteger code = new AtomicInteger(-1);
            List<String> args = new ArrayList<>(List.of("--max-restarts", "1"));
            args.addAll(train(killed, 60, 5));
            Cli.Outcome[] result = new Cli.Outcome[1];
            Thread t = new Thread(() -> result[0] = launch(args));
            t.start();
            // kill -9 one worker once the first checkpoint exists (the run is then early on)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            Long victim = null;
            while (victim == null && System.nanoTime() < deadline) {
                victim = pidWithArgument("++trainer.output_dir=" + killed);
                Thread.sleep(5);
            }
            assertTrue(victim != null, "no worker started");
            Path first = killed.resolve("checkpoints/step_5/model.pt");
            while (!Files.exists(first) && System.nanoTime() < deadline) Thread.sleep(5);
            assertTrue(Files.exists(first) && Files.exists(Path.of("/proc/" + victim)), "the worker finished before it could be killed");
            new ProcessBuilder("kill", "-9", String.valueOf(victim)).start().waitFor();
            t.join(TimeUnit.MINUTES.toMillis(3));
            assertFalse(t.isAlive(), "the launcher did not finish");
            assertEquals(0, result[0].code(), result[0].out());
            assertTrue(result[0].out().contains("restarting all 2 workers (restart 1 of 1)"), result[0].out());
            assertTrue(result[0].out().contains("resuming"), "the restarted workers resume from a checkpoint: " + result[0].out());
            Map<String, StoredTensor> a = Checkpoints.readState(whole.resolve("checkpoints/step_60/model.pt"));
            Map<String, StoredTensor> b = Checkpoints.readState(killed.resolve("checkpoints/step_60/model.pt"));
            for (String k : a.keySet()) {
                float[] x = a.get(k).toFloatArray(), y = b.get(k).toFloatArray();
                for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6, k + "[" + i + "]");
            }
        } finally {
            System.clearProperty("LCM_CARDS_PATH");
        }
    }

    @Test
    void aKilledPeerIsNamedByTheSurvivorWhichStops() throws Exception {
        Path out = tmp.resolve("lost");
        int port = freePort();
        Process r0 = worker(train(out, 100_000, 100_000), rankEnv(0, 2, port));
        Process r1 = worker(train(out, 100_000, 100_000), rankEnv(1, 2, port));
        Path metrics = out.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while ((!Files.exists(metrics) || Files.size(metrics) == 0) && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(Files.exists(metrics), "training never started");
        r1.destroyForcibly(); // SIGKILL
        long t0 = System.nanoTime();
        Proc p = finish(r0, 60);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(p.code() > 0, "rank 0 must fail, got " + p.code() + ": " + p.output());
        assertTrue(seconds < 60, "rank 0 took " + seconds + " s");
        List<String> errors = p.output().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), p.output());
        assertTrue(errors.get(0).contains("lost rank 1"), errors.get(0));
    }

    @Test
    void aRankThatNeverJoinsFailsTheOthersAtTheRendezvousTimeout() throws Exception {
        Path out = tmp.resolve("alone");
        long t0 = System.nanoTime();
        Proc p = finish(worker(train(out, 2, 2, "++launcher.rendezvous_timeout_s=5"), rankEnv(0, 2, freePort())), 90);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(2, p.code(), p.output());
        assertTrue(p.output().contains("error: rank(s) 1 did not join the job at 127.0.0.1:") && p.output().contains("within 5 s"), p.output());
        assertTrue(seconds < 60, "took " + seconds + " s");
    }

    @Test
    void aPortInUseAndABadEnvironmentAreOneLine() throws Exception {
        Path out = tmp.resolve("port");
        try (ServerSocket busy = new ServerSocket(0)) {
            Proc p = finish(worker(train(out, 2, 2), rankEnv(0, 2, busy.getLocalPort())), 90);
            assertEquals(2, p.code(), p.output());
            assertTrue(p.output().contains("error: MASTER_PORT " + busy.getLocalPort() + " is in use"), p.output());
        }
        Proc noAddr = finish(worker(train(out, 2, 2), Map.of("RANK", "0", "WORLD_SIZE", "2")), 60);
        assertEquals(2, noAddr.code(), noAddr.output());
        assertTrue(noAddr.output().contains("error: WORLD_SIZE=2 needs MASTER_ADDR"), noAddr.output());
        Proc bigRank = finish(worker(train(out, 2, 2), rankEnv(2, 2, 29400)), 60);
        assertEquals(2, bigRank.code(), bigRank.output());
        assertTrue(bigRank.output().contains("error: RANK=2 must be smaller than WORLD_SIZE=2"), bigRank.output());
        assertFalse(Files.exists(out.resolve("checkpoints")), "nothing written");
    }
}
