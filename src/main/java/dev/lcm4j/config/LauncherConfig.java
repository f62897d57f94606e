package dev.lcm4j.config;

import dev.lcm4j.LcmException;

/**
 * The {@code launcher} node (reference: stopes {@code Launcher}, {@code recipes/common/launcher/standalone.yaml} or
 * {@code submitit.yaml}, merged with the {@code launcher:} section of {@code defaults.yaml}). {@code cluster: debug}
 * (standalone) trains in this process, or in the workers torchrun / {@code ./lcm launch} / {@code srun} started;
 * {@code cluster: slurm} ({@code launcher=submitit}) submits a SLURM job shaped by {@code trainer.requirements}.
 *
 * @param _target_        reference launcher class; kept for recognisability. Default {@code stopes.core.Launcher}.
 * @param cluster         {@code debug} (standalone) or {@code slurm} (submitit); {@code debug} also sets
 *                        {@code trainer.debug} in the reference. Default {@code debug}.
 * @param partition       SLURM partition ({@code sbatch --partition}). Default null (the cluster's default).
 * @param log_folder      executor log directory. Default {@code executor_logs} (defaults.yaml:
 *                        {@code ${trainer.output_dir}/executor_logs}).
 * @param cache           stopes cache; unused. Default {@code file_cache}.
 * @param config_dump_dir where {@code all_config.yaml} is written. Default null
 *                        (defaults.yaml: {@code ${trainer.output_dir}/config_logs}).
 * @param qos             SLURM quality of service ({@code sbatch --qos}). Default null.
 * @param account         SLURM account ({@code sbatch --account}). Default null.
 * @param rendezvous_timeout_s how long the processes of a job wait for each other at the start; a process that never
 *                        joins fails the others then, naming its rank. Default 300.
 * @param collective_timeout_s how long one collective (a gradient allreduce) may wait for a stuck peer. Default 1800
 *                        (a lost peer is reported at once; this bounds a hung one).
 */
public record LauncherConfig(String _target_, String cluster, String partition, String log_folder, String cache,
                             String config_dump_dir, String qos, String account, int rendezvous_timeout_s,
                             int collective_timeout_s) {

    /** {@code cluster} of the standalone launcher: the run happens in the processes that were started. */
    public static final String DEBUG = "debug";
    /** {@code cluster} of {@code launcher=submitit} / {@code launcher=slurm}: the run is submitted as a SLURM job. */
    public static final String SLURM = "slurm";

    public static LauncherConfig defaults() {
        return new Builder().build();
    }

    /** Whether {@code ./lcm train} outside a SLURM step submits a job instead of training. */
    public boolean submitsToSlurm() {
        return SLURM.equals(cluster);
    }

    /** Checks the values; {@code path} is this node's dotted path for messages. */
    public void validate(String path) {
        if (cluster == null) throw new LcmException(path + ".cluster is required (debug for the standalone launcher)");
        if (!cluster.equals(DEBUG) && !cluster.equals(SLURM)) {
            throw new LcmException(path + ".cluster must be " + DEBUG + " (launcher=standalone: train here, or in the workers "
                    + "torchrun / ./lcm launch / srun started) or " + SLURM + " (launcher=submitit: submit a SLURM job), got '" + cluster + "'");
        }
        if (rendezvous_timeout_s < 1) throw new LcmException(path + ".rendezvous_timeout_s must be at least 1, got " + rendezvous_timeout_s);
        if (collective_timeout_s < 1) throw new LcmException(path + ".collective_timeout_s must be at least 1, got " + collective_timeout_s);
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
        private String qos = null;
        private String account = null;
        private int rendezvous_timeout_s = 300;
        private int collective_timeout_s = 1800;

        private Builder() {
        }

        private Builder(LauncherConfig c) {
            this._target_ = c._target_;
            this.cluster = c.cluster;
            this.partition = c.partition;
            this.log_folder = c.log_folder;
            this.cache = c.cache;
            this.config_dump_dir = c.config_dump_dir;
            this.qos = c.qos;
            this.account = c.account;
            this.rendezvous_timeout_s = c.rendezvous_timeout_s;
            this.collective_timeout_s = c.collective_timeout_s;
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

        public Builder qos(String v) {
            this.qos = v;
            return this;
        }

        public Builder account(String v) {
            this.account = v;
            return this;
        }

        public Builder rendezvous_timeout_s(int v) {
            this.rendezvous_timeout_s = v;
            return this;
        }

        public Builder collective_timeout_s(int v) {
            this.collective_timeout_s = v;
            return this;
        }

        public LauncherConfig build() {
            return new LauncherConfig(_target_, cluster, partition, log_folder, cache, config_dump_dir, qos, account,
                    rendezvous_timeout_s, collective_timeout_s);
        }
    }
}
