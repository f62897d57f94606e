package dev.lcm4j.launch;

import dev.lcm4j.LcmException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SLURM's client commands ({@code sbatch}, {@code scontrol}, {@code scancel}, {@code sacct}) as lcm4j uses them.
 * Their errors become one {@link LcmException} line with SLURM's own words, so that a user sees what SLURM said
 * (an unknown partition, a QOS limit) and nothing else.
 */
public final class Slurm {
    /** States after which a job never runs again; anything else (PENDING, RUNNING, REQUEUED, ...) is still going. */
    static final Set<String> TERMINAL = Set.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY",
            "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "SPECIAL_EXIT", "REVOKED");
    private static final Pattern JOB_ID = Pattern.compile("^(\\d+)");

    /**
     * One job (or array task) as {@code scontrol show job} reports it.
     *
     * @param jobId     {@code JobId}: the job's own id (an array task has its own)
     * @param arrayTask {@code ArrayTaskId}: the task index, a range for tasks not yet started, null outside arrays
     * @param state     {@code JobState}, e.g. PENDING, RUNNING, COMPLETED
     * @param reason    {@code Reason}, e.g. BeginTime, Dependency, None
     * @param exitCode  {@code ExitCode} as {@code code:signal}
     * @param restarts  {@code Restarts}: how often it was requeued
     */
    public record JobState(String jobId, String arrayTask, String state, String reason, String exitCode, int restarts) {
        public boolean finished() {
            return TERMINAL.contains(state);
        }

        /** The shell-style exit status: the code, 128 + the signal, or 1 for a job that ended otherwise than COMPLETED. */
        public int exitStatus() {
            String[] p = exitCode == null ? new String[0] : exitCode.split(":");
            int code = p.length > 0 ? parse(p[0]) : 0, signal = p.length > 1 ? parse(p[1]) : 0;
            if (code != 0) return code;
            if (signal != 0) return 128 + signal;
            return "COMPLETED".equals(state) ? 0 : 1;
        }

        private static int parse(String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }

    private final Map<String, String> env;

    /** Uses the commands found on {@code PATH} of {@code env}. */
    public Slurm(Map<String, String> env) {
        this.env = env;
    }

    public static Slurm fromEnvironment() {
        return new Slurm(System.getenv());
    }

    /**
     * The executable {@code command} on PATH, or an error naming it and what to do instead ({@code alternative}):
     * checked before anything is written, so that a machine without SLURM leaves no trace.
     */
    public Path require(String command, String alternative) {
        Path p = which(command);
        if (p == null) {
            throw new LcmException(command + " not found on PATH: submitting to SLURM needs its client commands "
                    + "(run on a SLURM login node, or install slurm-client); " + alternative);
        }
        return p;
    }

    Path which(String command) {
        String path = env.getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** {@code sbatch --parsable [args] script}: the new job's id, or SLURM's refusal as one error line. */
    public String submit(Path script, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(command("sbatch"), "--parsable"));
        cmd.addAll(args);
        cmd.add(script.toString());
        Result r = run(cmd);
        if (r.code != 0) throw new LcmException("sbatch refused the job: " + errorLine(r.output, "sbatch exited with " + r.code));
        Matcher m = JOB_ID.matcher(r.output.strip());
        if (!m.find()) throw new LcmException("sbatch printed no job id: " + r.output.strip());
        return m.group(1);
    }

    /** {@code scontrol requeue ID}: the job stops and goes back to the queue (it must have been submitted with --requeue). */
    public void requeue(String jobId) {
        Result r = run(List.of(command("scontrol"), "requeue", jobId));
        if (r.code != 0) throw new LcmException("scontrol requeue " + jobId + " failed: " + errorLine(r.output, "exit code " + r.code));
    }

    /** {@code scancel ID}; failures are ignored (the job may have ended meanwhile). */
    public void cancel(String jobId) {
        run(List.of(command("scancel"), jobId));
    }

    /**
     * The job's state, one entry per array task for an array job (tasks not yet started share one entry); empty when
     * SLURM no longer knows the job ({@code MinJobAge} after its end, and no accounting to ask).
     */
    public List<JobState> show(String jobId) {
        Result r = run(List.of(command("scontrol"), "show", "job", "-o", jobId));
        if (r.code != 0) {
            if (r.output.contains("Invalid job id")) return accounting(jobId);
            throw new LcmException("scontrol show job " + jobId + " failed: " + errorLine(r.output, "exit code " + r.code));
        }
        List<JobState> states = new ArrayList<>();
        for (String line : r.output.split("\n")) {
            if (!line.contains("JobState=")) continue;
            states.add(new JobState(field(line, "JobId"), field(line, "ArrayTaskId"), field(line, "JobState"),
                    field(line, "Reason"), field(line, "ExitCode"), parseInt(field(line, "Restarts"))));
        }
        return states;
    }

    /** sacct's record of a job that scontrol has forgotten; empty without accounting. */
    private List<JobState> accounting(String jobId) {
        if (which("sacct") == null) return List.of();
        Result r = run(List.of(command("sacct"), "-n", "-X", "-P", "-j", jobId, "-o", "JobID,State,ExitCode"));
        List<JobState> out = new ArrayList<>();
        if (r.code != 0) return out;
        for (String line : r.output.split("\n")) {
            String[] f = line.strip().split("\\|");
            if (f.length < 3) continue;
            String state = f[1].split(" ")[0]; // "CANCELLED by 0"
            String[] id = f[0].split("_", 2);
            out.add(new JobState(id[0], id.length > 1 ? id[1] : null, state, "None", f[2], 0));
        }
        return out;
    }

    /** {@code Key=value} of a one-line scontrol record (values without spaces, as these keys have). */
    static String field(String line, String key) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(key) + "=(\\S*)").matcher(line);
        return m.find() ? m.group(1) : null;
    }

    private static int parseInt(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** SLURM's error lines, without the {@code sbatch: error: } prefix, as one line. */
    static String errorLine(String output, String fallback) {
        Set<String> lines = new LinkedHashSet<>();
        for (String l : output.split("\n")) {
            String s = l.strip();
            if (s.isEmpty()) continue;
            lines.add(s.replaceFirst("^\\S+: error: ", "").replaceFirst("^error: ", ""));
        }
        return lines.isEmpty() ? fallback : String.join("; ", lines);
    }

    private String command(String name) {
        Path p = which(name);
        if (p == null) throw new LcmException(name + " not found on PATH (SLURM's client commands are needed)");
        return p.toString();
    }

    private record Result(int code, String output) {
    }

    private Result run(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LcmException(String.join(" ", cmd.subList(0, 2)) + " did not answer in 120 s; is slurmctld up?");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new LcmException("cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LcmException("interrupted while running " + cmd.get(0));
        }
    }
}
