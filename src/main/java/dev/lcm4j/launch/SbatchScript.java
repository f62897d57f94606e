package dev.lcm4j.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The text of an sbatch script: {@code #SBATCH} lines from a {@link SlurmJobSpec}, then the body. The script is
 * kept next to the job's logs, so it says exactly what ran and can be resubmitted by hand.
 */
public final class SbatchScript {
    /** Words the shell takes literally without quotes. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private SbatchScript() {
    }

    /** The {@code #SBATCH} options of {@code spec}, in a fixed order (one per line in the script). */
    public static List<String> directives(SlurmJobSpec spec) {
        List<String> d = new ArrayList<>();
        d.add("--job-name=" + spec.jobName());
        d.add("--nodes=" + spec.nodes());
        d.add("--ntasks-per-node=" + spec.tasksPerNode());
        if (spec.gpusPerNode() > 0) d.add("--gpus-per-node=" + spec.gpusPerNode());
        d.add("--cpus-per-task=" + spec.cpusPerTask());
        if (spec.memGb() > 0) d.add("--mem=" + spec.memGb() + "G");
        d.add("--time=" + spec.timeoutMin());
        if (set(spec.constraint())) d.add("--constraint=" + spec.constraint());
        if (set(spec.partition())) d.add("--partition=" + spec.partition());
        if (set(spec.qos())) d.add("--qos=" + spec.qos());
        if (set(spec.account())) d.add("--account=" + spec.account());
        if (spec.array() != null) d.add("--array=" + spec.array());
        if (spec.dependency() != null) {
            d.add("--dependency=" + spec.dependency());
            d.add("--kill-on-invalid-dep=yes"); // a failed predecessor cancels this job instead of leaving it pending forever
        }
        String log = spec.logFolder().resolve(spec.logName()).toString();
        d.add("--output=" + log);
        d.add("--error=" + log);
        d.add("--open-mode=append"); // a requeued job adds to its log instead of wiping the first attempt's
        d.add("--chdir=" + spec.workDir());
        d.add("--export=ALL"); // the submitting shell's environment (LCM_CARDS_PATH, LCM4J_HOME, ...) reaches the tasks
        if (spec.preemptible()) d.add("--signal=USR1@90");
        if (spec.requeue()) d.add("--requeue");
        return d;
    }

    /**
     * The whole script: shebang, {@code #SBATCH} lines (sbatch reads them only before the first command), a comment
     * naming what wrote it, then {@code body}.
     */
    public static String render(SlurmJobSpec spec, String comment, List<String> body) {
        StringBuilder sb = new StringBuilder("#!/bin/bash\n");
        for (String d : directives(spec)) {
            // sbatch splits a directive at whitespace: a value with spaces must be quoted
            sb.append("#SBATCH ").append(d.matches("\\S+") ? d : quote(d)).append('\n');
        }
        sb.append('\n');
        for (String line : comment.split("\n")) sb.append("# ").append(line).append('\n');
        sb.append("set -u\n");
        for (String line : body) sb.append(line).append('\n');
        return sb.toString();
    }

    /** The lines that give each task its share of the cores: libtorch and lcm4j read these variables. */
    static List<String> threadEnvironment() {
        return List.of("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\" LCM_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"");
    }

    /** {@code argv} as one shell command line, each word quoted where needed. */
    public static String commandLine(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(quote(a));
        }
        return sb.toString();
    }

    /** A word for the shell: as is when plain, else in single quotes ({@code '} written as {@code '\''}). */
    public static String quote(String word) {
        if (!word.isEmpty() && PLAIN.matcher(word).matches()) return word;
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private static boolean set(String s) {
        return s != null && !s.isBlank();
    }
}
