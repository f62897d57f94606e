package dev.lcm4j.cli;

import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.torch.Devices;
import org.bytedeco.pytorch.Device;
import picocli.CommandLine.Option;

/**
 * {@code --device} of the commands that run a model ({@code predict}, {@code generate}, {@code evaluate}) or a concept
 * encoder/decoder ({@code encode}, {@code decode}, {@code prepare}); {@code trainer.device} is train's. Under torchrun
 * or {@code srun}, {@code cuda} and {@code auto} mean {@code cuda:LOCAL_RANK}. SONAR follows the device; MiniLM and
 * sentence banks run on the CPU only (see {@link #placement()}).
 */
final class DeviceOption {
    @Option(names = "--device", defaultValue = Devices.AUTO,
            description = "cpu, cuda, cuda:N or auto (a GPU when this build has the GPU natives and one is visible; default ${DEFAULT-VALUE})")
    String device = Devices.AUTO;

    /** The device of the LCM (loads libtorch); one error line if this machine cannot give it. */
    Device resolve() {
        DistributedEnvironment env = DistributedEnvironment.fromEnvironment();
        return Devices.resolve(device, "--device", env.distributed() ? env.localRank() : -1);
    }

    /**
     * Where {@code encode}, {@code decode} and {@code prepare} run their concept encoder/decoder: SONAR on the resolved
     * device; MiniLM (ONNX Runtime's CPU build) and sentence banks on the CPU, except that a {@code cuda} the user
     * named is refused for them by name rather than ignored ({@code auto} means "a GPU where it can be used").
     */
    ConceptModels.Placement placement() {
        String v = Devices.checkSyntax(device, "--device");
        return new ConceptModels.Placement(resolve(), !v.equals(Devices.AUTO), "--device");
    }
}
