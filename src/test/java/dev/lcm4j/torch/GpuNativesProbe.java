package dev.lcm4j.torch;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Run in a child JVM by {@link GpuBuildOnCpuTest}: which natives loaded, and which libtorch files the process maps. */
public final class GpuNativesProbe {
    public static void main(String[] args) throws Exception {
        TorchRuntime.init();
        Tensor x = Tensors.floats(new float[] {1, 2, 3, 4}, 2, 2).requires_grad_(true);
        x.matmul(x).sum().backward();
        System.out.println("natives=" + TorchRuntime.natives());
        System.out.println("grad=" + java.util.Arrays.toString(Tensors.toFloats(x.grad())));
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.contains("libtorch") || line.contains("libc10") || line.contains("libcuda")) {
                System.out.println("maps " + line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        System.out.println("cuda_is_available=" + torch.cuda_is_available());
    }
}
