package dev.lcm4j;

/**
 * An error caused by user input (a file, a card, an override, a CLI flag). The CLI prints its message as one line
 * and exits with a non-zero code, so the message must name the input and say how to fix it.
 */
public class LcmException extends RuntimeException {
    public LcmException(String message) {
        super(message);
    }

    public LcmException(String message, Throwable cause) {
        super(message, cause);
    }
}
