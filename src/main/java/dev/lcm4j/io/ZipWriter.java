package dev.lcm4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes an uncompressed zip the way PyTorch's archive writer does: every record's data starts on a 64-byte
 * boundary, reached by a local-header extra field with id {@code "FB"} filled with {@code 'Z'} (so torch can
 * memory-map storages in place). Offsets past 4 GiB switch to Zip64 records; a single entry is at most 2 GiB
 * (one ByteBuffer).
 */
final class ZipWriter {
    static final int ALIGNMENT = 64;
    static final long ZIP32_LIMIT = 0xffffffffL;

    private record Written(byte[] name, long crc, long size, long offset) { }

    private final OutputStream out;
    private final WritableByteChannel channel;
    private final long zip64Threshold;
    private final List<Written> written = new ArrayList<>();
    private long position;

    /** @param zip64Threshold offsets at or above this use Zip64 records (lowered only by tests) */
    ZipWriter(OutputStream out, long zip64Threshold) {
        this.out = out;
        this.channel = Channels.newChannel(out);
        this.zip64Threshold = zip64Threshold;
    }

    void add(String name, byte[] data) throws IOException {
        add(name, ByteBuffer.wrap(data));
    }

    /** Adds a stored entry with the bytes {@code 0 .. limit()} of {@code data}. */
    void add(String name, ByteBuffer data) throws IOException {
        ByteBuffer bytes = data.duplicate().position(0);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(bytes.duplicate());
        long size = bytes.remaining();
        long offset = position;
        long dataStart = offset + 30 + nameBytes.length + 4;
        int padding = (int) ((ALIGNMENT - dataStart % ALIGNMENT) % ALIGNMENT);
        ByteBuffer header = le(30 + nameBytes.length + 4 + padding);
        header.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0)
                .putInt(0x21 << 16) // time 0, date 1980-01-01
                .putInt((int) crc.getValue()).putInt((int) size).putInt((int) size)
                .putShort((short) nameBytes.length).putShort((short) (4 + padding)).put(nameBytes)
                .put((byte) 'F').put((byte) 'B').putShort((short) padding);
        for (int i = 0; i < padding; i++) header.put((byte) 'Z');
        emit(header.flip());
        emit(bytes);
        written.add(new Written(nameBytes, crc.getValue(), size, offset));
    }

    /** Writes the central directory and end records; the stream stays open. */
    void finish() throws IOException {
        long cdStart = position;
        for (Written w : written) {
            // A Zip64 entry saturates sizes as well as the offset: miniz (torch's reader) checks the 32-bit
            // offset + size against the file length unless the size is saturated too.
            boolean zip64 = w.offset() >= zip64Threshold;
            int size32 = zip64 ? (int) ZIP32_LIMIT : (int) w.size();
            ByteBuffer e = le(46 + w.name().length + (zip64 ? 28 : 0));
            e.putInt(0x02014b50).putShort((short) (zip64 ? 45 : 20)).putShort((short) (zip64 ? 45 : 20))
                    .putShort((short) 0).putShort((short) 0).putInt(0x21 << 16)
                    .putInt((int) w.crc()).putInt(size32).putInt(size32)
                    .putShort((short) w.name().length).putShort((short) (zip64 ? 28 : 0)).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt(zip64 ? (int) ZIP32_LIMIT : (int) w.offset()).put(w.name());
            if (zip64) e.putShort((short) 1).putShort((short) 24).putLong(w.size()).putLong(w.size()).putLong(w.offset());
            emit(e.flip());
        }
        long cdSize = position - cdStart;
        boolean zip64 = cdStart >= zip64Threshold || written.size() >= 0xffff;
        if (zip64) {
            long recordStart = position;
            ByteBuffer z = le(56 + 20);
            z.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                    .putLong(written.size()).putLong(written.size()).putLong(cdSize).putLong(cdStart);
            z.putInt(0x07064b50).putInt(0).putLong(recordStart).putInt(1);
            emit(z.flip());
        }
        ByteBuffer end = le(22);
        short count = (short) (zip64 ? 0xffff : written.size());
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort(count).putShort(count)
                .putInt(zip64 ? (int) ZIP32_LIMIT : (int) cdSize).putInt(zip64 ? (int) ZIP32_LIMIT : (int) cdStart)
                .putShort((short) 0);
        emit(end.flip());
        out.flush();
    }

    private void emit(ByteBuffer b) throws IOException {
        position += b.remaining();
        if (b.hasArray()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            b.position(b.limit());
        } else {
            while (b.hasRemaining()) channel.write(b);
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
