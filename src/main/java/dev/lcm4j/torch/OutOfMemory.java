package dev.lcm4j.torch;

/**
 * Recognises an allocation failure: libtorch's CPU allocator ("DefaultCPUAllocator: can't allocate memory"), its CUDA
 * caching allocator ("CUDA out of memory", {@code c10::OutOfMemoryError}) and the JVM's {@link OutOfMemoryError}, so
 * that commands can say which setting to lower instead of printing a stack trace.
 */
public final class OutOfMemory {
    private OutOfMemory() {}

    /** Whether {@code ex} or one of its causes is an allocation failure. */
    public static boolean causedBy(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) return true;
            String m = String.valueOf(t.getMessage());
            if (m.contains("DefaultCPUAllocator: can't allocate memory") || m.contains("CUDA out of memory")
                    || m.contains("OutOfMemoryError")) return true;
        }
        return false;
    }

    /** The first non-blank line of the first message in the chain (libtorch's messages run on with a C++ backtrace). */
    public static String firstLine(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) return m.lines().findFirst().orElse("").strip();
        }
        return ex.getClass().getSimpleName();
    }
}
