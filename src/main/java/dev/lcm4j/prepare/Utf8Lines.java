package dev.lcm4j.prepare;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.io.BufferedReader;

/**
 * Reads an input stream line by line as raw bytes ({@code \n} ends a line, a trailing {@code \r} is dropped) and
 * decodes each line as strict UTF-8, so a bad byte is reported with its line number instead of silently becoming
 * U+FFFD, as {@link BufferedReader} would do.
 */
final class Utf8Lines implements AutoCloseable {
    /** One decoded line; {@code text == null} when its bytes are not valid UTF-8. */
    record Line(long number, String text, byte[] bytes) {
    }

    private final InputStream in;
    private final CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private long number;
    private byte[] line = new byte[1024];

    Utf8Lines(InputStream in) {
        this.in = in;
    }

    /** The next line, or {@code null} at the end of the stream. */
    Line next() {
        int len = 0;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                try {
                    limit = in.read(buf, 0, buf.length);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) return null;
                    break;
                }
            }
            any = true;
            int start = pos;
            while (pos < limit && buf[pos] != '\n') pos++;
            int n = pos - start;
            if (len + n > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, len + n));
            System.arraycopy(buf, start, line, len, n);
            len += n;
            if (pos < limit) { // found '\n'
                pos++;
                break;
            }
        }
        if (len > 0 && line[len - 1] == '\r') len--;
        number++;
        byte[] bytes = Arrays.copyOf(line, len);
        return new Line(number, decode(bytes, len), bytes);
    }

    /** Strict decoding of {@code bytes[0, len)}; {@code null} if they are not UTF-8. */
    String decode(byte[] bytes, int len) {
        try {
            CharBuffer cb = strict.reset().decode(ByteBuffer.wrap(bytes, 0, len));
            return cb.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Length of {@code bytes} without a trailing incomplete UTF-8 sequence (a lead byte followed by fewer
     * continuation bytes than it announces), or {@code bytes.length} when the line does not end in one.
     */
    static int withoutTruncatedTail(byte[] bytes) {
        int n = bytes.length;
        for (int back = 1; back <= 3 && back <= n; back++) {
            int b = bytes[n - back] & 0xFF;
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // read-only input
        }
    }
}
