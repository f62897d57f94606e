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
    private static volatile boolean initialised;
    private static volatile boolean cuda;

    private TorchRuntime() {}

    public static synchronized void init() {
        if (initialised) return;
        String platform = Loader.getPlatform();
        // The -gpu build ships its natives under "<platform>-gpu"; prefer it when present on the class path.
        String gpuFolder = "/org/bytedeco/pytorch/" + platform + "-gpu/";
        String cpuFolder = "/org/bytedeco/pytorch/" + platform + "/";
        boolean gpu = TorchRuntime.class.getResource(gpuFolder + "libtorch_cpu.so") != null;
        String folder = gpu ? gpuFolder : cpuFolder;
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
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract the libtorch natives from " + folder + ": " + e.getMessage(), e);
        }
        cuda = gpu && torch.cuda_is_available();
        // libtorch loaded through JavaCPP starts with ONE intra-op thread (measured: get_num_threads() == 1 on a
        // 2-core machine), which made every step ~2x slower than PyTorch; use all cores unless told otherwise.
        torch.set_num_threads(threads());
        initialised = true;
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
        init();
        return cuda;
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
