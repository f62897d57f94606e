package dev.lcm4j.dist;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processes of one job, joined in a c10d process group: a {@code TCPStore} served by rank 0 for the rendezvous and
 * small messages, {@code ProcessGroupGloo} for collectives on CPU tensors and, once {@link #useDevice} names a CUDA
 * device, {@code ProcessGroupNCCL} for CUDA tensors: each collective picks the backend by its tensor's device, as
 * PyTorch's process groups do. A single process gets {@link #single()}, whose
 * collectives do nothing, so the one-process path costs nothing.
 *
 * <p>Failures are one line, never a hang: a rank that does not join fails the others at the rendezvous timeout,
 * naming it; a collective that loses a peer (killed, crashed) fails at once, and the survivors name the lost rank
 * from the heartbeats every rank writes to the store; a stuck peer fails the collective timeout.
 */
public class DistributedGroup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DistributedGroup.class);
    private static final String HEARTBEAT = "lcm4j/heartbeat/";
    private static final long HEARTBEAT_MS = 1000;
    /** A rank whose heartbeat has not moved for this long while others wait for its message is taken as lost. */
    private static final long SILENT_MS = 15 * HEARTBEAT_MS;
    private static final long POLL_MS = 100;

    /**
     * @param rendezvous how long the ranks wait for each other at the start (a missing rank fails everyone then)
     * @param collective how long one collective may wait for a slow peer
     */
    public record Timeouts(Duration rendezvous, Duration collective) {
        public static Timeouts defaults() {
            return new Timeouts(Duration.ofMinutes(5), Duration.ofMinutes(30));
        }
    }

    private final DistributedEnvironment env;
    private final ProcessGroupGloo gloo;
    private volatile Backend nccl;      // built by useDevice(cuda) only: its classes need the GPU natives
    private final TCPStore store;       // owned by the process group once it is built
    private final TCPStore heartbeatStore;
    private final Thread heartbeat;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Timeouts timeouts;
    private long sequence;

    private static final DistributedGroup SINGLE = new DistributedGroup(DistributedEnvironment.single());

    private DistributedGroup(DistributedEnvironment env) {
        this.env = env;
        this.timeouts = Timeouts.defaults();
        this.gloo = null;
        this.store = null;
        this.heartbeatStore = null;
        this.heartbeat = null;
    }

    private DistributedGroup(DistributedEnvironment env, Timeouts timeouts) {
        this.env = env;
        this.timeouts = timeouts;
        String where = env.masterAddr() + ":" + env.masterPort();
        TCPStore s;
        try {
            s = new TCPStore(env.masterAddr(), storeOptions(env, timeouts, env.isMain()));
        } catch (RuntimeException e) {
            throw storeError(e, where, timeouts);
        }
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(new Milliseconds(timeouts.rendezvous().toMillis()));
        options.devices().push_back(ProcessGroupGloo.createDeviceForHostname(localAddress(env)));
        options.threads(2);
        try {
            this.gloo = new ProcessGroupGloo(s, env.rank(), env.worldSize(), options);
        } catch (RuntimeException e) {
            throw rendezvousError(e, where, timeouts);
        }
        s.deallocate(false); // the process group owns the store now; the Java handle stays valid while it lives
        this.store = s;
        gloo.setTimeout(new Milliseconds(timeouts.collective().toMillis()));
        this.heartbeatStore = new TCPStore(env.masterAddr(), storeOptions(env, timeouts, false));
        store.set(HEARTBEAT + env.rank() + "/who", bytes(ProcessHandle.current().pid() + " on " + hostName()));
        this.heartbeat = new Thread(this::beat, "lcm4j-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
        LOG.info("rank {} of {} joined the process group at {} ({})", env.rank(), env.worldSize(), where, env.source());
    }

    /** The group of one process: every collective returns its input. */
    public static DistributedGroup single() {
        return SINGLE;
    }

    /** Joins the job {@code env} describes ({@link #single()} for one process). */
    public static DistributedGroup join(DistributedEnvironment env, Timeouts timeouts) {
        return env.distributed() ? new DistributedGroup(env, timeouts) : SINGLE;
    }

    public DistributedEnvironment environment() {
        return env;
    }

    public int rank() {
        return env.rank();
    }

    public int worldSize() {
        return env.worldSize();
    }

    public boolean isMain() {
        return env.isMain();
    }

    public boolean distributed() {
        return env.distributed();
    }

    /**
     * Readies the collectives for tensors on {@code device}: for a CUDA device of a multi-process job, joins the
     * ranks' NCCL communicator (every rank must call this with its own CUDA device). CPU tensors keep using Gloo.
     */
    public synchronized void useDevice(Device device) {
        if (!distributed() || !device.is_cuda() || nccl != null) return;
        TCPStore client = new TCPStore(env.masterAddr(), storeOptions(env, timeouts, false));
        nccl = NcclBackend.create(client, env.rank(), env.worldSize(), timeouts.collective());
        LOG.info("rank {} reduces CUDA tensors with NCCL", env.rank());
    }

    /** Gloo for CPU tensors, NCCL for CUDA tensors. */
    private Backend backendFor(Tensor t) {
        if (!t.device().is_cuda()) return gloo;
        Backend b = nccl;
        if (b == null) throw new IllegalStateException("a CUDA tensor reached a collective before useDevice(cuda)");
        return b;
    }

    /** Sums {@code t} over the ranks, in place. */
    public void allreduceSum(Tensor t) {
        if (!distributed()) return;
        run("allreduce", () -> backendFor(t).allreduce(new TensorVector(t))._wait());
    }

    /** Sums every value over the ranks (float64: counts and loss sums stay exact). */
    public double[] allreduceSum(double... values) {
        if (!distributed()) return values.clone();
        Tensor t = torch.empty(new long[] {values.length}, Tensors.opts(ScalarType.Double, null), null);
        t.data_ptr_double().put(values);
        allreduceSum(t);
        double[] out = new double[values.length];
        t.data_ptr_double().get(out);
        return out;
    }

    /** The largest value over the ranks (e.g. "does any rank want to stop"). */
    public long allreduceMax(long value) {
        if (!distributed()) return value;
        Tensor t = Tensors.longs(new long[] {value}, 1);
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.MAX));
        run("allreduce", () -> gloo.allreduce(new TensorVector(t), o)._wait());
        return t.item_long();
    }

    /** Copies rank {@code root}'s {@code t} into every rank's, in place. */
    public void broadcast(Tensor t, int root) {
        if (!distributed()) return;
        BroadcastOptions o = new BroadcastOptions();
        o.rootRank(root);
        run("broadcast", () -> backendFor(t).broadcast(new TensorVector(t), o)._wait());
    }

    /**
     * {@code out} (numel n) = the sum over ranks of this rank's slice [rank * n, (rank + 1) * n) of {@code in} (numel
     * n * world); {@code in} is overwritten. On Gloo this is an allreduce of {@code in} and a copy of the slice: its
     * own reduce-scatter and allgather were measured about 8x slower than its allreduce for the same 117 MB on two
     * ranks (bench/README.md), so the allreduce moves more bytes but takes less time. NCCL's own are fast, so CUDA
     * tensors use them.
     */
    public void reduceScatterSum(Tensor out, Tensor in) {
        if (!distributed()) {
            out.copy_(in);
            return;
        }
        if (in.device().is_cuda()) {
            run("reduce_scatter", () -> backendFor(in)._reduce_scatter_base(out, in)._wait());
            return;
        }
        allreduceSum(in);
        out.copy_(in.narrow(0, rank() * out.numel(), out.numel()));
    }

    /**
     * {@code out} (numel n * world) = every rank's {@code in} (numel n), in rank order. On Gloo an allreduce of
     * {@code out} holding this rank's slice and zeros elsewhere (see {@link #reduceScatterSum}).
     */
    public void allgather(Tensor out, Tensor in) {
        if (!distributed()) {
            out.copy_(in);
            return;
        }
        if (in.device().is_cuda()) {
            run("allgather", () -> backendFor(in)._allgather_base(out, in)._wait());
            return;
        }
        out.zero_();
        out.narrow(0, rank() * in.numel(), in.numel()).copy_(in);
        allreduceSum(out);
    }

    public void barrier() {
        if (!distributed()) return;
        run("barrier", () -> gloo.barrier()._wait());
    }

    /** Every rank's {@code text}, in rank order (small messages through the store, e.g. data-loader positions). */
    public List<String> allgatherStrings(String text) {
        if (!distributed()) return List.of(text);
        String prefix = "lcm4j/gather/" + (sequence++) + "/";
        List<String> out = new ArrayList<>();
        run("allgather", () -> {
            store.set(prefix + env.rank(), bytes(text));
            StringVector keys = new StringVector();
            for (int r = 0; r < worldSize(); r++) keys.push_back(prefix + r);
            store._wait(keys);
            for (int r = 0; r < worldSize(); r++) out.add(string(store.get(prefix + r)));
        });
        barrier(); // every rank has read the keys before anyone reuses the store
        return out;
    }

    /**
     * Rank 0 gets every rank's {@code text} in rank order; the other ranks get an empty list. Made for results that
     * take each rank a different, possibly long time to compute (evaluation shards): rank 0 waits for the others
     * without a fixed deadline while their heartbeats go on, failing at once, naming the rank, when one stops, and
     * after the collective timeout if a live rank still has not sent. The messages go through the rendezvous store
     * and are deleted once read.
     */
    public List<String> gatherStrings(String text) {
        if (!distributed()) return List.of(text);
        String prefix = "lcm4j/gather/" + (sequence++) + "/";
        if (!isMain()) {
            run("gather", () -> store.set(prefix + rank(), bytes(text)));
            return List.of();
        }
        List<String> out = new ArrayList<>();
        out.add(text);
        List<Integer> others = new ArrayList<>();
        for (int r = 1; r < worldSize(); r++) others.add(r);
        awaitKeys("gather", prefix, others, timeouts.collective());
        run("gather", () -> {
            for (int r = 1; r < worldSize(); r++) {
                out.add(string(store.get(prefix + r)));
                store.deleteKey(prefix + r);
            }
        });
        return out;
    }

    /**
     * Rank 0's {@code text} on every rank (the others pass anything, e.g. null). The other ranks wait for rank 0 as
     * long as it is alive, however long that takes: rank 0 may itself be waiting for a slow rank in
     * {@link #gatherStrings}, which bounds that wait.
     */
    public String broadcastString(String text) {
        if (!distributed()) return text;
        String key = "lcm4j/broadcast/" + (sequence++) + "/0";
        if (isMain()) {
            run("broadcast", () -> store.set(key, bytes(text)));
            return text;
        }
        awaitKeys("broadcast", key.substring(0, key.length() - 1), List.of(0), null);
        String[] out = new String[1];
        run("broadcast", () -> out[0] = string(store.get(key)));
        return out[0];
    }

    /**
     * Waits until {@code prefix + r} is in the store for every rank r of {@code ranks}: fails naming a rank whose
     * heartbeat stopped, and after {@code limit} (null: no limit) naming the ranks still missing.
     */
    private void awaitKeys(String what, String prefix, List<Integer> ranks, Duration limit) {
        long start = System.nanoTime();
        long[] beat = null;
        long[] lastMove = new long[worldSize()];
        java.util.Arrays.fill(lastMove, start);
        List<Integer> missing = new ArrayList<>(ranks);
        while (true) {
            List<Integer> still = new ArrayList<>();
            try {
                for (int r : missing) {
                    StringVector k = new StringVector();
                    k.push_back(prefix + r);
                    if (!store.check(k)) still.add(r);
                }
            } catch (RuntimeException e) {
                throw lost(what, e);
            }
            missing = still;
            if (missing.isEmpty()) return;
            long now = System.nanoTime();
            long[] b = beats(what);
            for (int r : missing) {
                if (beat == null || b[r] != beat[r]) lastMove[r] = now;
                else if (now - lastMove[r] > SILENT_MS * 1_000_000L) {
                    throw new LcmException("rank " + rank() + ": rank " + r + " (" + who(r) + ") stopped (no heartbeat for "
                            + SILENT_MS / 1000 + " s) before sending its part of the " + what + "; this process stops too");
                }
            }
            beat = b;
            if (limit != null && now - start > limit.toNanos()) {
                throw new LcmException("rank " + rank() + ": ranks " + missing + " are alive but sent nothing for the " + what + " within "
                        + limit.toSeconds() + " s of this rank being ready (launcher.collective_timeout_s); a rank is stuck or far slower");
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LcmException("interrupted while waiting for the other ranks (" + what + ")");
            }
        }
    }

    private long[] beats(String what) {
        try {
            return beats();
        } catch (RuntimeException e) {
            throw lost(what, e);
        }
    }

    private void run(String what, Runnable collective) {
        try {
            collective.run();
        } catch (RuntimeException e) {
            throw lost(what, e);
        }
    }

    /** One line naming the lost rank(s), from heartbeats that stopped. */
    private LcmException lost(String what, RuntimeException cause) {
        String first = firstLine(cause.getMessage());
        if (first.contains("Timed out") || first.contains("timed out")) {
            return new LcmException(what + " timed out waiting for a peer (launcher.collective_timeout_s); a rank is stuck: " + first, cause);
        }
        List<String> stopped = new ArrayList<>();
        try {
            long[] before = beats();
            Thread.sleep(3 * HEARTBEAT_MS);
            long[] after = beats();
            for (int r = 0; r < worldSize(); r++) {
                if (r != rank() && after[r] == before[r]) stopped.add("rank " + r + " (" + who(r) + ")");
            }
        } catch (RuntimeException | InterruptedException e) {
            stopped.add("rank 0 (the rendezvous host " + env.masterAddr() + ")");
        }
        String lostRanks = stopped.isEmpty() ? "a peer" : String.join(", ", stopped);
        return new LcmException("rank " + rank() + ": lost " + lostRanks + " during " + what + " (" + first
                + "); this process stops too, resume from the last checkpoint", cause);
    }

    private long[] beats() {
        long[] out = new long[worldSize()];
        for (int r = 0; r < worldSize(); r++) out[r] = heartbeatStore.add(HEARTBEAT + r, 0);
        return out;
    }

    private String who(int r) {
        try {
            return string(heartbeatStore.get(HEARTBEAT + r + "/who"));
        } catch (RuntimeException e) {
            return "unknown process";
        }
    }

    private void beat() {
        String key = HEARTBEAT + rank();
        while (!closed.get()) {
            try {
                heartbeatStore.add(key, 1);
                Thread.sleep(HEARTBEAT_MS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                return; // the store is gone (rank 0 ended): the next collective reports it
            }
        }
    }

    @Override
    public void close() {
        if (!distributed() || !closed.compareAndSet(false, true)) return;
        heartbeat.interrupt();
        try {
            heartbeat.join(2 * HEARTBEAT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static TCPStoreOptions storeOptions(DistributedEnvironment env, Timeouts t, boolean server) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) env.masterPort());
        o.isServer(server);
        o.waitWorkers(false);
        o.numWorkers(new SizeTPointer(1).put(env.worldSize()));
        o.timeout(new Milliseconds(t.rendezvous().toMillis()));
        return o;
    }

    private static LcmException storeError(RuntimeException e, String where, Timeouts t) {
        String m = firstLine(e.getMessage());
        if (m.contains("EADDRINUSE") || m.contains("already in use")) {
            return new LcmException("MASTER_PORT " + where.substring(where.lastIndexOf(':') + 1) + " is in use on " + hostName()
                    + "; choose a free port (MASTER_PORT=..., or ./lcm launch --master-port P)", e);
        }
        return new LcmException("cannot reach the rendezvous store at " + where + " within " + t.rendezvous().toSeconds()
                + " s (is rank 0 running? launcher.rendezvous_timeout_s): " + m, e);
    }

    private static final Pattern MISSING = Pattern.compile("keys: ([/\\d, ]+)");

    private static LcmException rendezvousError(RuntimeException e, String where, Timeouts t) {
        String m = firstLine(e.getMessage());
        Matcher k = MISSING.matcher(m);
        if (m.contains("wait timeout") && k.find()) {
            List<String> ranks = new ArrayList<>();
            for (String key : k.group(1).split(",")) {
                String[] parts = key.strip().split("/");
                ranks.add(parts[parts.length - 1]);
            }
            return new LcmException("rank(s) " + String.join(", ", ranks) + " did not join the job at " + where + " within "
                    + t.rendezvous().toSeconds() + " s; start every worker (launcher.rendezvous_timeout_s sets the wait)", e);
        }
        return new LcmException("cannot form the process group at " + where + ": " + m, e);
    }

    private static String localAddress(DistributedEnvironment env) {
        String a = env.masterAddr();
        if (a.equals("127.0.0.1") || a.equals("localhost") || a.equals("::1")) return "127.0.0.1";
        return hostName();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("").strip();
    }

    private static ByteVector bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ByteVector v = new ByteVector(b.length);
        for (int i = 0; i < b.length; i++) v.put(i, b[i]);
        return v;
    }

    private static String string(ByteVector v) {
        byte[] b = new byte[(int) v.size()];
        for (int i = 0; i < b.length; i++) b[i] = v.get(i);
        return new String(b, StandardCharsets.UTF_8);
    }
}
