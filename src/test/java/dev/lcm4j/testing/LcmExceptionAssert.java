package dev.lcm4j.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import org.junit.jupiter.api.function.Executable;

/** User errors ({@link LcmException}) thrown by library calls, and what their message must say. */
public final class LcmExceptionAssert {
    private LcmExceptionAssert() {
    }

    /** {@code e} throws an {@link LcmException} whose message contains every fragment; returns the exception. */
    public static LcmException assertThrowsWith(Executable e, String... fragments) {
        LcmException ex = assertThrows(LcmException.class, e);
        for (String f : fragments) assertTrue(ex.getMessage().contains(f), "'" + f + "' not in: " + ex.getMessage());
        return ex;
    }

    /** As {@link #assertThrowsWith}, and the message is a single line; returns the message. */
    public static String assertOneLineError(Executable e, String... fragments) {
        String message = assertThrowsWith(e, fragments).getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }
}
