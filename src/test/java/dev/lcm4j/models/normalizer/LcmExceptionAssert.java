package dev.lcm4j.models.normalizer;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import org.junit.jupiter.api.function.Executable;

final class LcmExceptionAssert {
    static void assertThrowsWith(Executable e, String fragment) {
        LcmException ex = assertThrows(LcmException.class, e);
        assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
    }
}
