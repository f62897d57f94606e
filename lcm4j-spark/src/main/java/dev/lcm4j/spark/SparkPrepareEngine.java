package dev.lcm4j.spark;

import dev.lcm4j.cli.PrepareCommand;
import dev.lcm4j.cli.PrepareEngine;

/** {@code ./lcm prepare --engine spark}, registered for {@link java.util.ServiceLoader} in META-INF/services. */
public final class SparkPrepareEngine implements PrepareEngine {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public int run(PrepareCommand command) {
        return new SparkPrepareJob(command).run();
    }
}
