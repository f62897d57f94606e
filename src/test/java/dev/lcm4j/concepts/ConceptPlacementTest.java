package dev.lcm4j.concepts;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.TorchRuntime;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

/**
 * Where concept models run for a device setting: SONAR on the device, the CPU-only families (MiniLM's ONNX Runtime,
 * sentence banks) on the CPU, and a CUDA device the user named refused for them rather than ignored. A CUDA device
 * object is only a name here (no GPU exists), so this checks the decision, not CUDA.
 */
class ConceptPlacementTest {
    @Test
    void sonarFollowsTheDeviceCpuOnlyFamiliesStayOnTheCpu() {
        TorchRuntime.init();
        Device cuda = new Device("cuda:1");
        ConceptModels.Placement auto = new ConceptModels.Placement(cuda, false, "--device");
        assertEquals("cuda:1", Devices.describe(auto.forFamily("sonar_text_encoder", "text_sonar_basic_encoder")));
        assertEquals("cuda:1", Devices.describe(auto.forFamily("sonar_text_decoder", "text_sonar_basic_decoder")));
        assertEquals("cpu", Devices.describe(auto.forFamily("onnx_sentence_encoder", "all_minilm_l6_v2_q")));
        assertEquals("cpu", Devices.describe(auto.forFamily("retrieval_decoder", "bank:x")));

        ConceptModels.Placement named = new ConceptModels.Placement(cuda, true, "--device");
        assertEquals("cuda:1", Devices.describe(named.forFamily("sonar_text_encoder", "text_sonar_basic_encoder")));
        String msg = assertThrows(LcmException.class, () -> named.forFamily("onnx_sentence_encoder", "all_minilm_l6_v2_q")).getMessage();
        assertEquals("--device cuda:1: 'all_minilm_l6_v2_q' (onnx_sentence_encoder) runs on the CPU only (ONNX Runtime's CPU"
                + " build, or the sentence bank's search); use --device cpu, or a SONAR card", msg);

        ConceptModels.Placement cpu = ConceptModels.Placement.cpu();
        assertEquals("cpu", Devices.describe(cpu.forFamily("sonar_text_encoder", "s")));
        assertEquals("cpu", Devices.describe(cpu.forFamily("onnx_sentence_encoder", "m")));
    }
}
