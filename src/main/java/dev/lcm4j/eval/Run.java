package dev.lcm4j.eval;

import java.util.Map;

/**
 * One evaluation run: a task with its resolved arguments, filed under its run name. {@link TaskArgs#unroll} makes
 * one per grid point of {@code --task_args}.
 *
 * @param name the task name plus {@code .key_value} for each grouped argument that differs from the task default
 *             (e.g. {@code lcm_generation.max_gen_len_10}); names the files under {@code results/} and
 *             {@code raw_results/}
 * @param spec the task
 * @param args the task's defaults overlaid with the user's arguments
 */
record Run(String name, TaskSpec spec, Map<String, Object> args) {
}
