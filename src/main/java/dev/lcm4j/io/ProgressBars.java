package dev.lcm4j.io;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr, so stdout stays machine-readable. On a terminal the bar redraws in place; when stderr is
 * a file or a pipe (logs, CI) it prints one plain line every {@link #PLAIN_INTERVAL_MS} ms and a last one at the end,
 * instead of kilobytes of carriage-return redraws.
 */
public final class ProgressBars {
    /** How often a bar prints a line when stderr is not a terminal. */
    public static final long PLAIN_INTERVAL_MS = 10_000;

    private ProgressBars() {}

    /** A bar counting {@code max} units of {@code task}. */
    public static ProgressBarBuilder builder(String task, long max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).setConsumer(consumer(System.err, System.console() != null));
    }

    public static ProgressBar bar(String task, long max) {
        return builder(task, max).build();
    }

    /** A bar that draws nothing (another rank's, or progress turned off). */
    public static ProgressBar silent(String task, long max) {
        return builder(task, max).setConsumer(new Plain(line -> { }, Long.MAX_VALUE)).build();
    }

    static ProgressBarConsumer consumer(PrintStream err, boolean terminal) {
        return terminal ? new ConsoleProgressBarConsumer(err) : new Plain(err::println, PLAIN_INTERVAL_MS);
    }

    /** Plain lines, at most one per interval, and the last state on close. */
    static final class Plain implements ProgressBarConsumer {
        private final java.util.function.Consumer<String> out;
        private final long intervalMs;
        private long lastPrinted = Long.MIN_VALUE / 2;
        private String last;

        Plain(java.util.function.Consumer<String> out, long intervalMs) {
            this.out = out;
            this.intervalMs = intervalMs;
        }

        @Override
        public int getMaxRenderedLength() {
            return 120;
        }

        @Override
        public void accept(String rendered) {
            last = rendered;
            long now = System.currentTimeMillis();
            if (now - lastPrinted >= intervalMs) {
                out.accept(rendered.strip());
                lastPrinted = now;
                last = null;
            }
        }

        @Override
        public void close() {
            if (last != null && intervalMs != Long.MAX_VALUE) out.accept(last.strip());
            last = null;
        }
    }
}
