package dev.lcm4j.architecture.violations.cli;

/** A top-layer class for {@code LayerViolation} to import. */
public final class Command {
    public static String name() {
        return "command";
    }
}
