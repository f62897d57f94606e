package dev.lcm4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarConsumer;
import org.junit.jupiter.api.Test;

/** Outside a terminal, progress is a few plain lines, never carriage-return redraws. */
class ProgressBarsTest {
    @Test
    void plainLinesAtMostOnePerIntervalAndTheLastAtTheEnd() {
        List<String> lines = new ArrayList<>();
        ProgressBars.Plain p = new ProgressBars.Plain(lines::add, 60_000);
        for (int i = 0; i < 1000; i++) p.accept("train " + i + "/1000\r");
        p.close();
        assertEquals(List.of("train 0/1000", "train 999/1000"), lines);
    }

    @Test
    void aBarWithoutTerminalWritesNoCarriageReturns() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
        ProgressBarConsumer c = ProgressBars.consumer(err, false);
        try (ProgressBar bar = ProgressBars.builder("task", 500).setConsumer(c).build()) {
            for (int i = 0; i < 500; i++) bar.step();
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), out);
        assertTrue(out.lines().count() <= 3, "a short task prints a line or two: " + out);
        assertTrue(out.strip().endsWith("") && out.contains("task"), out);
    }
}
