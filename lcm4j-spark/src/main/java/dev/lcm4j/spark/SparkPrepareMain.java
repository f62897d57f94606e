package dev.lcm4j.spark;

import dev.lcm4j.cli.Main;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code spark-submit} entry point: {@code spark-submit --class dev.lcm4j.spark.SparkPrepareMain ... ARGS} runs
 * {@code ./lcm prepare --engine spark ARGS} on the cluster spark-submit names (see docs/spark.md), with the CLI's
 * options, checks and one-line errors.
 */
public final class SparkPrepareMain {
    private SparkPrepareMain() {
    }

    public static void main(String[] args) {
        System.exit(Main.execute(arguments(args)));
    }

    /** {@code prepare ARGS}, with {@code --engine spark} unless ARGS name an engine. */
    static String[] arguments(String[] args) {
        List<String> a = new ArrayList<>(List.of("prepare"));
        a.addAll(Arrays.asList(args));
        boolean engine = Arrays.stream(args).anyMatch(s -> s.equals("--engine") || s.startsWith("--engine="));
        if (!engine) a.addAll(List.of("--engine", "spark"));
        return a.toArray(String[]::new);
    }
}
