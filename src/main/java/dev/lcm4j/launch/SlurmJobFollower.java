package dev.lcm4j.launch;

import dev.lcm4j.LcmException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --wait}: follows submitted jobs until SLURM says they are over, printing their log lines as they are
 * written and their state changes (a requeue shows as REQUEUED / PENDING and the job keeps being followed), then
 * returns the first failure's exit status, or 0. Stopping the follower (Ctrl-C) leaves the jobs running.
 */
public final class SlurmJobFollower {
    /**
     * A job to follow.
     *
     * @param jobId the id sbatch printed (an array job's id covers all its tasks)
     * @param label how the job is named in messages, e.g. "training job" or "merge job"
     * @param logs  its log files with the prefix their lines get (array tasks each have one)
     */
    public record Watched(String jobId, String label, List<Log> logs) {
    }

    /** A log file and the prefix of its lines when printed ("" for none). */
    public record Log(Path file, String prefix) {
    }

    private final Slurm slurm;
    private final PrintStream out;
    private final Duration poll;
    private final Map<Path, Long> offsets = new HashMap<>();
    private final Map<Path, ByteArrayOutputStream> partial = new HashMap<>();

    public SlurmJobFollower(Slurm slurm, PrintStream out, Duration poll) {
        this.slurm = slurm;
        this.out = out;
        this.poll = poll;
    }

    /** Follows {@code jobs} to their end; the exit status of the first job (in order) that did not complete, else 0. */
    public int follow(List<Watched> jobs) {
        Map<String, String> lastSeen = new LinkedHashMap<>();
        Map<String, List<Slurm.JobState>> finalStates = new LinkedHashMap<>();
        while (true) {
            boolean allDone = true;
            for (Watched w : jobs) {
                List<Slurm.JobState> states = slurm.show(w.jobId());
                if (states.isEmpty()) {
                    pumpAll(jobs, true);
                    throw new LcmException("SLURM no longer knows " + w.label() + " " + w.jobId() + " (it ended more than "
                            + "MinJobAge ago and there is no accounting to ask); its log: " + w.logs().get(0).file());
                }
                for (Slurm.JobState s : states) {
                    String key = s.jobId() + (s.arrayTask() == null ? "" : "_" + s.arrayTask());
                    String now = s.state() + (s.restarts() > 0 ? " restarts=" + s.restarts() : "")
                            + (s.finished() || "None".equals(s.reason()) || s.reason() == null ? "" : " (" + s.reason() + ")");
                    if (!now.equals(lastSeen.put(key, now))) {
                        synchronized (out) {
                            out.println("slurm: " + w.label() + " " + (s.arrayTask() == null ? s.jobId() : w.jobId() + "_" + s.arrayTask())
                                    + " " + now);
                        }
                    }
                    if (!s.finished()) allDone = false;
                }
                finalStates.put(w.jobId(), states);
            }
            pumpAll(jobs, false);
            if (allDone) {
                pumpAll(jobs, true);
                return verdict(jobs, finalStates);
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LcmException("stopped following; the jobs keep running (scancel "
                        + String.join(" ", jobs.stream().map(Watched::jobId).toList()) + " stops them)");
            }
        }
    }

    private int verdict(List<Watched> jobs, Map<String, List<Slurm.JobState>> states) {
        for (Watched w : jobs) {
            for (Slurm.JobState s : states.get(w.jobId())) {
                int status = s.exitStatus();
                if (status != 0) {
                    String id = s.arrayTask() == null ? s.jobId() : w.jobId() + "_" + s.arrayTask();
                    out.println("slurm: " + w.label() + " " + id + " ended " + s.state() + " (exit code " + s.exitCode() + ")");
                    return status;
                }
            }
        }
        return 0;
    }

    private void pumpAll(List<Watched> jobs, boolean flush) {
        for (Watched w : jobs) for (Log l : w.logs()) pump(l, flush);
    }

    /** Prints the complete lines added to the log since the last call; {@code flush} also prints a last partial line. */
    private void pump(Log log, boolean flush) {
        Path f = log.file();
        // bytes, not characters, are kept between polls: a read may end inside a multi-byte character
        ByteArrayOutputStream rest = partial.computeIfAbsent(f, k -> new ByteArrayOutputStream());
        if (Files.isRegularFile(f)) {
            long from = offsets.getOrDefault(f, 0L);
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
                long len = raf.length();
                if (len > from) {
                    byte[] b = new byte[(int) Math.min(len - from, 1 << 24)];
                    raf.seek(from);
                    raf.readFully(b);
                    offsets.put(f, from + b.length);
                    rest.write(b, 0, b.length);
                }
            } catch (IOException e) {
                return; // the file is being created; the next poll reads it
            }
        }
        byte[] all = rest.toByteArray();
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == '\n') {
                lines.add(new String(all, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (flush && start < all.length) {
            lines.add(new String(all, start, all.length - start, StandardCharsets.UTF_8));
            start = all.length;
        }
        rest.reset();
        rest.write(all, start, all.length - start);
        if (lines.isEmpty()) return;
        synchronized (out) {
            for (String l : lines) out.println(log.prefix() + l);
        }
    }
}
