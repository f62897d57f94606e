package dev.lcm4j.architecture.violations.models.crossfamily;

import dev.lcm4j.architecture.violations.models.somefamily.FamilyInternals;

/** Deliberately wrong: one family package using another family's class; LayeringTest must report it. */
public final class FamilyViolation {
    public static int use() {
        return FamilyInternals.value();
    }
}
