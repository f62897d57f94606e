package dev.lcm4j.torch;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Devices.Machine;
import dev.lcm4j.torch.TorchRuntime.Natives;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Device settings resolve as the docs say on every kind of machine. The machines are described, not real: no GPU
 * exists here, so what is checked is the decision and its error lines, not CUDA itself.
 */
class DevicesTest {
    static final Machine CPU_BUILD = new Machine(Natives.CPU_BUILD, 0);
    static final Machine NO_DRIVER = new Machine(Natives.GPU_BUILD_NO_DRIVER, 0);
    static final Machine ONE_GPU = new Machine(Natives.GPU, 1);
    static final Machine FOUR_GPUS = new Machine(Natives.GPU, 4);

    static String error(String value, int localRank, Machine m) {
        return assertThrows(LcmException.class, () -> Devices.name(value, "--device", localRank, m)).getMessage();
    }

    @Test
    void spellingIsCheckedWithoutLibtorch() {
        for (String ok : List.of("cpu", "cuda", "cuda:0", "cuda:12", "auto", " cuda:1 ")) {
            assertEquals(ok.trim(), Devices.checkSyntax(ok, "trainer.device"));
        }
        for (String bad : List.of("gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "mps", "", "cpu:0")) {
            String msg = assertThrows(LcmException.class, () -> Devices.checkSyntax(bad, "trainer.device")).getMessage();
            assertEquals("trainer.device=" + bad + " is not a device; use cpu, cuda, cuda:N or auto", msg);
        }
    }

    @Test
    void autoIsTheGpuWhereThereIsOneElseTheCpu() {
        assertEquals("cpu", Devices.name("auto", "--device", -1, CPU_BUILD));
        assertEquals("cpu", Devices.name("auto", "--device", 3, NO_DRIVER));
        assertEquals("cuda:0", Devices.name("auto", "--device", -1, ONE_GPU));
        assertEquals("cpu", Devices.name("cpu", "--device", -1, FOUR_GPUS));
    }

    @Test
    void localRankPicksTheGpuUnderDataParallelism() {
        assertEquals("cuda:2", Devices.name("cuda", "--device", 2, FOUR_GPUS));
        assertEquals("cuda:3", Devices.name("auto", "--device", 3, FOUR_GPUS));
        assertEquals("cuda:0", Devices.name("cuda", "--device", -1, FOUR_GPUS));
        // an explicit index wins over LOCAL_RANK, as torch.device("cuda:1") does
        assertEquals("cuda:1", Devices.name("cuda:1", "--device", 3, FOUR_GPUS));
        String msg = error("cuda", 1, ONE_GPU);
        assertTrue(msg.startsWith("--device=cuda with LOCAL_RANK=1 picks cuda:1, but this machine has 1 visible CUDA device"), msg);
        assertTrue(msg.endsWith("; start at most 1 process per node"), msg);
    }

    @Test
    void aGpuThatIsNotThereIsOneLineWithTheFix() {
        String msg = error("cuda:3", -1, ONE_GPU);
        assertTrue(msg.startsWith("--device=cuda:3 but this machine has 1 visible CUDA device"), msg);
        assertTrue(msg.endsWith("; use cuda:0"), msg);
        assertTrue(error("cuda:4", -1, FOUR_GPUS).endsWith("; use cuda:0 to cuda:3"));
        msg = error("cuda", -1, CPU_BUILD);
        assertTrue(msg.contains("needs the GPU natives, but this build has the CPU natives only"), msg);
        assertTrue(msg.contains("mvn -Pgpu -DskipTests package") && msg.endsWith("or use --device=cpu"), msg);
        msg = error("cuda:0", -1, NO_DRIVER);
        assertTrue(msg.contains("no CUDA driver was found") && msg.endsWith("or use --device=cpu"), msg);
        msg = error("cuda", -1, new Machine(Natives.GPU_BUILD_CPU_CHOSEN, 0));
        assertTrue(msg.contains("LCM_NATIVES=cpu runs lcm4j on its CPU natives; unset LCM_NATIVES"), msg);
        msg = error("cuda", -1, new Machine(Natives.GPU, 0));
        assertTrue(msg.contains("no CUDA device is visible"), msg);
        assertFalse(msg.contains("\n"));
    }

    @Test
    void thisMachineRunsOnTheCpuNatives() {
        Machine here = Machine.current();
        assertEquals(Natives.CPU_BUILD, here.natives(), "the test class path holds the CPU natives only");
        assertEquals(0, here.cudaDevices());
        assertTrue(Devices.resolve("auto", "--device", -1).is_cpu());
        assertThrows(LcmException.class, () -> Devices.resolve("cuda", "--device", -1));
    }

    @Test
    void movingToTheDeviceItIsOnKeepsTheTensor() {
        TorchRuntime.init();
        Tensor t = Tensors.floats(new float[] {1, 2, 3}, 3);
        assertSame(t, Devices.to(t, Devices.cpu()));
        assertSame(t, Devices.toCpu(t));
        assertEquals("cpu", Devices.describe(t.device()));
        assertEquals("meta", Devices.describe(new Device("meta")));
        Tensor onMeta = Devices.to(t, new Device("meta"));
        assertTrue(onMeta.device().is_meta());
        assertArrayEquals(new long[] {3}, Tensors.shape(onMeta));
    }

    @Test
    void driverSearchCoversLdLibraryPathFirst() {
        List<String> dirs = CudaDriver.searchPath("/opt/a::/opt/b");
        assertEquals("/opt/a", dirs.get(0));
        assertEquals("/opt/b", dirs.get(1));
        assertTrue(dirs.contains("/usr/lib/x86_64-linux-gnu"));
        assertEquals(dirs.size(), dirs.stream().distinct().count());
        assertNull(CudaDriver.find(), "no NVIDIA driver on this machine");
    }

    @Test
    void platformNameMatchesJavaCpps() {
        assertEquals(org.bytedeco.javacpp.Loader.getPlatform(), TorchRuntime.platform());
    }
}
