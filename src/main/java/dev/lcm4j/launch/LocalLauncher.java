package dev.lcm4j.launch;

import dev.lcm4j.LcmException;
import dev.lcm4j.cards.CardSearchPath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ./lcm launch --nproc-per-node N [--max-restarts K] COMMAND ...}: lcm4j's {@code torchrun --standalone}. It
 * starts N worker JVMs running {@code ./lcm COMMAND ...} with torchrun's environment ({@code RANK},
 * {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR=127.0.0.1},
 * {@code MASTER_PORT}, {@code TORCHELASTIC_RESTART_COUNT}) and an equal share of the cores each. When a worker fails,
 * the others are stopped; with restarts left, all N start again (a training run resumes from its last checkpoint),
 * else the launcher exits with the failed worker's code. Output lines are prefixed with {@code [rank N]}.
 */
public final class LocalLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(LocalLauncher.class);

    /**
     * @param nprocPerNode  workers to start
     * @param maxRestarts   how often all workers are restarted after a failure
     * @param masterPort    port of rank 0's rendezvous store; 0 picks a free one
     * @param threadsPerWorker intra-op threads per worker; 0: the cores divided among the workers
     */
    public record Options(int nprocPerNode, int maxRestarts, int masterPort, int threadsPerWorker) {
        public Options {
            if (nprocPerNode < 1) throw new LcmException("--nproc-per-node must be at least 1, got " + nprocPerNode);
            if (maxRestarts < 0) throw new LcmException("--max-restarts must not be negative, got " + maxRestarts);
            if (masterPort < 0 || masterPort > 65535) throw new LcmException("--master-port " + masterPort + " is not a port number");
            if (threadsPerWorker < 0) throw new LcmException("--threads-per-worker must not be negative");
        }
    }

    private final Options options;
    private final List<String> workerJvm;
    private final PrintStream out;

    /** Workers run this JVM's java binary, JVM options and class path. */
    public LocalLauncher(Options options, PrintStream out) {
        this(options, currentJvm(), out);
    }

    /** Workers run {@code mainClass} (instead of the lcm command line) in a JVM like this one: for tests and tools. */
    public static LocalLauncher forMainClass(Options options, String mainClass, PrintStream out) {
        List<String> jvm = new ArrayList<>(currentJvm());
        jvm.set(jvm.size() - 1, mainClass);
        return new LocalLauncher(options, jvm, out);
    }

    LocalLauncher(Options options, List<String> workerJvm, PrintStream out) {
        this.options = options;
        this.workerJvm = workerJvm;
        this.out = out;
    }

    /** The command that starts {@code dev.lcm4j.cli.Main} in a JVM like this one. */
    public static List<String> currentJvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-Xrunjdwp")) continue; // no debugger per worker
            cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.lcm4j.cli.Main");
        return cmd;
    }

    /** Runs {@code command} (an lcm subcommand and its arguments) on every worker; returns the exit code. */
    public int run(List<String> command) {
        if (command.isEmpty()) throw new LcmException("give the command the workers run, e.g. ./lcm launch --nproc-per-node 2 train +pretrain=mse ...");
        int port = options.masterPort() != 0 ? options.masterPort() : freePort();
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = options.threadsPerWorker() > 0 ? options.threadsPerWorker() : Math.max(1, cores / options.nprocPerNode());
        for (int attempt = 0; ; attempt++) {
            Failure f = runOnce(command, port, threads, attempt);
            if (f == null) return 0;
            if (attempt >= options.maxRestarts()) {
                out.println("launch: worker rank " + f.rank + " (pid " + f.pid + ") exited with " + describe(f.code)
                        + "; the other workers were stopped" + (options.maxRestarts() > 0 ? " (no restarts left)" : ""));
                return f.code == 0 ? 1 : f.code;
            }
            out.println("launch: worker rank " + f.rank + " exited with " + describe(f.code) + "; restarting all "
                    + options.nprocPerNode() + " workers (restart " + (attempt + 1) + " of " + options.maxRestarts() + ")");
            // a fresh port: the old rendezvous store may linger in TIME_WAIT
            if (options.masterPort() == 0) port = freePort();
        }
    }

    private record Failure(int rank, long pid, int code) {}

    private Failure runOnce(List<String> command, int port, int threads, int restartCount) {
        List<Process> workers = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        Thread stopper = new Thread(() -> workers.forEach(Process::destroyForcibly));
        Runtime.getRuntime().addShutdownHook(stopper); // a killed launcher takes its workers with it
        try {
            for (int rank = 0; rank < options.nprocPerNode(); rank++) {
                List<String> cmd = new ArrayList<>(workerJvm);
                cmd.addAll(command);
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
                Map<String, String> env = pb.environment();
                env.put("RANK", String.valueOf(rank));
                env.put("LOCAL_RANK", String.valueOf(rank));
                env.put("WORLD_SIZE", String.valueOf(options.nprocPerNode()));
                env.put("LOCAL_WORLD_SIZE", String.valueOf(options.nprocPerNode()));
                env.put("GROUP_RANK", "0");
                env.put("MASTER_ADDR", "127.0.0.1");
                env.put("MASTER_PORT", String.valueOf(port));
                env.put("TORCHELASTIC_RESTART_COUNT", String.valueOf(restartCount));
                env.put("TORCHELASTIC_MAX_RESTARTS", String.valueOf(options.maxRestarts()));
                env.put("LCM_NUM_THREADS", String.valueOf(threads));
                env.put("OMP_NUM_THREADS", String.valueOf(threads));
                // a card path an embedding application set for this JVM holds for its workers too
                String cards = System.getProperty(CardSearchPath.VARIABLE);
                if (cards != null) env.put(CardSearchPath.VARIABLE, cards);
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new LcmException("cannot start worker " + rank + " (" + cmd.get(0) + "): " + e.getMessage());
                }
                workers.add(p);
                pumps.add(pump(p.getInputStream(), "[rank " + rank + "] "));
            }
            // wait until all succeed or one fails
            while (true) {
                boolean allDone = true;
                for (int rank = 0; rank < workers.size(); rank++) {
                    Process p = workers.get(rank);
                    if (p.isAlive()) {
                        allDone = false;
                        continue;
                    }
                    if (p.exitValue() != 0) {
                        Failure f = new Failure(rank, p.pid(), p.exitValue());
                        stopAll(workers);
                        joinAll(pumps);
                        return f;
                    }
                }
                if (allDone) {
                    joinAll(pumps);
                    return null;
                }
                try {
                    workers.stream().filter(Process::isAlive).findFirst().ifPresent(p -> waitFor(p, 200));
                } catch (RuntimeException e) {
                    stopAll(workers);
                    throw e;
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway
            }
        }
    }

    /** Stops the workers that still run: a polite signal first, then a kill after a grace period. */
    private static void stopAll(List<Process> workers) {
        for (Process p : workers) if (p.isAlive()) p.destroy();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Process p : workers) {
            long left = deadline - System.nanoTime();
            try {
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void waitFor(Process p, long millis) {
        try {
            p.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LcmException("interrupted while waiting for the workers");
        }
    }

    private Thread pump(InputStream in, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (out) {
                        out.println(prefix + line);
                    }
                }
            } catch (IOException e) {
                LOG.debug("worker output closed: {}", e.getMessage());
            }
        }, "lcm4j-launch-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void joinAll(List<Thread> pumps) {
        for (Thread t : pumps) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String describe(int code) {
        return code > 128 ? "code " + code + " (killed by signal " + (code - 128) + ")" : "code " + code;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new LcmException("cannot find a free port for the rendezvous store: " + e.getMessage());
        }
    }
}
