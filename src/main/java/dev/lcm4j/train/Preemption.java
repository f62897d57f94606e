package dev.lcm4j.train;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * A scheduler's warning that the job is about to be stopped: SLURM sends {@code SIGUSR1} ahead of the time limit or a
 * preemption when the job asks for it ({@code #SBATCH --signal=USR1@90}, as submitit does). The trainer checks the
 * flag after every step (all ranks agree through one collective), writes a checkpoint and stops; the job script
 * requeues itself, and the requeued job resumes from that checkpoint.
 */
public final class Preemption {
    private static final Logger LOG = LoggerFactory.getLogger(Preemption.class);
    private static final AtomicBoolean REQUESTED = new AtomicBoolean();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private Preemption() {}

    /** Listens for {@code SIGUSR1} (once per process; a JVM that cannot handle it logs and carries on). */
    public static void install() {
        if (!INSTALLED.compareAndSet(false, true)) return;
        try {
            Signal.handle(new Signal("USR1"), s -> {
                LOG.warn("received SIGUSR1: checkpointing after the current step, then stopping for a requeue");
                REQUESTED.set(true);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.info("SIGUSR1 cannot be handled here ({}); preemption warnings are ignored", e.getMessage());
        }
    }

    /** Asks the trainer to checkpoint and stop after the current step (what the signal does). */
    public static void request() {
        REQUESTED.set(true);
    }

    static boolean requested() {
        return REQUESTED.get();
    }

    /** For tests: forget an earlier request. */
    static void reset() {
        REQUESTED.set(false);
    }
}
