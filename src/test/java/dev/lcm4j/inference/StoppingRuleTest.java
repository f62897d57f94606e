package dev.lcm4j.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lcm4j.LcmException;
import org.junit.jupiter.api.Test;

/** The reference's stopping rules, on hand-made concepts whose cosines are known. */
class StoppingRuleTest {
    private static final float[] X = {1, 0}, Y = {0, 1}, NEAR_X = {1, 0.1f};   // cos(X, NEAR_X) = 0.995

    private static GeneratorOptions options(Double eosThreshold, Double repetition, boolean trim, boolean includeEos) {
        return new GeneratorOptions(10, 2, eosThreshold, false, repetition, includeEos, trim, null, 1.0);
    }

    @Test
    void stopsAtMaxGenLenOnly() {
        StoppingRule r = StoppingRule.of(options(0.9, null, false, false), 3, null, null);
        assertEquals(2, r.minGen(), "min_gen_len 0/null means min_seq_len");
        assertEquals(StoppingRule.Decision.GO_ON, r.after(X, X, 0));
        assertEquals(StoppingRule.Decision.GO_ON, r.after(X, X, 1));
        assertEquals(StoppingRule.Decision.STOP, r.after(X, X, 2));
        assertEquals(10, StoppingRule.of(options(0.9, null, false, false), null, null, null).maxGen(), "null max_gen_len means max_seq_len");
    }

    @Test
    void eosAndRepetitionCountOnlyAfterMinGenLen() {
        StoppingRule eos = StoppingRule.of(options(0.9, null, false, false), 5, 2, X);
        assertEquals(StoppingRule.Decision.GO_ON, eos.after(Y, NEAR_X, 1), "before min_gen_len");
        assertEquals(StoppingRule.Decision.STOP, eos.after(Y, NEAR_X, 2));
        assertEquals(StoppingRule.Decision.GO_ON, eos.after(Y, Y, 2), "cosine 0 to EOS");
        StoppingRule rep = StoppingRule.of(options(0.9, 0.99, true, false), 5, 1, null);
        assertEquals(StoppingRule.Decision.STOP_DROP_LAST, rep.after(X, NEAR_X, 1), "a repetition is an EOS, trimmed");
        assertEquals(StoppingRule.Decision.GO_ON, rep.after(X, Y, 1));
        StoppingRule kept = StoppingRule.of(options(0.9, 0.99, true, true), 5, 1, null);
        assertEquals(StoppingRule.Decision.STOP, kept.after(X, NEAR_X, 1), "include_eos_token keeps it");
    }

    @Test
    void badLengthsAndDimensionsAreUserErrors() {
        assertThrows(LcmException.class, () -> StoppingRule.of(options(0.9, null, false, false), 11, null, null));
        StoppingRule r = StoppingRule.of(options(0.9, null, false, false), 5, 1, new float[] {1, 0, 0});
        assertThrows(LcmException.class, () -> r.after(X, X, 1));
    }
}
