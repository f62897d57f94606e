package dev.lcm4j.cli;

import static dev.lcm4j.testing.Cli.assertUserError;
import static dev.lcm4j.testing.Cli.exec;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.Npy;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device settings through the command line on this CPU-only machine (CPU natives): an unknown device and
 * {@code cuda} are one error line each, naming the setting and the fix, and nothing is written.
 */
class DeviceCliTest {
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "devsynth", 8, 16, 3);
        System.setProperty("LCM_CARDS_PATH", data.toString());
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static List<String> train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=mse", "++trainer.output_dir=" + out, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 64, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: devsynth=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.max_steps=1", "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void trainRefusesDevicesThisMachineCannotGive() {
        Path out = tmp.resolve("run_tpu");
        assertUserError(exec(train(out, "++trainer.device=tpu")), "trainer.device=tpu is not a device; use cpu, cuda, cuda:N or auto");
        assertFalse(Files.exists(out));
        out = tmp.resolve("run_cuda");
        assertUserError(exec(train(out, "++trainer.device=cuda:0")),
                "trainer.device=cuda:0 needs the GPU natives, but this build has the CPU natives only", "mvn -Pgpu", "trainer.device=cpu");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void modelCommandsRefuseDevicesThisMachineCannotGive() throws Exception {
        Path in = tmp.resolve("in.npy");
        Npy.write(in, Npy.Array.ofFloats(new float[2 * 3 * 16], 2, 3, 16));
        Path out = tmp.resolve("out.npy");
        for (String cmd : List.of("predict", "generate")) {
            assertUserError(exec(cmd, "--model_card", "toy_base_lcm", "--input", in.toString(), "--output", out.toString(), "--device", "gpu"),
                    "--device=gpu is not a device; use cpu, cuda, cuda:N or auto");
            assertUserError(exec(cmd, "--model_card", "toy_base_lcm", "--input", in.toString(), "--output", out.toString(), "--device", "cuda"),
                    "--device=cuda needs the GPU natives", "--device=cpu");
        }
        assertFalse(Files.exists(out), "nothing written");
        Path dump = tmp.resolve("eval");
        assertUserError(exec("evaluate", "--predictor", "base_lcm", "--model_card", "dummy_mse_pretrained_model", "--tasks", "lcm_next_sentence",
                "--dataset_dir", data.toString(), "--dump_dir", dump.toString(), "--device", "cuda:1"), "--device=cuda:1 needs the GPU natives");
        assertFalse(Files.exists(dump), "nothing written");
        assertUserError(exec("evaluate", "--predictor", "base_lcm", "--model_card", "dummy_mse_pretrained_model", "--tasks", "lcm_next_sentence",
                "--dataset_dir", data.toString(), "--dump_dir", dump.toString(), "--device", "cuda1"), "--device=cuda1 is not a device");
    }

    @Test
    void conceptCommandsRefuseDevicesThisMachineCannotGive() throws Exception {
        Path text = tmp.resolve("s.txt");
        Files.writeString(text, "One sentence.\n");
        Path out = tmp.resolve("enc.npy");
        assertUserError(exec("encode", "--input", text.toString(), "--output", out.toString(), "--device", "cuda"),
                "--device=cuda needs the GPU natives", "--device=cpu");
        assertUserError(exec("decode", "--decoder", "bank:" + data, "--input", tmp.resolve("x.npy").toString(), "--device", "cuda:0"),
                "--device=cuda:0 needs the GPU natives");
        assertUserError(exec("prepare", "--input", "europarl", "--output", tmp.resolve("prep").toString(), "--name", "p", "--device", "cuda"),
                "--device=cuda needs the GPU natives");
        assertUserError(exec("encode", "--input", text.toString(), "--output", out.toString(), "--device", "metal"), "--device=metal is not a device");
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(tmp.resolve("prep")));
    }
}
