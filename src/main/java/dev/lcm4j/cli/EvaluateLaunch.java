package dev.lcm4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.config.RequirementsConfig;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.launch.SlurmJobSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How {@code ./lcm evaluate} runs: the reference's {@code --launcher} and {@code --job_args}, and the decision
 * whether this process evaluates everything, is one shard of a multi-process job, starts the shards itself, or
 * submits a SLURM job whose tasks are the shards.
 */
final class EvaluateLaunch {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvaluateLaunch() {
    }

    /** The {@code --launcher} values. */
    enum Launcher {
        /** Local processes (the reference: stopes' "debug" cluster). The default. */
        STANDALONE,
        /** The same as standalone in lcm4j (the reference: submitit's local executor). */
        LOCAL,
        /** SLURM: outside a SLURM step, submits one job of nshards tasks; inside an srun step every task is a shard. */
        SUBMITIT,
        /** The same as submitit. */
        SLURM;

        static Launcher parse(String name) {
            for (Launcher l : values()) if (l.cliName().equals(name)) return l;
            List<String> names = new ArrayList<>();
            for (Launcher l : values()) names.add(l.cliName());
            throw new LcmException("--launcher '" + name + "' is not one of " + String.join(", ", names)
                    + " (standalone: local processes; submitit/slurm: a SLURM job whose tasks are the shards)");
        }

        String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean slurm() {
            return this == SUBMITIT || this == SLURM;
        }
    }

    /**
     * The reference's {@code --job_args}.
     *
     * @param nshards      shards to split every run into, or null (one; or, in a multi-process job, one per process)
     * @param requirements the stopes {@code Requirements} given, over {@link #EVAL_REQUIREMENTS}: the shape of the
     *                     job {@code --launcher submitit} submits ({@link #slurmJob})
     * @param launcher     the {@code launcher.*} keys given, over the launcher defaults
     * @param given        every key given, dotted ({@code nshards}, {@code launcher.partition},
     *                     {@code requirements.gpus_per_node}), in the order given: which of them act depends on whether
     *                     a job is submitted ({@link #noEffect})
     */
    record JobArgs(Integer nshards, RequirementsConfig requirements, LauncherConfig launcher, List<String> given) {
        /** Launcher keys that act wherever evaluate runs: the shards' rendezvous and gather. */
        static final List<String> ACTIVE_LAUNCHER_KEYS = List.of("rendezvous_timeout_s", "collective_timeout_s");
        /** Launcher keys that shape the SLURM job {@code --launcher submitit} submits. */
        static final List<String> SLURM_LAUNCHER_KEYS = List.of("partition", "qos", "account", "log_folder");
        /**
         * Requirement keys that shape the submitted job. {@code max_num_timeout} is not one: evaluate never requeues
         * itself (a job SLURM requeues resumes from the finished runs' results anyway).
         */
        static final List<String> SLURM_REQUIREMENT_KEYS = List.of("nodes", "tasks_per_node", "gpus_per_node", "cpus_per_task",
                "mem_gb", "timeout_min", "constraint");
        /**
         * The job's shape where {@code requirements} says nothing, not training's (8 GPUs, 256 GB, a volta32gb
         * constraint): lcm4j evaluates on the CPU, so one node, no GPU, 4 cores per shard, the partition's default memory
         * and a day, as {@code ./lcm prepare --launcher submitit} asks for.
         */
        static final RequirementsConfig EVAL_REQUIREMENTS = RequirementsConfig.builder().nodes(1).tasks_per_node(1)
                .gpus_per_node(0).cpus_per_task(4).mem_gb(0).timeout_min(1440).constraint(null).build();

        static JobArgs none() {
            return new JobArgs(null, EVAL_REQUIREMENTS, LauncherConfig.defaults(), List.of());
        }

