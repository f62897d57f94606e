package dev.lcm4j.train;

import java.io.IOException;
import java.nio.file.Path;

/** Package access to the trainer's file helpers for tests. */
final class TrainingRunTestSupport {
    private TrainingRunTestSupport() {}

    static void deleteTree(Path p) throws IOException {
        Checkpointer.deleteTree(p);
    }
}
