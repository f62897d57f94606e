package dev.lcm4j.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ConfigDumpTest {

    @Test
    @SuppressWarnings("unchecked")
    void writesFullResolvedConfigThatBindsBack(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        TrainRunConfig config = TrainRunConfig.fromTree(RecipeComposerTest.compose("+pretrain=mse",
                "++trainer.output_dir=" + out));
        Path written = ConfigDump.write(config);
        assertEquals(out.resolve("config_logs/all_config.yaml"), written);
        try (var files = Files.list(written.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        Map<String, Object> reloaded = Yaml11.loadFile(written);
        assertEquals(0.0004, ConfigTree.get(reloaded, "trainer.lr"));
        assertEquals(1e-7, ConfigTree.get(reloaded, "trainer.start_lr"), "defaults are written too");
        assertEquals("cosine", ConfigTree.get(reloaded, "trainer.lr_schedule"));
        assertEquals(out + "/executor_logs", ConfigTree.get(reloaded, "launcher.log_folder"));
        assertFalse(((Map<String, Object>) ConfigTree.get(reloaded, "trainer.data_loading_config"))
                .containsKey("min_length_after_batching"));
        assertEquals(config, TrainRunConfig.fromTree(reloaded));
        assertTrue(config.trainer().toYaml().contains("max_tokens: 7168"));
    }
}
