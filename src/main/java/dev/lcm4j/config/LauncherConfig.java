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
        return new Builder().build();
    }

    /** Checks the values; {@code path} is this node's dotted path for messages. */
    public void validate(String path) {
        if (cluster == null) throw new LcmException(path + ".cluster is required (debug for the standalone launcher)");
    }

    /** A builder holding the defaults, to change fields by name as the reference's keyword arguments do. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Named setters (the YAML keys) over the defaults or a copy of a config; {@link #build()} checks as the constructor does. */
    public static final class Builder {
        private String _target_ = "stopes.core.Launcher";
        private String cluster = "debug";
        private String partition = null;
        private String log_folder = "executor_logs";
        private String cache = "file_cache";
        private String config_dump_dir = null;

        private Builder() {
        }

        private Builder(LauncherConfig c) {
            this._target_ = c._target_;
            this.cluster = c.cluster;
            this.partition = c.partition;
            this.log_folder = c.log_folder;
            this.cache = c.cache;
            this.config_dump_dir = c.config_dump_dir;
        }

        public Builder _target_(String v) {
            this._target_ = v;
            return this;
        }

        public Builder cluster(String v) {
            this.cluster = v;
            return this;
        }

        public Builder partition(String v) {
            this.partition = v;
            return this;
        }

        public Builder log_folder(String v) {
            this.log_folder = v;
            return this;
        }

        public Builder cache(String v) {
            this.cache = v;
            return this;
        }

        public Builder config_dump_dir(String v) {
            this.config_dump_dir = v;
            return this;
        }

        public LauncherConfig build() {
            return new LauncherConfig(_target_, cluster, partition, log_folder, cache, config_dump_dir);
        }
    }
}
