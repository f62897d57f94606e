package dev.lcm4j.architecture.violations.models.somefamily;

/** A class of a model family package. */
public final class FamilyInternals {
    public static int value() {
        return 1;
    }
}
