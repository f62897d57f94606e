package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.torch.Devices;
import org.bytedeco.pytorch.Device;
import picocli.CommandLine.Option;

/**
 * {@code --device} of the commands that run a model ({@code predict}, {@code generate}, {@code evaluate}) or a concept
 * encoder/decoder ({@code encode}, {@code decode}, {@code prepare}); {@code trainer.device} is train's. Under torchrun
 * or {@code srun}, {@code cuda} and {@code auto} mean {@code cuda:LOCAL_RANK}.
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
     * The device of the concept encoders and decoders (SONAR, MiniLM), which run on the CPU in this version: the
     * SONAR port creates its tensors on the CPU and MiniLM runs on ONNX Runtime's CPU build. {@code auto} is the CPU
     * here; an explicit {@code cuda} is refused by name rather than ignored.
     */
    Device resolveForConceptModels(String command) {
        String v = Devices.checkSyntax(device, "--device");
        if (v.startsWith("cuda")) {
            throw new LcmException("--device " + v + ": " + command + " runs its concept encoder/decoder (SONAR, MiniLM)"
                    + " on the CPU in this version; use --device cpu (or auto)");
        }
        return Devices.cpu();
    }
}
