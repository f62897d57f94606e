package dev.lcm4j.torch;

import dev.lcm4j.LcmException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The one place that turns a device setting ({@code trainer.device}, {@code --device}) into a libtorch device, and
 * the one helper that moves tensors there. Accepted values: {@code cpu}, {@code cuda}, {@code cuda:N} and
 * {@code auto} (CUDA when this build has the GPU natives and a GPU is visible, else the CPU).
 *
 * <p>Under data parallelism every process on a node gets its own GPU: {@code cuda} and {@code auto} resolve to
 * {@code cuda:LOCAL_RANK}, counted among the GPUs that {@code CUDA_VISIBLE_DEVICES} leaves visible (CUDA renumbers
 * them from 0, so {@code CUDA_VISIBLE_DEVICES=2,3} with {@code LOCAL_RANK=1} is physical GPU 3).
 */
public final class Devices {
    public static final String AUTO = "auto";
    private static final Pattern SYNTAX = Pattern.compile("cpu|cuda|cuda:(\\d{1,3})|auto");

    private Devices() {}

    /**
     * What libtorch can run on in this process: which natives were loaded and how many CUDA devices they see.
     * @param natives which native build was loaded
     * @param cudaDevices CUDA devices visible (0 unless the GPU natives were loaded)
     */
    public record Machine(TorchRuntime.Natives natives, int cudaDevices) {
        /** This process's machine (loads libtorch). */
        public static Machine current() {
            TorchRuntime.init();
            TorchRuntime.Natives n = TorchRuntime.natives();
            return new Machine(n, n == TorchRuntime.Natives.GPU && torch.cuda_is_available() ? torch.cuda_device_count() : 0);
        }
    }

    /** Checks the spelling of a device setting without loading libtorch; returns it trimmed. */
    public static String checkSyntax(String value, String setting) {
        String v = value == null ? "" : value.trim();
        if (!SYNTAX.matcher(v).matches()) {
            throw new LcmException(setting + "=" + value + " is not a device; use cpu, cuda, cuda:N or auto");
        }
        return v;
    }

    /** {@link #resolve(String, String, int, Machine)} on this process's machine. */
    public static Device resolve(String value, String setting, int localRank) {
        String v = checkSyntax(value, setting);
        if (v.equals("cpu")) return cpu(); // never loads the CUDA side of anything
        return new Device(name(v, setting, localRank, Machine.current()));
    }

    /**
     * The device name ({@code cpu}, {@code cuda:N}) that {@code value} means on {@code machine}, or one error line
     * naming {@code setting} and the fix.
     * @param localRank this process's {@code LOCAL_RANK} under data parallelism, -1 for a single process
     */
    public static String name(String value, String setting, int localRank, Machine machine) {
        String v = checkSyntax(value, setting);
        if (v.equals("cpu")) return "cpu";
        boolean gpu = machine.natives() == TorchRuntime.Natives.GPU && machine.cudaDevices() > 0;
        if (v.equals(AUTO) && !gpu) return "cpu";
        if (!gpu) {
            throw new LcmException(switch (machine.natives()) {
                case CPU_BUILD -> setting + "=" + v + " needs the GPU natives, but this build has the CPU natives only;"
                        + " build with 'mvn -Pgpu -DskipTests package' on a machine with an NVIDIA driver, or use " + setting + "=cpu";
                case GPU_BUILD_NO_DRIVER -> setting + "=" + v + " but no CUDA driver was found (no libcuda.so.1), so lcm4j"
                        + " runs on its CPU natives; install the NVIDIA driver, or use " + setting + "=cpu";
                case GPU_BUILD_CPU_CHOSEN -> setting + "=" + v + " but LCM_NATIVES=cpu runs lcm4j on its CPU natives;"
                        + " unset LCM_NATIVES, or use " + setting + "=cpu";
                case GPU -> setting + "=" + v + " but no CUDA device is visible" + visibleNote()
                        + "; check nvidia-smi and CUDA_VISIBLE_DEVICES, or use " + setting + "=cpu";
            });
        }
        Matcher m = SYNTAX.matcher(v);
        m.matches();
        int index;
        String why;
        if (m.group(1) != null) {
            index = Integer.parseInt(m.group(1));
            why = setting + "=" + v;
        } else if (localRank >= 0) {
            index = localRank;
            why = setting + "=" + v + " with LOCAL_RANK=" + localRank + " picks cuda:" + localRank + ", but";
        } else {
            index = 0;
            why = setting + "=" + v;
        }
        if (index >= machine.cudaDevices()) {
            int n = machine.cudaDevices();
            String fix = localRank >= 0 && m.group(1) == null
                    ? "start at most " + n + " process" + (n == 1 ? "" : "es") + " per node"
                    : "use cuda:0" + (n > 1 ? " to cuda:" + (n - 1) : "");
            throw new LcmException(why + (why.endsWith("but") ? " " : " but ") + "this machine has " + n
                    + " visible CUDA device" + (n == 1 ? "" : "s") + visibleNote() + "; " + fix);
        }
        return "cuda:" + index;
    }

    private static String visibleNote() {
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        return visible == null ? "" : " (CUDA_VISIBLE_DEVICES=" + visible + ")";
    }

    /** The CPU device (loads libtorch first: a {@code Device} is a libtorch object, and the natives must be chosen before). */
    public static Device cpu() {
        TorchRuntime.init();
        return new Device("cpu");
    }

    /** {@code cpu}, {@code cuda:0}, {@code meta}: the name a user would write. */
    public static String describe(Device d) {
        if (d.is_cpu()) return "cpu";
        if (d.is_cuda()) return "cuda:" + (d.has_index() ? d.index() : 0);
        return d.is_meta() ? "meta" : d.type().toString().toLowerCase();
    }

    /** {@code t} on {@code device}: itself when it is there already, else a copy (the one way batches travel). */
    public static Tensor to(Tensor t, Device device) {
        if (device == null || sameDevice(t.device(), device)) return t;
        return t.to(device, t.scalar_type());
    }

    /** {@code t} on the CPU (what checkpoints, npy and parquet writers read). */
    public static Tensor toCpu(Tensor t) {
        return t.device().is_cpu() ? t : t.to(cpu(), t.scalar_type());
    }

    /** Same device, "cuda" and "cuda:0" alike (the current CUDA device is always 0 here: lcm4j never changes it). */
    static boolean sameDevice(Device a, Device b) {
        return describe(a).equals(describe(b));
    }
}
