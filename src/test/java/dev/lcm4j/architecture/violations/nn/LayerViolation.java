package dev.lcm4j.architecture.violations.nn;

import dev.lcm4j.architecture.violations.cli.Command;

/** Deliberately wrong: a low layer ({@code nn}) importing the top one ({@code cli}); LayeringTest must report it. */
public final class LayerViolation {
    public static String use() {
        return Command.name();
    }
}
