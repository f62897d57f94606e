package dev.lcm4j.prepare;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting on pool tasks: the first failure is rethrown as itself (an LcmException stays one) and the rest cancelled. */
final class Parallel {
    private Parallel() {
    }

    static void await(List<? extends Future<?>> futures) {
        try {
            for (Future<?> f : futures) f.get();
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (CancellationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value of a future that {@link #await} has already seen complete. */
    static <T> T done(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }
}
