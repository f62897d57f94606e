package dev.lcm4j.cli;

/**
 * Another engine for {@code ./lcm prepare --engine NAME}, found with {@link java.util.ServiceLoader} on the class
 * path: the lcm4j-spark module provides {@code spark}. The core itself runs the standalone engine and knows no
 * other; an engine gets the parsed command, checked for options it cannot honour, and returns the exit code.
 */
public interface PrepareEngine {
    /** What {@code --engine} names it. */
    String name();

    /** Prepares the dataset {@code command} describes; errors are {@link dev.lcm4j.LcmException}s (one line). */
    int run(PrepareCommand command);
}
