package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.torch.TorchRuntime;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** libtorch's real allocation failure is recognised, so the CLI prints one line naming the settings to lower. */
class OutOfMemoryMessageTest {
    @Test
    void libtorchAllocationFailuresAreOutOfMemory() {
        TorchRuntime.init();
        // far beyond any machine: libtorch's CPU allocator refuses it
        RuntimeException e = assertThrows(RuntimeException.class, () -> torch.empty(new long[] {1L << 50}));
        assertTrue(Main.outOfMemory(new IllegalStateException("wrapped", e)), e.getMessage());
        assertTrue(Main.outOfMemory(new OutOfMemoryError("Java heap space")));
        assertFalse(Main.outOfMemory(new IllegalArgumentException("shape mismatch")));
        // the CUDA caching allocator's message (c10::OutOfMemoryError), as PyTorch prints it
        assertTrue(Main.outOfMemory(new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity)")));
    }

    @Test
    void eachCommandNamesItsOwnSettingInOneLine() {
        TorchRuntime.init();
        RuntimeException e = assertThrows(RuntimeException.class, () -> torch.empty(new long[] {1L << 50}));
        String train = Main.outOfMemoryLine("train", e);
        assertTrue(train.contains("++trainer.data_loading_config.max_tokens"), train);
        String generate = Main.outOfMemoryLine("generate", e);
        assertTrue(generate.contains("--max_gen_len") && generate.contains("--batch_size"), generate);
        String evaluate = Main.outOfMemoryLine("evaluate", e);
        assertTrue(evaluate.contains("--generator_batch_size") && evaluate.contains("max_gen_len"), evaluate);
        assertTrue(Main.outOfMemoryLine("predict", e).contains("--batch_size"));
        for (String line : new String[] {train, generate, evaluate}) {
            assertEquals(1, line.lines().count(), "libtorch's backtrace is cut: " + line);
            assertTrue(line.contains("can't allocate memory"), "libtorch's reason is kept: " + line);
        }
    }
}
