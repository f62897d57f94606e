package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.text.SentenceSplitters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input: one error line (exit 2) naming the input and the fix, and nothing written to the output. */
class BadInputTest {
    @TempDir Path tmp;

    /** Runs {@code lcm prepare} on {@code input} and checks the single error line and the untouched output. */
    void assertPrepareError(Path input, String format, String textColumn, String... fragments) throws IOException {
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>(List.of("prepare", "--input", input.toString(), "--format", format,
                "--text-column", textColumn, "--output", out.toString(), "--name", "bad"));
        Cli.assertUserError(Cli.exec(args), fragments);
        assertNothingWritten(out);
    }

    static void assertNothingWritten(Path out) throws IOException {
        if (!Files.exists(out)) return;
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(List.of(out), s.toList(), "output must stay empty");
        }
    }

    Path file(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void cliErrorsBeforeAnyEncoding() throws IOException {
        assertPrepareError(tmp.resolve("missing.jsonl"), "jsonl", "text", "missing.jsonl does not exist");
        assertPrepareError(file("a.jsonl", "{\"text\": \"x\"}\n"), "xml", "text", "unknown --format 'xml'", "jsonl, csv, parquet");
        assertPrepareError(file("b.jsonl", "{\"body\": \"x\", \"n\": 1}\n"), "jsonl", "text",
                "b.jsonl:1 has no field 'text' (fields: body, n)", "--text-column");
        assertPrepareError(file("c.jsonl", "{\"text\": \"x\"\n"), "jsonl", "text", "c.jsonl:1 is not valid JSON");
        assertPrepareError(file("d.jsonl", "[1, 2]\n"), "jsonl", "text", "d.jsonl:1 is not a JSON object");
        assertPrepareError(file("e.csv", "id,body\n1,hello\n"), "csv", "text", "e.csv has no column 'text' (header: id, body)");
        assertPrepareError(file("f.csv", "id,text\n1,\"open quote\n"), "csv", "text", "f.csv:2: a quoted field is never closed");
        assertPrepareError(file("g.csv", "id,text\n1,\"a\"b\n"), "csv", "text", "g.csv:2: unexpected 'b' after a closing quote");
        assertPrepareError(file("h.csv", "id,text\n1,a,b\n"), "csv", "text", "h.csv:2 has 3 fields, the header has 2");
        assertPrepareError(file("i.parquet", "PAR1 not really parquet"), "parquet", "text", "cannot read parquet file", "i.parquet");
        assertPrepareError(file("j.csv", ""), "csv", "text", "j.csv is empty");
        Files.createDirectories(tmp.resolve("emptydir"));
        assertPrepareError(tmp.resolve("emptydir"), "jsonl", "text", "has no *.jsonl files");
        Path bin = tmp.resolve("k.jsonl");
        Files.write(bin, new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xE9, 't', 'e', '"', '}', '\n'});
        assertPrepareError(bin, "jsonl", "text", "k.jsonl:1 is not valid UTF-8", "iconv");
    }

    @Test
    void parquetWithoutTheTextColumnListsItsColumns() throws IOException {
        Path pq = tmp.resolve("p.parquet");
        dev.lcm4j.data.LcmParquetWriter.write(pq, new dev.lcm4j.data.DataColumns("vec", null, null, null, "body"), 2, 4,
                List.of(new dev.lcm4j.data.Document("hello", null, null)));
        assertPrepareError(pq, "parquet", "text", "p.parquet has no column 'text' (columns: body, vec)");
    }

    @Test
    void laterBadLinesNameTheirLineAndLeaveNoDataset() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) sb.append("{\"text\": \"Sentence number ").append(i).append(".\"}\n");
        Path in = tmp.resolve("late.jsonl");
        byte[] good = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        Files.write(in, all);
        Path out = tmp.resolve("late-out");
        PrepareOptions opt = PrepareOptions.defaults(new SourceSpec(in.toString(), "jsonl", "text", null, null), out,
                "late", "eng_Latn").withShardSize(100);
        LcmException e = assertThrows(LcmException.class, () -> new Preparer(opt, new HashingEncoder(8),
                SentenceSplitters.create("icu")).run((i, d, s, r) -> { }));
        assertTrue(e.getMessage().contains("late.jsonl:5 is not valid UTF-8"), e.getMessage());
        assertNothingWritten(out); // the only shard never finished: no parquet, no manifest, no datacard
    }

    @Test
    void onlyEmptyDocumentsIsAnError() throws IOException {
        Path in = file("empty.jsonl", "{\"text\": \"\"}\n{\"text\": \" \"}\n");
        PrepareOptions opt = PrepareOptions.defaults(new SourceSpec(in.toString(), "jsonl", "text", null, null),
                tmp.resolve("o"), "empty", "eng_Latn");
        LcmException e = assertThrows(LcmException.class, () -> new Preparer(opt, new HashingEncoder(8),
                SentenceSplitters.create("icu")).run((i, d, s, r) -> { }));
        assertTrue(e.getMessage().contains("no documents to prepare") && e.getMessage().contains("2 empty"), e.getMessage());
    }

    @Test
    void badOptions() {
        assertTrue(assertThrows(LcmException.class, () -> new SplitAssigner(0, 1.5)).getMessage().contains("--validation-fraction"));
        SourceSpec spec = new SourceSpec("europarl", null, "text", null, null);
        assertTrue(assertThrows(LcmException.class, () -> PrepareOptions.defaults(spec, tmp, "x", "zho_Hans"))
                .getMessage().contains("21 Europarl languages"));
        assertTrue(assertThrows(LcmException.class, () -> PrepareOptions.defaults(spec, tmp, "bad-name", "eng_Latn"))
                .getMessage().contains("--name"));
        assertTrue(assertThrows(LcmException.class, () -> PrepareOptions.defaults(spec, tmp, "x", "english"))
                .getMessage().contains("unknown language code"));
    }
}
