package dev.lcm4j.models;

/** The sampling options of a family that has none beyond the generic generator options. */
public record NoSamplingOptions() {
    public static NoSamplingOptions defaults() {
        return new NoSamplingOptions();
    }
}
