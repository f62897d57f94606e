package dev.lcm4j.train;

import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.dist.DistributedGroup;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.pytorch.BackendOptional;
import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The alternative the benchmark measures against {@link ReplicatedUpdater}: libtorch's own DDP {@code c10d::Reducer},
 * which hooks every parameter's gradient accumulator and allreduces a bucket (PyTorch's default 25 MB, 1 MB first) as
 * soon as backward has produced all of its gradients, overlapping communication with the rest of backward. Only the
 * last micro-batch's backward is armed ({@code prepare_for_backward}), as DDP's {@code no_sync} does. The built-in
 * ALLREDUCE comm hook sums without dividing, so the result is the same sum {@link ReplicatedUpdater} computes.
 *
 * <p>It runs on its own Gloo process group (port MASTER_PORT + 1) so the bench needs nothing from
 * {@code DistributedGroup}'s internals.
 */
final class OverlappedReducerUpdater implements ParameterUpdater {
    /** Clipping and AdamW exactly as the trainer's, on a group of one: it communicates nothing. */
    private final ReplicatedUpdater local;
    private final Reducer reducer;
    private final ProcessGroup processGroup;

    OverlappedReducerUpdater(AdamW optimizer, List<Tensor> params, DistributedEnvironment env) {
        this.local = new ReplicatedUpdater(optimizer, params, DistributedGroup.single());
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) (env.masterPort() + 1));
        o.isServer(env.isMain());
        o.waitWorkers(false);
        o.numWorkers(new SizeTPointer(1).put(env.worldSize()));
        o.timeout(new Milliseconds(120_000));
        TCPStore store = new TCPStore(env.masterAddr(), o);
        ProcessGroupGloo.Options go = ProcessGroupGloo.Options.create(new Milliseconds(120_000));
        go.devices().push_back(ProcessGroupGloo.createDeviceForHostname("127.0.0.1"));
        go.threads(2);
        ProcessGroupGloo gloo = new ProcessGroupGloo(store, env.rank(), env.worldSize(), go);
        processGroup = new ProcessGroup(env.rank(), env.worldSize());
        processGroup.setBackend(torch.DeviceType.CPU, ProcessGroup.BackendType.GLOO, new BackendOptional(gloo));
        processGroup.setDefaultBackend(ProcessGroup.BackendType.GLOO);

        TensorVector tv = new TensorVector(params.toArray(new Tensor[0]));
        SizeTVector caps = new SizeTVector(torch.kDefaultFirstBucketBytes(), torch.kDefaultBucketBytesCap());
        SizeTVectorVector assigned = torch.compute_bucket_assignment_by_size(tv, caps).get0();
        // gradients arrive last layer first: DDP hands the buckets to the Reducer in reverse order
        long n = assigned.size();
        SizeTVectorVector buckets = new SizeTVectorVector(n);
        for (long i = 0; i < n; i++) buckets.put(i, assigned.get(n - 1 - i));
        BoolVector sparse = new BoolVector(params.size());
        for (int i = 0; i < params.size(); i++) sparse.put(i, false);
        reducer = new Reducer(tv, buckets, processGroup, sparse, torch.kDefaultBucketBytesCap(), false, false,
                new SizeTStringMap(), torch.kDefaultFirstBucketBytes(), false, false);
        reducer.register_builtin_comm_hook(torch.BuiltinCommHookType.ALLREDUCE);
    }

    @Override
    public void zeroGrad() {
        local.zeroGrad();
    }

    @Override
    public void beforeBackward(boolean lastMicroBatch) {
        if (lastMicroBatch) reducer.prepare_for_backward(new TensorVector());
    }

    @Override
    public double reduceGradients() {
        return local.reduceGradients(); // the Reducer summed them during backward; this is the norm alone
    }

    @Override
    public double update(double lr, double normFactor, double maxGradNorm, double rawNorm) {
        return local.update(lr, normFactor, maxGradNorm, rawNorm);
    }

    @Override
    public Map<String, Object> stateDict() {
        return local.stateDict();
    }

    @Override
    public void loadStateDict(Map<String, Object> dict, String source) {
        local.loadStateDict(dict, source);
    }

    @Override
    public long optimizerStateBytes() {
        return local.optimizerStateBytes();
    }

    @Override
    public double lastCommunicationSeconds() {
        return 0; // overlapped with backward: not separable from the step's time
    }
}
