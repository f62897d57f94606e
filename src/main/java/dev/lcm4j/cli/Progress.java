package dev.lcm4j.cli;

import dev.lcm4j.io.ProgressBars;
import me.tongfei.progressbar.ProgressBar;

/** Progress bars of the commands (see {@link ProgressBars}: redrawn on a terminal, plain lines in logs). */
final class Progress {
    private Progress() {}

    static ProgressBar bar(String task, long max) {
        return ProgressBars.bar(task, max);
    }
}
