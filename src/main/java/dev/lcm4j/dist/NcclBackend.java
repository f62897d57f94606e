package dev.lcm4j.dist;

import dev.lcm4j.LcmException;
import java.time.Duration;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

/**
 * Builds {@code ProcessGroupNCCL}, the backend for CUDA tensors. Its classes need the {@code -gpu} natives: with the
 * CPU natives they fail to initialise ({@code TypeNotPresentException: org.bytedeco.cuda.presets.nccl}), so nothing
 * outside this class names them and {@link DistributedGroup} calls it only once a CUDA device is in use.
 */
final class NcclBackend {
    private NcclBackend() {}

    /**
     * @param client a store connection of this process's own (the backend takes ownership of it)
     */
    static Backend create(TCPStore client, int rank, int worldSize, Duration collectiveTimeout) {
        try {
            // own key space: Gloo and NCCL both publish their rendezvous keys in the same TCPStore
            PrefixStore store = new PrefixStore("lcm4j/nccl/", client);
            client.deallocate(false);
            ProcessGroupNCCL.Options options = ProcessGroupNCCL.Options.create();
            options.timeout(new Milliseconds(collectiveTimeout.toMillis()));
            ProcessGroupNCCL pg = new ProcessGroupNCCL(store, rank, worldSize, options);
            store.deallocate(false); // owned by the process group now
            return pg;
        } catch (TypeNotPresentException | LinkageError e) {
            throw new LcmException("CUDA tensors need NCCL, but its natives did not load (" + e + "); this needs the"
                    + " GPU build ('mvn -Pgpu -DskipTests package') and libnccl.so.2 on the library path");
        }
    }
}