        static JobArgs parse(String json) {
            if (json == null || json.isBlank()) return none();
            Object v;
            try {
                v = JSON.readValue(json, Object.class);
            } catch (JsonProcessingException e) {
                throw new LcmException("--job_args is not valid JSON (" + e.getOriginalMessage() + "): " + json
                        + "; example: '{\"nshards\": 2, \"launcher.collective_timeout_s\": 3600}'");
            }
            if (!(v instanceof Map<?, ?> m)) throw new LcmException("--job_args must be a JSON object, e.g. '{\"nshards\": 2}', got: " + json);
            Integer nshards = null;
            Map<String, Object> requirementsTree = new LinkedHashMap<>();
            Map<String, Object> launcher = new LinkedHashMap<>();
            List<String> given = new ArrayList<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                Object value = e.getValue();
                if (key.equals("nshards")) {
                    nshards = nshards(value);
                    given.add(key);
                } else if (key.equals("requirements")) {
                    if (!(value instanceof Map<?, ?> r)) {
                        throw new LcmException("--job_args requirements must be a JSON object, e.g. {\"gpus_per_node\": 1, \"timeout_min\": 120}");
                    }
                    r.forEach((k, x) -> requirementsTree.put(String.valueOf(k), hydraValue(x)));
                } else if (key.startsWith("requirements.") && key.length() > "requirements.".length()) {
                    // the dotted form some of the reference's commands use: "requirements.gpus_per_node": 1
                    requirementsTree.put(key.substring("requirements.".length()), hydraValue(value));
                } else if (key.startsWith("launcher.") && key.length() > "launcher.".length()) {
                    launcher.put(key.substring("launcher.".length()), hydraValue(value));
                    given.add(key);
                } else {
                    throw new LcmException("--job_args has an unknown key '" + key + "'; known keys: nshards, requirements"
                            + " (or requirements.<field>), launcher.<field> ("
                            + String.join(", ", ConfigBinder.toTree(LauncherConfig.defaults()).keySet()) + ")");
                }
            }
            // unknown requirement keys fail here, each named with its dotted path
            RequirementsConfig requirements = requirementsTree.isEmpty() ? EVAL_REQUIREMENTS
                    : ConfigBinder.bindOnto(requirementsTree, EVAL_REQUIREMENTS, RequirementsConfig.class, "requirements");
            for (String k : requirementsTree.keySet()) given.add("requirements." + k);
            // unknown launcher fields fail here, each named with its dotted path
            LauncherConfig l = ConfigBinder.bind(launcher, LauncherConfig.class, "launcher");
            l.validate("launcher");
            return new JobArgs(nshards, requirements, l, List.copyOf(given));
        }

        /** Whether {@code key} (dotted, e.g. {@code launcher.log_folder}) was given. */
        boolean gave(String key) {
            return given.contains(key);
        }

        /**
         * The keys given that have no effect, for a notice: the stopes-only keys always; the keys that shape a SLURM job
         * too unless {@code jobShaped} (this process submits the job, or is a task of a job evaluate submitted).
         */
        List<String> noEffect(boolean jobShaped) {
            List<String> out = new ArrayList<>();
            for (String k : given) {
                if (k.equals("nshards")) continue;
                boolean slurm;
                if (k.startsWith("launcher.")) {
                    String field = k.substring("launcher.".length());
                    if (ACTIVE_LAUNCHER_KEYS.contains(field)) continue;
                    slurm = SLURM_LAUNCHER_KEYS.contains(field);
                } else {
                    slurm = SLURM_REQUIREMENT_KEYS.contains(k.substring("requirements.".length()));
                }
                if (!slurm || !jobShaped) out.add(k);
            }
            return out;
        }

        /**
         * The SLURM job of {@code shards} shards: one task per shard, {@code nodes} (default 1) nodes with
         * {@code shards / nodes} tasks each, the requirements and launcher keys given for the rest; named after the
         * dump directory, logs in {@code launcher.log_folder} if given (relative to {@code workDir}), else
         * {@code <dump_dir>/executor_logs}. Requeueable (a requeued evaluation resumes from the runs it finished); no
         * preemption warning (evaluate has nothing to checkpoint between runs).
         */
        SlurmJobSpec slurmJob(int shards, Path dumpDir, Path workDir) {
            RequirementsConfig r = requirements;
            String at = "--job_args requirements.";
            SlurmJobSpec.atLeast(r.nodes(), 1, at + "nodes");
            if (shards % r.nodes() != 0) {
                throw new LcmException("--job_args nshards " + shards + " does not split evenly over requirements.nodes " + r.nodes()
                        + ": each node runs nshards / nodes tasks, one shard each; make nshards a multiple of nodes");
            }
            int perNode = shards / r.nodes();
            if (gave("requirements.tasks_per_node") && r.tasks_per_node() != perNode) {
                throw new LcmException("--job_args requirements.tasks_per_node " + r.tasks_per_node() + " does not match nshards "
                        + shards + " over " + r.nodes() + " node" + (r.nodes() == 1 ? "" : "s") + ": every task is one shard, so"
                        + " tasks_per_node is nshards / nodes = " + perNode + "; leave it out or make them agree");
            }
            SlurmJobSpec.atLeast(r.gpus_per_node(), 0, at + "gpus_per_node");
            SlurmJobSpec.atLeast(r.cpus_per_task(), 1, at + "cpus_per_task");
            SlurmJobSpec.atLeast(r.mem_gb(), 0, at + "mem_gb");
            SlurmJobSpec.atLeast(r.timeout_min(), 1, at + "timeout_min");
            String folder = launcher.log_folder();
            Path logs = gave("launcher.log_folder") && folder != null && !folder.isBlank()
                    ? workDir.resolve(folder) : workDir.resolve(dumpDir).resolve("executor_logs");
            return new SlurmJobSpec(jobName(workDir.resolve(dumpDir)), r.nodes(), perNode, r.gpus_per_node(), r.cpus_per_task(),
                    r.mem_gb(), r.timeout_min(), r.constraint(), launcher.partition(), launcher.qos(), launcher.account(),
                    logs, "%j.log", workDir, null, null, false, true);
        }

