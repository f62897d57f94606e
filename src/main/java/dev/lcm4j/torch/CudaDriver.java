package dev.lcm4j.torch;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the NVIDIA driver's {@code libcuda.so.1} without loading anything: the {@code -gpu} natives link against it
 * and abort the JVM when it is missing, so {@link TorchRuntime} must know before libtorch loads.
 *
 * <p>Searched: {@code LCM_CUDA_DRIVER} (a file, for unusual installs), {@code LD_LIBRARY_PATH}, the folders the
 * dynamic linker's configuration names ({@code /etc/ld.so.conf} and {@code /etc/ld.so.conf.d/*.conf}), the usual
 * distribution folders, the CUDA forward-compatibility folder and WSL's driver folder.
 */
public final class CudaDriver {
    static final String LIBRARY = "libcuda.so.1";
    private static final String[] USUAL = {
        "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64",
        "/usr/lib/aarch64-linux-gnu", "/usr/local/nvidia/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib",
    };

    private CudaDriver() {}

    /** The path of the driver library, or null when this machine has none. */
    public static String find() {
        String explicit = System.getenv("LCM_CUDA_DRIVER");
        if (explicit != null && !explicit.isBlank()) return new File(explicit).isFile() ? explicit : null;
        for (String dir : searchPath(System.getenv("LD_LIBRARY_PATH"))) {
            File f = new File(dir, LIBRARY);
            if (f.isFile()) return f.getPath();
        }
        return null;
    }

    /** The folders searched, in order, without duplicates. */
    static List<String> searchPath(String ldLibraryPath) {
        Set<String> dirs = new LinkedHashSet<>();
        if (ldLibraryPath != null) for (String d : ldLibraryPath.split(":")) if (!d.isBlank()) dirs.add(d);
        dirs.addAll(ldSoConf(new File("/etc/ld.so.conf")));
        File[] confs = new File("/etc/ld.so.conf.d").listFiles((d, n) -> n.endsWith(".conf"));
        if (confs != null) for (File f : confs) dirs.addAll(ldSoConf(f));
        for (String d : USUAL) dirs.add(d);
        return new ArrayList<>(dirs);
    }

    private static List<String> ldSoConf(File f) {
        List<String> out = new ArrayList<>();
        try {
            for (String line : java.nio.file.Files.readAllLines(f.toPath())) {
                String l = line.strip();
                if (l.startsWith("/")) out.add(l); // "include" lines are what ld.so.conf.d covers
            }
        } catch (java.io.IOException | RuntimeException e) {
            // an unreadable configuration only narrows the search
        }
        return out;
    }
}
