package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's plain-word verdicts: lower l2 and higher CA beat a baseline; anything else is said. */
class DemoVerdictTest {
    /** Rows: l2, round-trip l2, CA, CA ref, PAR, ROUGE-L, ROUGE-2; columns: MSE, two-tower, mean, copy, random. */
    private static double[][] table(double mseL2, double mseCa, double ttL2, double ttCa) {
        double nan = Double.NaN;
        return new double[][] {
                {mseL2, ttL2, 0.926, 1.179, 1.30},
                {nan, nan, nan, nan, nan},
                {mseCa, ttCa, 0.502, 0.770, 0.58},
                {nan, nan, nan, nan, nan},
                {nan, nan, nan, nan, nan},
                {nan, nan, nan, nan, nan},
                {nan, nan, nan, nan, nan}};
    }

    @Test
    void aModelAheadOfEveryBaselineIsSaidToBeatThemAll() {
        String v = DemoCommand.verdicts(table(0.90, 0.80, 0.91, 0.78));
        assertEquals("- **MSE LCM**: beats every baseline on teacher-forced l2 and on CA.\n"
                + "- **two-tower LCM**: beats every baseline on teacher-forced l2 and on CA.\n", v);
    }

    @Test
    void everyBaselineAModelDoesNotBeatIsNamedWithBothNumbers() {
        String v = DemoCommand.verdicts(table(0.911, 0.684, 0.926, 0.80));
        assertEquals("- **MSE LCM**: does NOT beat copy previous / repeat last on CA (paper) (0.6840 against 0.7700)."
                + " It beats mean of train on l2 (teacher-forced) (0.9110 against 0.9260); copy previous / repeat last on l2"
                + " (teacher-forced) (0.9110 against 1.1790); random from train on l2 (teacher-forced) (0.9110 against 1.3000);"
                + " mean of train on CA (paper) (0.6840 against 0.5020); random from train on CA (paper) (0.6840 against 0.5800).\n"
                // a tie is not a win
                + "- **two-tower LCM**: does NOT beat mean of train on l2 (teacher-forced) (0.9260 against 0.9260). It beats copy"
                + " previous / repeat last on l2 (teacher-forced) (0.9260 against 1.1790); random from train on l2 (teacher-forced)"
                + " (0.9260 against 1.3000); mean of train on CA (paper) (0.8000 against 0.5020); copy previous / repeat last on"
                + " CA (paper) (0.8000 against 0.7700); random from train on CA (paper) (0.8000 against 0.5800).\n", v);
    }

    @Test
    void stepsOfAFamilyTheRunDoesNotTrainAreRefusedByName(@TempDir Path tmp) {
        Path out = tmp.resolve("demo");
        for (String flag : new String[] {"--one_tower_steps", "--quant_steps"}) {
            Cli.Outcome o = Cli.exec("demo", flag, "5", "--output", out.toString());
            assertEquals(2, o.code(), o.err());
            assertTrue(o.err().strip().startsWith("error: " + flag + " trains a model only --all-families adds"), o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertFalse(Files.exists(out), "nothing written");
        }
    }
}
