package dev.lcm4j.train;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer per run directory: an exclusive operating-system lock on {@code output_dir/.lcm4j.lock}, held for the
 * whole run, whose file names the holder (pid, host, start time). A second writer is refused with that name. The
 * system releases the lock when its process dies, however it dies, so a lock left by a dead run is simply taken over.
 */
final class RunLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
    static final String FILE = ".lcm4j.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static RunLock acquire(Path outputDir) {
        Path file = outputDir.resolve(FILE);
        FileChannel ch = null;
        try {
            Files.createDirectories(outputDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this very JVM holds it (another run in the same process)
            }
            String previous = read(ch);
            if (lock == null) {
                ch.close();
                throw new LcmException("output_dir " + outputDir + " is in use by another training run ("
                        + (previous.isBlank() ? "holder unknown" : previous) + "); wait for it to end or choose another ++trainer.output_dir");
            }
            if (!previous.isBlank()) LOG.info("taking over the lock of {} left by a run that ended ({})", outputDir, previous);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " on " + host() + " since " + Instant.now())
                    .getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            return new RunLock(ch, lock);
        } catch (IOException e) {
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // the error below is what matters
            }
            throw new LcmException("cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    @Override
    public void close() {
        try {
            channel.truncate(0); // no holder any more
            lock.release();
            channel.close();
        } catch (IOException e) {
            LOG.warn("cannot release the run lock: {}", e.getMessage());
        }
    }
}
