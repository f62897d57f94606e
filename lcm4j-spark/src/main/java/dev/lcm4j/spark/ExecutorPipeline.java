package dev.lcm4j.spark;

import dev.lcm4j.cli.PrepareCommand;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.prepare.PrepareOptions;
import dev.lcm4j.prepare.Preparer;
import java.util.List;

/**
 * The per-executor half of the job: the command re-parsed from the driver's arguments, and one concept encoder and
 * one {@link Preparer} per executor JVM, made on the first task and shared by every later task of the same job
 * (loading SONAR takes longer than preparing a shard). Tasks of one executor run in parallel; the encoder and the
 * splitter are thread-safe, as in a local run's thread pool.
 */
final class ExecutorPipeline {
    private static ExecutorPipeline current;

    final List<String> args;
    final PrepareOptions options;
    final Preparer preparer;
    private final ConceptEncoder encoder;

    private ExecutorPipeline(List<String> args, int threadsPerTask) {
        this.args = args;
        PrepareCommand cmd = PrepareCommand.parse(args);
        this.options = cmd.options(threadsPerTask);
        this.encoder = cmd.newEncoder();
        this.preparer = new Preparer(options, encoder, cmd.newSplitter());
    }

    /** This JVM's pipeline for {@code args}; a different command (another job in the same JVM) replaces it. */
    static synchronized ExecutorPipeline get(List<String> args, int threadsPerTask) {
        if (current == null || !current.args.equals(args) || current.options.threads() != threadsPerTask) {
            if (current != null) current.encoder.close();
            current = new ExecutorPipeline(args, threadsPerTask);
        }
        return current;
    }

    String encoderName() {
        return encoder.name();
    }

    int encoderDim() {
        return encoder.dim();
    }
}
