package dev.lcm4j.torch;

import java.io.File;
import java.io.IOException;
import org.bytedeco.javacpp.Loader;
import dev.lcm4j.LcmException;
import java.net.URL;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch safely. Call {@link #init()} before any {@code org.bytedeco.pytorch} class is initialised.
 *
 * <p>Why: JavaCPP extracts and loads the natives one by one (c10, torch, torch_cpu). With an empty cache the small
 * {@code libtorch.so} needs {@code libtorch_cpu.so} before it has been extracted, so the dynamic linker falls back to
 * the system path; where a system libtorch exists (Debian's python3-torch brings PyTorch 1.13) two libtorch versions
 * end up in one process and the first JVM dies with SIGSEGV in {@code c10::Dispatcher}. The fix:
 * extract the whole native folder first, then load libgomp, libc10 and libtorch_cpu by absolute path so that no
 * later lookup by soname can pick another copy, then let JavaCPP load the rest.
 */
public final class TorchRuntime {
    /** Which libtorch natives this process runs on. */
    public enum Natives {
        /** The default build: only the CPU natives are on the class path. */
        CPU_BUILD,
        /** A {@code -Pgpu} build on a machine without a CUDA driver: the CPU natives, chosen before libtorch loaded. */
        GPU_BUILD_NO_DRIVER,
        /** A {@code -Pgpu} build told to use its CPU natives ({@code LCM_NATIVES=cpu}). */
        GPU_BUILD_CPU_CHOSEN,
        /** The {@code -gpu} natives (CUDA). */
        GPU
    }

    /** JavaCPP's Loader looks for natives under {@code <platform><extension>} first, then {@code <platform>}. */
    static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    private static volatile boolean initialised;
    private static volatile Natives natives = Natives.CPU_BUILD;

    private TorchRuntime() {}

    public static synchronized void init() {
        if (initialised) return;
        // JavaCPP's Loader reads the platform extension once, when the class initialises: decide before touching it.
        String platform = platform();
        String gpuFolder = "/org/bytedeco/pytorch/" + platform + "-gpu/";
        String cpuFolder = "/org/bytedeco/pytorch/" + platform + "/";
        boolean gpuNatives = TorchRuntime.class.getResource(gpuFolder + "libtorch_cpu.so") != null;
        boolean cpuNatives = TorchRuntime.class.getResource(cpuFolder + "libtorch_cpu.so") != null;
        // The -gpu natives abort the JVM at initialisation where no CUDA driver exists, so the choice is made here,
        // before anything of libtorch loads, from whether the driver library can be found.
        String choice = System.getenv("LCM_NATIVES");
        choice = choice == null || choice.isBlank() ? "auto" : choice.trim();
        if (!choice.equals("auto") && !choice.equals("cpu")) {
            throw new LcmException("LCM_NATIVES=" + choice + " is not a choice; use auto (the GPU natives where a CUDA driver"
                    + " exists) or cpu");
        }
        boolean cpuChosen = choice.equals("cpu") && gpuNatives && cpuNatives;
        String driver = gpuNatives && !cpuChosen ? CudaDriver.find() : null;
        if (gpuNatives && driver == null && !cpuNatives) {
            throw new LcmException("this build has the GPU natives only and no CUDA driver was found (no libcuda.so.1);"
                    + " rebuild with 'mvn -DskipTests package' (CPU) or 'mvn -Pgpu -DskipTests package' (both natives)");
        }
        natives = !gpuNatives ? Natives.CPU_BUILD : cpuChosen ? Natives.GPU_BUILD_CPU_CHOSEN
                : driver == null ? Natives.GPU_BUILD_NO_DRIVER : Natives.GPU;
        String folder = natives == Natives.GPU ? gpuFolder : cpuFolder;
        // "-cpu" names no folder, so the Loader falls back to "<platform>" (an empty value would not override)
        System.setProperty(EXTENSION_PROPERTY, natives == Natives.GPU ? "-gpu" : "-cpu");
        if (!platform.equals(Loader.getPlatform())) {
            throw new IllegalStateException("platform " + platform + " differs from JavaCPP's " + Loader.getPlatform());
        }
        if (natives == Natives.GPU_BUILD_NO_DRIVER) {
            System.err.println("lcm4j: no CUDA driver found (no libcuda.so.1); running on the CPU natives");
        } else if (natives == Natives.GPU_BUILD_CPU_CHOSEN) {
            System.err.println("lcm4j: LCM_NATIVES=cpu; running on the CPU natives");
        }
        try {
            Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            Loader.load(org.bytedeco.openblas.global.openblas.class);
            File dir = extractFolder(folder);
            if (dir != null) {
                for (String lib : new String[] {"libgomp.so.1", "libc10.so", "libtorch_cpu.so"}) {
                    File f = new File(dir, lib);
                    if (f.isFile()) System.load(f.getAbsolutePath());
                }
            }
            Loader.load(torch.class);
        } catch (UnsatisfiedLinkError e) {
            if (natives != Natives.GPU) throw e;
            // the driver is there but a CUDA library the -gpu natives link against is not (cuDNN, cuBLAS, NCCL, ...)
            String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new LcmException("the GPU natives found the NVIDIA driver (" + driver + ") but did not load (" + first
                    + "); put the CUDA 13.1, cuDNN 9 and NCCL 2 libraries on the library path, or set LCM_NATIVES=cpu");
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract the libtorch natives from " + folder + ": " + e.getMessage(), e);
        }
        // libtorch loaded through JavaCPP starts with ONE intra-op thread (measured: get_num_threads() == 1 on a
        // 2-core machine), which made every step ~2x slower than PyTorch; use all cores unless told otherwise.
        torch.set_num_threads(threads());
        initialised = true;
    }

    /** JavaCPP's platform name ({@code linux-x86_64}), computed as its Loader does, without initialising it. */
    static String platform() {
        String explicit = System.getProperty("org.bytedeco.javacpp.platform");
        if (explicit != null && !explicit.isBlank()) return explicit;
        String os = System.getProperty("os.name", "").toLowerCase().replaceAll("\\s", "");
        String arch = System.getProperty("os.arch", "").toLowerCase();
        if (os.startsWith("linux")) os = "linux";
        else if (os.startsWith("mac")) os = "macosx";
        else if (os.startsWith("windows")) os = "windows";
        arch = switch (arch) {
            case "amd64", "x86-64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            case "ppc64le" -> "ppc64le";
            default -> arch;
        };
        return os + "-" + arch;
    }

    /** Which natives this process runs on (loads libtorch). */
    public static Natives natives() {
        init();
        return natives;
    }

    /** {@code LCM_NUM_THREADS}, else {@code OMP_NUM_THREADS}, else the number of available processors. */
    static int threads() {
        for (String var : new String[] {"LCM_NUM_THREADS", "OMP_NUM_THREADS"}) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) {
                try {
                    int n = Integer.parseInt(v.trim());
                    if (n > 0) return n;
                } catch (NumberFormatException e) {
                    throw new LcmException(var + "=" + v + " is not a positive integer");
                }
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** True when the -gpu natives are loaded and a CUDA device is visible. */
    public static boolean cudaAvailable() {
        return natives() == Natives.GPU && torch.cuda_is_available();
    }

    private static File extractFolder(String folder) throws IOException {
        Class<?> anchor = torch.class; // a class literal does not run its initialiser
        File dir = null;
        try {
            dir = Loader.cacheResource(anchor, folder);
        } catch (IOException | RuntimeException e) {
            dir = null;
        }
        // In a fat jar without directory entries cacheResource(folder) fails: extract the named files one by one.
        if (dir == null || !new File(dir, "libtorch_cpu.so").isFile()) {
            for (String lib : new String[] {"libgomp.so.1", "libc10.so", "libtorch_cpu.so", "libtorch.so"}) {
                URL url = anchor.getResource(folder + lib);
                if (url != null) dir = Loader.cacheResource(url).getParentFile();
            }
        }
        return dir;
    }
}
