package dev.lcm4j.dist;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where this process stands in a multi-process job, read from the environment the way PyTorch's launchers write it:
 * <ul>
 *   <li><b>torchrun</b> (and {@code ./lcm launch}): {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK},
 *       {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT}, {@code TORCHELASTIC_RESTART_COUNT};</li>
 *   <li><b>SLURM</b>, inside an {@code srun} task when no {@code WORLD_SIZE} is set: derived from
 *       {@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_LOCALID}, {@code SLURM_NTASKS_PER_NODE}, the first
 *       host of {@code SLURM_JOB_NODELIST} and a port derived from {@code SLURM_JOB_ID}, as submitit's
 *       {@code TorchDistributedEnvironment} does ({@code MASTER_ADDR}/{@code MASTER_PORT} win when set);</li>
 *   <li>otherwise a single process (rank 0 of 1).</li>
 * </ul>
 *
 * @param rank           global rank, 0 .. worldSize-1
 * @param worldSize      number of processes
 * @param localRank      rank on this node (selects the GPU when there are several)
 * @param localWorldSize processes on this node
 * @param masterAddr     host of rank 0, where the rendezvous store listens (null for a single process)
 * @param masterPort     port of the rendezvous store
 * @param restartCount   how often the launcher restarted the workers ({@code TORCHELASTIC_RESTART_COUNT}, SLURM requeues)
 * @param source         "torchrun", "slurm" or "single"
 */
