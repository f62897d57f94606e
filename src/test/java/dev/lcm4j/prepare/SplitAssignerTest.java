package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SplitAssignerTest {
    @Test
    void fractionWithinFourSigmaOfTheBinomial() {
        for (double f : new double[] {0.05, 0.2, 0.5}) {
            for (long seed : new long[] {0, 1, 42}) {
                SplitAssigner a = new SplitAssigner(seed, f);
                int n = 20_000, validation = 0;
                for (int i = 0; i < n; i++) if (a.assign("doc-" + i).equals(SplitAssigner.VALIDATION)) validation++;
                double sigma = Math.sqrt(n * f * (1 - f));
                assertEquals(n * f, validation, 4 * sigma, "fraction " + f + " seed " + seed);
            }
        }
    }

    @Test
    void stableAcrossInstancesAndOrderAndChangesWithTheSeed() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2000; i++) ids.add(Integer.toString(i));
        List<String> first = ids.stream().map(new SplitAssigner(7, 0.3)::assign).toList();
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, new Random(3));
        SplitAssigner again = new SplitAssigner(7, 0.3);
        for (String id : shuffled) assertEquals(first.get(Integer.parseInt(id)), again.assign(id));
        List<String> otherSeed = ids.stream().map(new SplitAssigner(8, 0.3)::assign).toList();
        long differ = 0;
        for (int i = 0; i < ids.size(); i++) if (!first.get(i).equals(otherSeed.get(i))) differ++;
        // independent seeds: P(differ) = 2 f (1 - f) = 0.42
        assertEquals(0.42 * ids.size(), differ, 4 * Math.sqrt(ids.size() * 0.42 * 0.58));
        // raising the fraction only moves documents from train to validation (a threshold on one uniform value)
        SplitAssigner more = new SplitAssigner(7, 0.5);
        for (int i = 0; i < ids.size(); i++) {
            if (first.get(i).equals(SplitAssigner.VALIDATION)) assertEquals(SplitAssigner.VALIDATION, more.assign(ids.get(i)));
        }
    }
}