        /** {@code lcm_eval_<dump dir name>}, reduced to characters squeue and file names show as they are. */
        static String jobName(Path dumpDir) {
            Path name = dumpDir.normalize().getFileName();
            String s = name == null ? "" : name.toString().replaceAll("[^A-Za-z0-9_.-]+", "_");
            return s.isEmpty() ? "lcm_eval" : "lcm_eval_" + s;
        }

        private static int nshards(Object value) {
            Object v = hydraValue(value);
            if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new LcmException("--job_args nshards must be a whole number >= 1, got " + value);
            }
            if (n.longValue() < 1) throw new LcmException("--job_args nshards must be >= 1, got " + value);
            if (n.longValue() > 1024) throw new LcmException("--job_args nshards " + value + " is more than the 1024 shards (processes) evaluate starts");
            return n.intValue();
        }

        /**
         * A value as the reference's Hydra override {@code ++launcher.key=value} reads it: the strings "null", "true",
         * "false" and numerals become null, booleans and numbers (the README passes {@code "launcher.cache": "null"}).
         */
        private static Object hydraValue(Object v) {
            if (!(v instanceof String s)) return v;
            String t = s.strip();
            if (t.equals("null")) return null;
            if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) return Boolean.parseBoolean(t);
            if (t.matches("-?\\d{1,18}")) return Long.parseLong(t);
            return s;
        }
    }

    /** How this process takes part. */
    enum Mode {
        /** Evaluates every batch itself. */
        SINGLE,
        /** Is one rank of a job someone else started (torchrun, ./lcm launch, srun): one shard per rank. */
        RANK,
        /** Starts {@link Plan#shards} local worker processes, each a rank, and waits for them. */
        SPAWN,
        /** Submits a SLURM job of {@link Plan#shards} tasks, each a rank, and evaluates nothing itself. */
        SUBMIT
    }

    /**
     * @param mode   how this process takes part
     * @param shards the number of shards (processes) of every run
     */
    record Plan(Mode mode, int shards) {
    }

    /**
     * The plan for {@code launcher} and {@code nshards} in the environment {@code env} describes ({@code vars}: the
     * process environment, to tell whether this is a SLURM step).
     */
    static Plan plan(Launcher launcher, Integer nshards, DistributedEnvironment env, Map<String, String> vars) {
        String flag = "--launcher " + launcher.cliName();
        boolean inSlurmStep = env.source().equals("slurm") || vars.get("SLURM_STEP_ID") != null;
        if (launcher.slurm() && !inSlurmStep) {
            if (env.distributed()) {
                // every one of the processes would submit a job of its own
                throw new LcmException(flag + " under torchrun or ./lcm launch (WORLD_SIZE=" + env.worldSize() + "): each process would"
                        + " submit its own SLURM job; run ./lcm evaluate --launcher " + launcher.cliName() + " once, outside them"
                        + " (its job runs one task per shard), or use --launcher standalone");
            }
            return new Plan(Mode.SUBMIT, nshards == null ? 1 : nshards);
        }
        if (env.distributed()) {
            if (nshards != null && nshards != env.worldSize()) {
                String source = env.source().equals("slurm") ? "SLURM_NTASKS=" + env.worldSize() : "WORLD_SIZE=" + env.worldSize();
                throw new LcmException("--job_args nshards " + nshards + " does not match the " + env.worldSize()
                        + " processes of this job (" + source + "); each process is one shard: drop nshards or make them equal");
            }
            return new Plan(Mode.RANK, env.worldSize());
        }
        int n = nshards == null ? 1 : nshards;
        if (n == 1) return new Plan(Mode.SINGLE, 1);
        if (launcher.slurm()) {
            throw new LcmException(flag + " with nshards " + n + ": this SLURM step has 1 task; every task is a shard, so run it"
                    + " as srun --ntasks " + n + " ./lcm evaluate ... (or use --launcher standalone for " + n + " local processes)");
        }
        return new Plan(Mode.SPAWN, n);
    }
}
