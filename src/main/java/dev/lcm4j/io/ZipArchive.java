package dev.lcm4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipFile;

/**
 * Reads a zip archive's central directory (including Zip64) and hands out entries as ByteBuffers: stored entries
 * are memory-mapped in place, so a multi-hundred-megabyte checkpoint is not copied onto the heap.
 * {@link ZipFile} cannot do this since it hides where an entry's data starts.
 */
final class ZipArchive implements AutoCloseable {
    /** The archive is not a readable zip; the message says why. */
    static final class ZipFormatException extends IOException {
        ZipFormatException(String message) {
            super(message);
        }
    }

    record Entry(String name, int method, long compressedSize, long size, long localHeaderOffset) { }

    private static final int EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    ZipArchive(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            fileSize = channel.size();
            readCentralDirectory();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** The entry's uncompressed bytes, little-endian, position 0; read-only when mapped. */
    ByteBuffer read(Entry e) throws IOException {
        ByteBuffer local = readAt(e.localHeaderOffset(), 30);
        if (local.getInt(0) != LOCAL) throw new ZipFormatException("bad local header for " + e.name());
        long dataStart = e.localHeaderOffset() + 30 + (local.getShort(26) & 0xffff) + (local.getShort(28) & 0xffff);
        if (dataStart + e.compressedSize() > fileSize)
            throw new ZipFormatException("entry " + e.name() + " runs past the end of the file (truncated?)");
        if (e.method() == 0) {
            if (e.size() > Integer.MAX_VALUE)
                throw new ZipFormatException("entry " + e.name() + " is " + e.size() + " bytes; at most 2 GiB per"
                        + " storage is supported");
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart, e.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (e.method() != 8) throw new ZipFormatException("entry " + e.name() + " uses zip method " + e.method());
        if (e.size() > Integer.MAX_VALUE || e.compressedSize() > Integer.MAX_VALUE)
            throw new ZipFormatException("compressed entry " + e.name() + " is too large");
        ByteBuffer packed = readAt(dataStart, (int) e.compressedSize());
        ByteBuffer out = ByteBuffer.allocate((int) e.size()).order(ByteOrder.LITTLE_ENDIAN);
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(packed);
            while (out.hasRemaining() && !inflater.finished()) {
                if (inflater.inflate(out) == 0 && (inflater.needsInput() || inflater.needsDictionary()))
                    throw new ZipFormatException("compressed entry " + e.name() + " is truncated");
            }
        } catch (DataFormatException ex) {
            throw new ZipFormatException("compressed entry " + e.name() + " is corrupt: " + ex.getMessage());
        } finally {
            inflater.end();
        }
        return out.flip();
    }

    private void readCentralDirectory() throws IOException {
        int tailLength = (int) Math.min(fileSize, 22 + 65535);
        ByteBuffer tail = readAt(fileSize - tailLength, tailLength);
        int eocd = -1;
        for (int i = tailLength - 22; i >= 0; i--) {
            if (tail.getInt(i) == EOCD) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) throw new ZipFormatException("no zip end-of-central-directory record (not a zip, or truncated)");
        long count = tail.getShort(eocd + 10) & 0xffff;
        long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
        long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
        long eocdPos = fileSize - tailLength + eocd;
        if ((count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) && eocdPos >= 20) {
            ByteBuffer locator = readAt(eocdPos - 20, 20);
            if (locator.getInt(0) == ZIP64_LOCATOR) {
                ByteBuffer z = readAt(locator.getLong(8), 56);
                if (z.getInt(0) != ZIP64_EOCD) throw new ZipFormatException("bad Zip64 end record");
                count = z.getLong(32);
                cdSize = z.getLong(40);
                cdOffset = z.getLong(48);
            }
        }
        if (cdOffset + cdSize > fileSize || cdSize > Integer.MAX_VALUE)
            throw new ZipFormatException("central directory lies outside the file (truncated?)");
        ByteBuffer cd = readAt(cdOffset, (int) cdSize);
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL) throw new ZipFormatException("corrupt central directory");
            int method = cd.getShort(p + 10) & 0xffff;
            long compressed = cd.getInt(p + 20) & 0xffffffffL;
            long size = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff, extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long offset = cd.getInt(p + 42) & 0xffffffffL;
            if (p + 46 + nameLen + extraLen > cd.limit()) throw new ZipFormatException("corrupt central directory");
            byte[] name = new byte[nameLen];
            cd.get(p + 46, name);
            // Zip64 extended information: the 64-bit values of the fields that are saturated, in this order.
            for (int x = p + 46 + nameLen, end = x + extraLen; x + 4 <= end; ) {
                int id = cd.getShort(x) & 0xffff, len = cd.getShort(x + 2) & 0xffff;
                if (id == 1) {
                    int f = x + 4;
                    if (size == 0xffffffffL) { size = cd.getLong(f); f += 8; }
                    if (compressed == 0xffffffffL) { compressed = cd.getLong(f); f += 8; }
                    if (offset == 0xffffffffL) offset = cd.getLong(f);
                }
                x += 4 + len;
            }
            String n = new String(name, StandardCharsets.UTF_8);
            entries.put(n, new Entry(n, method, compressed, size, offset));
            p += 46 + nameLen + extraLen + commentLen;
        }
    }

    private ByteBuffer readAt(long position, int length) throws IOException {
        if (position < 0 || position + length > fileSize)
            throw new ZipFormatException("zip structure points outside the file (truncated?)");
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (channel.read(b, position + b.position()) < 0) throw new ZipFormatException("unexpected end of file");
        }
        return b.flip();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
