package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Task arguments: the reference's {@code unroll_configs}, which turns {@code --task_args} into one {@link Run} per
 * grid point, and typed access to a run's arguments.
 */
final class TaskArgs {
    /** Accepted by every task on top of its own defaults (only the text-generation tasks read them). */
    static final String EXTRA_METRICS_ARG = "extra_metrics";
    static final String ROUGE_STEMMER_ARG = "rouge_use_stemmer";

    private TaskArgs() {
    }

    /**
     * The runs of {@code task}: arguments grouped under the task's name are merged over the ungrouped ones; list
     * values of grouped arguments make a grid (unless the task's default is itself a list); grouped scalar values
     * that differ from the task default are appended to the run name as {@code .key_value}. Arguments grouped under
     * another task's name are left to that task.
     */
    static List<Run> unroll(String task, Map<String, Object> taskArgs) {
        TaskSpec spec = Tasks.spec(task);
        Map<String, Object> common = new LinkedHashMap<>(), grouped = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : taskArgs.entrySet()) {
            if (e.getKey().equals(task) && e.getValue() instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> g : m.entrySet()) grouped.put(String.valueOf(g.getKey()), g.getValue());
            } else if (!isTaskName(e.getKey())) {
                common.put(e.getKey(), e.getValue());
            }
        }
        List<Run> runs = new ArrayList<>();
        for (Map<String, Object> point : grid(spec, grouped)) {
            Map<String, Object> given = new LinkedHashMap<>(common);
            given.putAll(point);
            runs.add(new Run(runName(task, spec, point), spec, resolve(task, spec, given)));
        }
        return runs;
    }

    /** Every combination of the grouped values, in the order the arguments were given. */
    private static List<Map<String, Object>> grid(TaskSpec spec, Map<String, Object> grouped) {
        List<Map<String, Object>> grid = new ArrayList<>();
        grid.add(new LinkedHashMap<>());
        for (Map.Entry<String, Object> e : grouped.entrySet()) {
            // a list is one value, not a grid axis, where the task's argument is a list
            List<?> values = e.getValue() instanceof List<?> l && !(spec.defaults().get(e.getKey()) instanceof List) ? l : List.of(e.getValue());
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> g : grid) for (Object v : values) {
                Map<String, Object> m = new LinkedHashMap<>(g);
                m.put(e.getKey(), v);
                next.add(m);
            }
            grid = next;
        }
        return grid;
    }

    /** The task's defaults overlaid with {@code given}; a key the task does not have is an error that lists its keys. */
    private static Map<String, Object> resolve(String task, TaskSpec spec, Map<String, Object> given) {
        Map<String, Object> args = new LinkedHashMap<>(spec.defaults());
        for (Map.Entry<String, Object> e : given.entrySet()) {
            if (!spec.defaults().containsKey(e.getKey()) && !e.getKey().equals(EXTRA_METRICS_ARG) && !e.getKey().equals(ROUGE_STEMMER_ARG)) {
                throw new LcmException("task " + task + " has no argument '" + e.getKey() + "' (--task_args); its arguments: "
                        + String.join(", ", spec.defaults().keySet()) + ", " + EXTRA_METRICS_ARG + ", " + ROUGE_STEMMER_ARG);
            }
            args.put(e.getKey(), e.getValue());
        }
        extraMetrics(args, validMetrics(spec), task);   // a metric the task cannot compute fails before any data is read
        return args;
    }

    /** The {@code extra_metrics} a task can compute: vector metrics for lcm_next_sentence, text metrics otherwise. */
    static List<String> validMetrics(TaskSpec spec) {
        return spec.kind() == TaskSpec.Kind.LCM_NEXT_SENTENCE ? TextScores.VECTOR_METRICS : TextScores.EXTRA_METRICS;
    }

    /** The task name plus {@code .key_value} for each grouped scalar that differs from the task default. */
    private static String runName(String task, TaskSpec spec, Map<String, Object> point) {
        StringBuilder name = new StringBuilder(task);
        for (Map.Entry<String, Object> e : point.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map || v instanceof List) continue;
            if (!String.valueOf(v).equals(String.valueOf(spec.defaults().get(e.getKey())))) name.append('.').append(e.getKey()).append('_').append(v);
        }
        return name.toString();
    }

    private static boolean isTaskName(String key) {
        try {
            Tasks.spec(key);
            return true;
        } catch (LcmException e) {
            return false;
        }
    }

    /** A numeric argument as an int, or null when unset. */
    static Integer intArg(Map<String, Object> args, String key) {
        Object v = args.get(key);
        if (v == null) return null;
        if (v instanceof Number n) return n.intValue();
        throw new LcmException("task argument " + key + " must be a number, got " + v);
    }

    /** A numeric argument as a double, or null when unset. */
    static Double doubleArg(Map<String, Object> args, String key) {
        Object v = args.get(key);
        if (v == null) return null;
        if (v instanceof Number n) return n.doubleValue();
        throw new LcmException("task argument " + key + " must be a number, got " + v);
    }

    /** The {@code extra_metrics} list, each checked against the metrics {@code task} can compute; empty when unset. */
    static List<String> extraMetrics(Map<String, Object> args, List<String> valid, String task) {
        Object v = args.get(EXTRA_METRICS_ARG);
        if (v == null) return List.of();
        if (!(v instanceof List<?> l)) throw new LcmException("task argument extra_metrics must be a list, e.g. [\"bleu\", \"f1\"]");
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            String m = String.valueOf(o);
            if (!valid.contains(m)) {
                String hint = TextScores.VECTOR_METRICS.contains(m) ? " (" + m + " compares concept vectors: use it with lcm_next_sentence)"
                        : TextScores.EXTRA_METRICS.contains(m) ? " (" + m + " scores generated text: use it with a generation task)" : "";
                throw new LcmException("metric '" + m + "' in extra_metrics is not available for task " + task + hint + "; valid: " + String.join(", ", valid));
            }
            out.add(m);
        }
        return out;
    }
}