public record DistributedEnvironment(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr,
                                     int masterPort, int restartCount, String source) {

    /** The port a SLURM job's rendezvous uses when MASTER_PORT is not set: a function of the job id, like submitit. */
    static final int SLURM_PORT_BASE = 20_000;

    public static DistributedEnvironment single() {
        return new DistributedEnvironment(0, 1, 0, 1, null, 0, 0, "single");
    }

    /** The environment of this process. */
    public static DistributedEnvironment fromEnvironment() {
        return from(System.getenv());
    }

    public static DistributedEnvironment from(Map<String, String> env) {
        if (env.get("WORLD_SIZE") != null) return torchrun(env);
        if (env.get("SLURM_PROCID") != null && env.get("SLURM_NTASKS") != null && env.get("SLURM_STEP_ID") != null) {
            return slurm(env);
        }
        if (env.get("RANK") != null) {
            throw new LcmException("RANK=" + env.get("RANK") + " is set but WORLD_SIZE is not; set both (torchrun and ./lcm launch set them)");
        }
        return single();
    }

    /** Whether more than one process takes part. */
    public boolean distributed() {
        return worldSize > 1;
    }

    public boolean isMain() {
        return rank == 0;
    }

    private static DistributedEnvironment torchrun(Map<String, String> env) {
        int world = positive(env, "WORLD_SIZE");
        int rank = nonNegative(env, "RANK", world == 1 ? "0" : null);
        if (rank >= world) {
            throw new LcmException("RANK=" + rank + " must be smaller than WORLD_SIZE=" + world + " (ranks are 0.." + (world - 1) + ")");
        }
        int localRank = nonNegative(env, "LOCAL_RANK", String.valueOf(rank));
        int localWorld = positive(env, "LOCAL_WORLD_SIZE", String.valueOf(world));
        int restarts = nonNegative(env, "TORCHELASTIC_RESTART_COUNT", "0");
        if (world == 1) return new DistributedEnvironment(0, 1, localRank, localWorld, env.get("MASTER_ADDR"), 0, restarts, "torchrun");
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) {
            throw new LcmException("WORLD_SIZE=" + world + " needs MASTER_ADDR (the host of rank 0) and MASTER_PORT; "
                    + "start the workers with torchrun or ./lcm launch --nproc-per-node N, which set them");
        }
        int port = port(env.get("MASTER_PORT"), "MASTER_PORT");
        return new DistributedEnvironment(rank, world, localRank, localWorld, addr, port, restarts, "torchrun");
    }

    private static DistributedEnvironment slurm(Map<String, String> env) {
        int world = positive(env, "SLURM_NTASKS");
        int rank = nonNegative(env, "SLURM_PROCID", null);
        if (rank >= world) throw new LcmException("SLURM_PROCID=" + rank + " is not below SLURM_NTASKS=" + world);
        int localRank = nonNegative(env, "SLURM_LOCALID", "0");
        String perNode = env.getOrDefault("SLURM_NTASKS_PER_NODE", String.valueOf(world));
        int localWorld = leadingInt(perNode, world);
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) {
            String nodes = env.getOrDefault("SLURM_JOB_NODELIST", env.get("SLURM_NODELIST"));
            if (nodes == null) throw new LcmException("inside a SLURM step without SLURM_JOB_NODELIST; set MASTER_ADDR");
            addr = firstHost(nodes);
        }
        int port;
        if (env.get("MASTER_PORT") != null) {
            port = port(env.get("MASTER_PORT"), "MASTER_PORT");
        } else {
            long job = Long.parseLong(env.getOrDefault("SLURM_JOB_ID", "0").trim());
            port = SLURM_PORT_BASE + (int) (job % 20_000);
        }
        int restarts = nonNegative(env, "SLURM_RESTART_COUNT", "0");
        return new DistributedEnvironment(rank, world, localRank, localWorld, addr, port, restarts, "slurm");
    }

    /**
     * The first host of a SLURM node list: {@code node1}, {@code node[3-5,9]} -> node3, {@code gpu-[007-010],cpu1}
     * -> gpu-007 (zero padding kept).
     */
    static String firstHost(String nodeList) {
        String first = splitTop(nodeList.strip()).get(0);
        int open = first.indexOf('[');
        if (open < 0) return first;
        String prefix = first.substring(0, open);
        String range = first.substring(open + 1, first.indexOf(']', open));
        String firstItem = range.split(",")[0];
        String start = firstItem.split("-")[0];
        return prefix + start + first.substring(first.indexOf(']', open) + 1);
    }

    /** Splits a node list at the commas that are not inside brackets. */
    private static List<String> splitTop(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0, from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) {
                out.add(s.substring(from, i));
                from = i + 1;
            }
        }
        out.add(s.substring(from));
        return out;
    }

    /** {@code 2(x3)} or {@code 4,2} (SLURM's per-node counts): the first number. */
    private static int leadingInt(String s, int fallback) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (!Character.isDigit(c)) break;
            b.append(c);
        }
        return b.length() == 0 ? fallback : Integer.parseInt(b.toString());
    }

    private static int positive(Map<String, String> env, String key) {
        return positive(env, key, null);
    }

    private static int positive(Map<String, String> env, String key, String fallback) {
        int v = integer(env, key, fallback);
        if (v < 1) throw new LcmException(key + "=" + v + " must be at least 1");
        return v;
    }

    private static int nonNegative(Map<String, String> env, String key, String fallback) {
        int v = integer(env, key, fallback);
        if (v < 0) throw new LcmException(key + "=" + v + " must not be negative");
        return v;
    }

    private static int integer(Map<String, String> env, String key, String fallback) {
        String v = env.get(key);
        if (v == null || v.isBlank()) v = fallback;
        if (v == null) throw new LcmException(key + " is not set; it is needed with WORLD_SIZE (torchrun and ./lcm launch set it)");
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new LcmException(key + "='" + v + "' is not an integer");
        }
    }

    private static int port(String v, String key) {
        if (v == null || v.isBlank()) throw new LcmException(key + " is not set; give the port of rank 0's rendezvous store (e.g. 29500)");
        int p;
        try {
            p = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new LcmException(key + "='" + v + "' is not a port number");
        }
        if (p < 1 || p > 65535) throw new LcmException(key + "=" + p + " is not a port number (1..65535)");
        return p;
    }
}
