package dev.lcm4j.cli;

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
    }
}
