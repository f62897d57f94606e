package dev.lcm4j.config;

/**
 * Cluster resources ({@code trainer.requirements}, reference {@code recipes/common/requirements.yaml} and the
 * stopes {@code Requirements}): the shape of the SLURM job that {@code launcher=submitit} submits (one
 * {@code #SBATCH} line each, see {@code dev.lcm4j.launch.SlurmJobSpec}). The standalone launcher records them only.
 *
 * @param nodes           machines. Default 1.
 * @param tasks_per_node  processes per machine. Default 8.
 * @param gpus_per_node   GPUs per machine. Default 8.
 * @param cpus_per_task   CPU cores per process. Default 8.
 * @param mem_gb          memory per machine in GB (0: not asked for, the partition's default). Default 256.
 * @param timeout_min     job time limit in minutes. Default 4320.
 * @param constraint      SLURM constraint. Default {@code volta32gb} (requirements.yaml sets null).
 * @param max_num_timeout how often a job requeues itself after a preemption or time-limit warning. Default 10.
 */
public record RequirementsConfig(int nodes, int tasks_per_node, int gpus_per_node, int cpus_per_task, int mem_gb,
                                 int timeout_min, String constraint, int max_num_timeout) {

    public static RequirementsConfig defaults() {
        return new Builder().build();
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
        private int nodes = 1;
        private int tasks_per_node = 8;
        private int gpus_per_node = 8;
        private int cpus_per_task = 8;
        private int mem_gb = 256;
        private int timeout_min = 4320;
        private String constraint = "volta32gb";
        private int max_num_timeout = 10;

        private Builder() {
        }

        private Builder(RequirementsConfig c) {
            this.nodes = c.nodes;
            this.tasks_per_node = c.tasks_per_node;
            this.gpus_per_node = c.gpus_per_node;
            this.cpus_per_task = c.cpus_per_task;
            this.mem_gb = c.mem_gb;
            this.timeout_min = c.timeout_min;
            this.constraint = c.constraint;
            this.max_num_timeout = c.max_num_timeout;
        }

        public Builder nodes(int v) {
            this.nodes = v;
            return this;
        }

        public Builder tasks_per_node(int v) {
            this.tasks_per_node = v;
            return this;
        }

        public Builder gpus_per_node(int v) {
            this.gpus_per_node = v;
            return this;
        }

        public Builder cpus_per_task(int v) {
            this.cpus_per_task = v;
            return this;
        }

        public Builder mem_gb(int v) {
            this.mem_gb = v;
            return this;
        }

        public Builder timeout_min(int v) {
            this.timeout_min = v;
            return this;
        }

        public Builder constraint(String v) {
            this.constraint = v;
            return this;
        }

        public Builder max_num_timeout(int v) {
            this.max_num_timeout = v;
            return this;
        }

        public RequirementsConfig build() {
            return new RequirementsConfig(nodes, tasks_per_node, gpus_per_node, cpus_per_task, mem_gb, timeout_min, constraint, max_num_timeout);
        }
    }
}
