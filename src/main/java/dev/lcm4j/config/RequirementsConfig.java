package dev.lcm4j.config;

/**
 * Cluster resources ({@code trainer.requirements}, reference {@code recipes/common/requirements.yaml} and the
 * stopes {@code Requirements}). lcm4j runs on one machine: these values are recorded in the config dump and not
 * otherwise used.
 *
 * @param nodes           machines. Default 1.
 * @param tasks_per_node  processes per machine. Default 8.
 * @param gpus_per_node   GPUs per machine. Default 8.
 * @param cpus_per_task   CPU cores per process. Default 8.
 * @param mem_gb          memory per machine in GB (0 = all). Default 256.
 * @param timeout_min     job time limit in minutes. Default 4320.
 * @param constraint      SLURM constraint. Default {@code volta32gb} (requirements.yaml sets null).
 * @param max_num_timeout resubmissions after timeouts. Default 10.
 */
public record RequirementsConfig(int nodes, int tasks_per_node, int gpus_per_node, int cpus_per_task, int mem_gb,
                                 int timeout_min, String constraint, int max_num_timeout) {

    public static RequirementsConfig defaults() {
        return new RequirementsConfig(1, 8, 8, 8, 256, 4320, "volta32gb", 10);
    }
}
