package dev.lcm4j.config;

import dev.lcm4j.LcmException;

/**
 * The {@code launcher} node (reference: stopes {@code Launcher}, {@code recipes/common/launcher/standalone.yaml}
 * merged with the {@code launcher:} section of {@code defaults.yaml}). lcm4j only supports the standalone launcher:
 * it trains in the current process.
 *
 * @param _target_        reference launcher class; kept for recognisability. Default {@code stopes.core.Launcher}.
 * @param cluster         {@code debug} (standalone) or a SLURM cluster name; {@code debug} also sets
 *                        {@code trainer.debug} in the reference. Default {@code debug}.
 * @param partition       SLURM partition; unused. Default null.
 * @param log_folder      executor log directory. Default {@code executor_logs} (defaults.yaml:
 *                        {@code ${trainer.output_dir}/executor_logs}).
 * @param cache           stopes cache; unused. Default {@code file_cache}.
 * @param config_dump_dir where {@code all_config.yaml} is written. Default null
 *                        (defaults.yaml: {@code ${trainer.output_dir}/config_logs}).
 */
public record LauncherConfig(String _target_, String cluster, String partition, String log_folder, String cache,
                             String config_dump_dir) {

    public static LauncherConfig defaults() {
        return new LauncherConfig("stopes.core.Launcher", "debug", null, "executor_logs", "file_cache", null);
    }

    /** Checks the values; {@code path} is this node's dotted path for messages. */
    public void validate(String path) {
        if (cluster == null) throw new LcmException(path + ".cluster is required (debug for the standalone launcher)");
    }
}
