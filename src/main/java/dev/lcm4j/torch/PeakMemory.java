package dev.lcm4j.torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * The most memory this process has held, in MiB (2^20 bytes): on the CPU the peak resident set size (Linux's
 * {@code VmHWM} in {@code /proc/self/status}: JVM heap, libtorch tensors and everything else the process touched);
 * on CUDA the most bytes the caching allocator had handed out on the device (what {@code torch.cuda.max_memory_allocated}
 * reports).
 */
public final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakMemory() {}

    /**
     * @param cudaDevice the CUDA device index the model lives on, or -1 for the CPU
     * @return the peak in MiB, or NaN where it cannot be read (no {@code /proc}, e.g. macOS)
     */
    public static double mib(int cudaDevice) {
        return cudaDevice >= 0 ? cudaMib(cudaDevice) : residentMib();
    }

    /** Peak resident set size ({@code VmHWM}, in kB in the file), or NaN without {@code /proc/self/status}. */
    public static double residentMib() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** Peak bytes allocated by libtorch's CUDA caching allocator on {@code device} (its aggregate pool). */
    public static double cudaMib(int device) {
        return torch_cuda.getAllocator().getDeviceStats((byte) device).allocated_bytes().peak() / (1024.0 * 1024.0);
    }
}
