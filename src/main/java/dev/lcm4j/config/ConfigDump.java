package dev.lcm4j.config;

import dev.lcm4j.io.AtomicFiles;

import java.nio.file.Path;
import java.util.Map;

/**
 * Writes the resolved config of a run to {@code <config_logs>/all_config.yaml} (reference: the training entry point
 * dumps the full resolved config there). The write is atomic.
 */
public final class ConfigDump {
    private ConfigDump() {}

    /** File name inside the config log directory. */
    public static final String FILE_NAME = "all_config.yaml";

    /**
     * Writes {@code config} (every field, defaults included) to {@code launcher.config_dump_dir}, or to
     * {@code <trainer.output_dir>/config_logs} when that is not set.
     *
     * @return the written file
     */
    public static Path write(TrainRunConfig config) {
        String dir = config.launcher().config_dump_dir();
        Path target = (dir != null ? Path.of(dir) : Path.of(config.trainer().output_dir(), "config_logs"))
                .resolve(FILE_NAME);
        return write(target, config.toTree());
    }

    /** Writes {@code tree} as block YAML to {@code file} atomically. */
    public static Path write(Path file, Map<String, Object> tree) {
        AtomicFiles.writeString(file, Yaml11.dump(tree));
        return file;
    }
}
