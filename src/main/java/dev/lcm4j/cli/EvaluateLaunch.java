package dev.lcm4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.config.RequirementsConfig;
import dev.lcm4j.dist.DistributedEnvironment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How {@code ./lcm evaluate} runs: the reference's {@code --launcher} and {@code --job_args}, and the decision
 * whether this process evaluates everything, is one shard of a multi-process job, or starts the shards itself.
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
        /** SLURM. Submission is not available; inside an srun step every task is a shard. */
        SUBMITIT,
        /** The same as submitit. */
        SLURM;

        static Launcher parse(String name) {
            for (Launcher l : values()) if (l.cliName().equals(name)) return l;
            List<String> names = new ArrayList<>();
            for (Launcher l : values()) names.add(l.cliName());
            throw new LcmException("--launcher '" + name + "' is not one of " + String.join(", ", names)
                    + " (standalone: local processes; submitit/slurm: inside an srun step, every task is a shard)");
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
     * @param requirements the stopes {@code Requirements} given, over lcm4j's defaults; recorded only: lcm4j requests
     *                     no resources
     * @param launcher     the {@code launcher.*} keys given, over the launcher defaults; only
     *                     {@code rendezvous_timeout_s} and {@code collective_timeout_s} act in evaluate
     * @param noEffect     the keys given that have no effect in lcm4j, for a notice
     */
    record JobArgs(Integer nshards, RequirementsConfig requirements, LauncherConfig launcher, List<String> noEffect) {
        /** The launcher keys that act in evaluate; every other {@code launcher.*} key is accepted and has no effect. */
        static final List<String> ACTIVE_LAUNCHER_KEYS = List.of("rendezvous_timeout_s", "collective_timeout_s");

        static JobArgs none() {
            return new JobArgs(null, RequirementsConfig.defaults(), LauncherConfig.defaults(), List.of());
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
            RequirementsConfig requirements = RequirementsConfig.defaults();
            Map<String, Object> launcher = new LinkedHashMap<>();
            List<String> noEffect = new ArrayList<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                Object value = e.getValue();
                if (key.equals("nshards")) {
                    nshards = nshards(value);
                } else if (key.equals("requirements")) {
                    if (!(value instanceof Map<?, ?> r)) {
                        throw new LcmException("--job_args requirements must be a JSON object, e.g. {\"gpus_per_node\": 1, \"timeout_min\": 120}");
                    }
                    Map<String, Object> tree = new LinkedHashMap<>();
                    r.forEach((k, x) -> tree.put(String.valueOf(k), hydraValue(x)));
                    requirements = ConfigBinder.bind(tree, RequirementsConfig.class, "requirements");
                    noEffect.add("requirements");
                } else if (key.startsWith("launcher.") && key.length() > "launcher.".length()) {
                    String field = key.substring("launcher.".length());
                    launcher.put(field, hydraValue(value));
                    if (!ACTIVE_LAUNCHER_KEYS.contains(field)) noEffect.add(key);
                } else {
                    throw new LcmException("--job_args has an unknown key '" + key + "'; known keys: nshards, requirements, launcher.<field> ("
                            + String.join(", ", ConfigBinder.toTree(LauncherConfig.defaults()).keySet()) + ")");
                }
            }
            // unknown launcher fields fail here, each named with its dotted path
            LauncherConfig l = ConfigBinder.bind(launcher, LauncherConfig.class, "launcher");
            l.validate("launcher");
            return new JobArgs(nshards, requirements, l, noEffect);
        }

        private static int nshards(Object value) {
            Object v = hydraValue(value);
            if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new LcmException("--job_args nshards must be a whole number >= 1, got " + value);
            }
            if (n.longValue() < 1) throw new LcmException("--job_args nshards must be >= 1, got " + value);
            if (n.longValue() > 1024) throw new LcmException("--job_args nshards " + value + " is more than 1024 local processes");
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
        SPAWN
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
            throw new LcmException(flag + ": SLURM submission of evaluate is not available yet; run inside an salloc/srun allocation"
                    + " (every task becomes a shard) or use --launcher standalone");
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
