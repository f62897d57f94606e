package dev.lcm4j.prepare;

import java.nio.charset.StandardCharsets;
import dev.lcm4j.LcmException;

/**
 * Assigns documents without a split column to {@code train} or {@code validation} by a seeded hash of their id:
 * the same id, seed and fraction always give the same split, whatever the input order, thread count or resume
 * point, and about {@code fraction} of the documents land in validation.
 */
public record SplitAssigner(long seed, double validationFraction) {
    public static final String TRAIN = "train";
    public static final String VALIDATION = "validation";

    public SplitAssigner {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new LcmException("--validation-fraction must be in [0, 1), got " + validationFraction);
        }
    }

    public String assign(String id) {
        return uniform(id) < validationFraction ? VALIDATION : TRAIN;
    }

    /** A value in [0, 1): FNV-1a over the id's UTF-8 bytes, mixed with the seed by SplitMix64's finalizer. */
    double uniform(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        long z = h + seed * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
