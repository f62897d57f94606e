package dev.lcm4j.cli;

import dev.lcm4j.launch.LocalLauncher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./lcm launch}: N local worker processes of one lcm command, as {@code torchrun --standalone}. */
@Command(name = "launch", description = {"Runs an lcm command in N local worker processes joined in one process group,",
        "as torchrun --standalone --nproc-per-node N does:",
        "  ./lcm launch --nproc-per-node 2 train +pretrain=mse ++trainer.output_dir=OUT ...",
        "If a worker fails the others are stopped; --max-restarts K restarts all of them (training resumes from its",
        "last checkpoint). Workers get RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT and a share of the cores."})
final class LaunchCommand implements Callable<Integer> {
    @Option(names = {"--nproc-per-node", "--nproc_per_node"}, required = true, description = "Worker processes to start")
    int nproc;

    @Option(names = {"--max-restarts", "--max_restarts"}, defaultValue = "0",
            description = "How often all workers are restarted after one fails (default 0)")
    int maxRestarts;

    @Option(names = {"--master-port", "--master_port"}, defaultValue = "0",
            description = "Port of rank 0's rendezvous store (default: a free port)")
    int masterPort;

    @Option(names = "--threads-per-worker", defaultValue = "0",
            description = "Intra-op threads per worker (default: the cores divided among the workers)")
    int threads;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The lcm command and its arguments")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        return new LocalLauncher(new LocalLauncher.Options(nproc, maxRestarts, masterPort, threads), System.out).run(command);
    }
}
