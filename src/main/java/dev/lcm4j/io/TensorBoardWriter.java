package dev.lcm4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import java.net.InetAddress;

/**
 * Writes TensorBoard event files ({@code events.out.tfevents.<time>.<host>}) with scalar summaries: TFRecord framing
 * (length, masked CRC32C of the length, payload, masked CRC32C of the payload) around hand-encoded {@code Event}
 * protobufs, so no TensorFlow or protobuf dependency is needed. Each record is flushed as written, so a killed run
 * keeps every published point.
 */
public final class TensorBoardWriter implements AutoCloseable {
    private final OutputStream out;

    public TensorBoardWriter(Path dir) {
        try {
            Files.createDirectories(dir);
            String host = InetAddress.getLocalHost().getHostName();
            Path file = dir.resolve("events.out.tfevents." + (System.currentTimeMillis() / 1000) + "." + host + ".lcm4j");
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ByteArrayOutputStream ev = new ByteArrayOutputStream();
            writeDouble(ev, 1, System.currentTimeMillis() / 1000.0);
            writeBytes(ev, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8)); // file_version
            record(ev.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create TensorBoard events in " + dir, e);
        }
    }

    public synchronized void scalar(String tag, float value, long step) {
        ByteArrayOutputStream val = new ByteArrayOutputStream();
        writeBytes(val, 1, tag.getBytes(StandardCharsets.UTF_8));     // Summary.Value.tag
        writeFloat(val, 2, value);                                     // Summary.Value.simple_value
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        writeBytes(summary, 1, val.toByteArray());                     // Summary.value
        ByteArrayOutputStream ev = new ByteArrayOutputStream();
        writeDouble(ev, 1, System.currentTimeMillis() / 1000.0);       // Event.wall_time
        writeVarintField(ev, 2, step);                                 // Event.step
        writeBytes(ev, 5, summary.toByteArray());                      // Event.summary
        try {
            record(ev.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write TensorBoard event", e);
        }
    }

    private void record(byte[] data) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length);
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.put(len.array());
        head.putInt(maskedCrc(len.array()));
        out.write(head.array());
        out.write(data);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(data)).array());
        out.flush();
    }

    public static int maskedCrc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        int crc = (int) c.getValue();
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    private static void writeTag(ByteArrayOutputStream o, int field, int wire) {
        writeVarint(o, ((long) field << 3) | wire);
    }

    private static void writeVarint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void writeVarintField(ByteArrayOutputStream o, int field, long v) {
        writeTag(o, field, 0);
        writeVarint(o, v);
    }

    private static void writeDouble(ByteArrayOutputStream o, int field, double v) {
        writeTag(o, field, 1);
        o.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array());
    }

    private static void writeFloat(ByteArrayOutputStream o, int field, float v) {
        writeTag(o, field, 5);
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
    }

    private static void writeBytes(ByteArrayOutputStream o, int field, byte[] b) {
        writeTag(o, field, 2);
        writeVarint(o, b.length);
        o.writeBytes(b);
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
