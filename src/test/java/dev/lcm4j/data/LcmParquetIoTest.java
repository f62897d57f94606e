package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LcmParquetIoTest {
    private static final DataColumns COLS = DataColumns.sonar("text_sentences").withId("id");

    @TempDir
    Path tmp;

    /** Document i has i+1 sentences; vector j of doc i is [i, j, 0.5, -i*j] — values checkable without the writer. */
    static List<Document> docs(int n) {
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> s = new ArrayList<>();
            float[][] e = new float[i + 1][];
            for (int j = 0; j <= i; j++) {
                s.add("doc " + i + " sentence " + j + " é");
                e[j] = new float[] {i, j, 0.5f, -i * j};
            }
            out.add(new Document("d" + i, s, e));
        }
        return out;
    }

    @Test
    void roundTripWithRowGroupsOfFixedRowCount() {
        Path f = tmp.resolve("split=train/part-0.parquet");
        LcmParquetWriter.write(f, COLS, 4, 3, docs(7));
        assertTrue(Files.isRegularFile(f));
        try (var dir = Files.list(f.getParent())) {
            assertEquals(1, dir.count(), "no temporary file left behind");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        try (LcmParquetReader r = LcmParquetReader.open(f, COLS, 4)) {
            assertEquals(3, r.rowGroupCount());
            assertEquals(3, r.rowCount(0));
            assertEquals(3, r.rowCount(1));
            assertEquals(1, r.rowCount(2));
            List<Document> g1 = r.readRowGroup(1);
            assertEquals("d3", g1.get(0).id());
            assertEquals(4, g1.get(0).embeddings().length);
            assertArrayEquals(new float[] {5, 2, 0.5f, -10}, g1.get(2).embeddings()[2]);
            assertEquals("doc 5 sentence 2 é", g1.get(2).sentences().get(2));
        }
        List<Document> all = LcmParquetReader.readAll(f, COLS, 0);
        assertEquals(7, all.size());
        assertEquals(28, all.stream().mapToInt(Document::length).sum());
    }

    @Test
    void readsFixtureWrittenByPyarrowWithFixedSizeList() {
        Path f = Fixtures.file("data", "pyarrow_fsl4.parquet");
        try (LcmParquetReader r = LcmParquetReader.open(f, COLS, 4)) {
            assertEquals(2, r.rowGroupCount());
            List<Document> d = new ArrayList<>();
            r.forEach(d::add);
            assertEquals(List.of("doc-0", "doc-1", "doc-2"), d.stream().map(Document::id).toList());
            assertEquals(List.of(2, 3, 1), d.stream().map(Document::length).toList());
            assertEquals("doc 1 sentence 2", d.get(1).sentences().get(2));
            assertArrayEquals(new float[] {1, 2, 2, -1}, d.get(1).embeddings()[2]);
            assertArrayEquals(new float[] {2, 0, 2, -1}, d.get(2).embeddings()[0]);
        }
    }

    @Tag("slow")
    @Test
    void fileIsReadableByPyarrow() throws Exception {
        String python = System.getenv().getOrDefault("LCM_PYTHON", "python3");
        Assumptions.assumeTrue(Fixtures.run(List.of(python, "-c", "import pyarrow.parquet")).exitCode() == 0,
                "skipped: no python with pyarrow (set LCM_PYTHON or install pyarrow)");
        Path f = tmp.resolve("x.parquet");
        LcmParquetWriter.write(f, COLS, 4, 2, docs(5));
        String script = "import pyarrow.parquet as pq, sys\n"
                + "pf = pq.ParquetFile(sys.argv[1]); t = pf.read()\n"
                + "print(pf.metadata.num_row_groups, t.num_rows, t.column('id').to_pylist()[4],"
                + " t.column('text_sentences').to_pylist()[3][1],"
                + " t.column('text_sentences_sonar_emb').to_pylist()[4][3])\n";
        Fixtures.Result r = Fixtures.run(List.of(python, "-c", script, f.toString()));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("3 5 d4 doc 3 sentence 1 é [4.0, 3.0, 0.5, -12.0]", r.output().strip());
    }

    @Test
    void wrongDimensionIsReportedWithFileDocumentAndBothDims() {
        Path f = tmp.resolve("a.parquet");
        LcmParquetWriter.write(f, COLS, 4, 10, docs(3));
        LcmException e = assertThrows(LcmException.class, () -> LcmParquetReader.readAll(f, COLS, 1024));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("document 0") && e.getMessage().contains("dimension 4")
                && e.getMessage().contains("expected 1024"), e.getMessage());
    }

    @Test
    void nanIsReportedWithFileAndDocument() {
        List<Document> d = docs(3);
        d.get(2).embeddings()[1][3] = Float.NaN;
        Path f = tmp.resolve("nan.parquet");
        LcmParquetWriter.write(f, COLS, 4, 10, d);
        LcmException e = assertThrows(LcmException.class, () -> LcmParquetReader.readAll(f, COLS, 4));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("document 2")
                && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void randomBytesAndEmptyFilesAreUserErrorsNamingTheFile() throws IOException {
        Path junk = tmp.resolve("junk.parquet");
        byte[] bytes = new byte[4096];
        new Random(1).nextBytes(bytes);
        Files.write(junk, bytes);
        LcmException e = assertThrows(LcmException.class, () -> LcmParquetReader.open(junk, COLS, 4));
        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());

        Path empty = Files.createFile(tmp.resolve("empty.parquet"));
        e = assertThrows(LcmException.class, () -> LcmParquetReader.open(empty, COLS, 4));
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("empty"), e.getMessage());

        Path text = tmp.resolve("text.parquet");
        Files.writeString(text, "PAR1 not really PAR1", StandardCharsets.UTF_8);
        e = assertThrows(LcmException.class, () -> LcmParquetReader.open(text, COLS, 4));
        assertTrue(e.getMessage().contains(text.toString()), e.getMessage());
    }

    @Test
    void missingColumnNamesFileAndAvailableColumns() {
        Path f = tmp.resolve("b.parquet");
        LcmParquetWriter.write(f, COLS, 4, 10, docs(1));
        LcmException e = assertThrows(LcmException.class,
                () -> LcmParquetReader.open(f, DataColumns.sonar("prompt_sentences"), 4));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("prompt_sentences")
                && e.getMessage().contains("text_sentences_sonar_emb"),
                e.getMessage());
    }

    @Test
    void nullCellsAreReadAsNull() {
        Path f = tmp.resolve("n.parquet");
        LcmParquetWriter.write(f, COLS, 4, 10, List.of(new Document(null, null, null),
                new Document("x", List.of(), new float[0][])));
        List<Document> d = LcmParquetReader.readAll(f, COLS, 4);
        assertNull(d.get(0).id());
        assertNull(d.get(0).embeddings());
        assertNull(d.get(0).sentences());
        assertEquals(0, d.get(1).embeddings().length);
        assertEquals(List.of(), d.get(1).sentences());
    }

    @Test
    void aFileThatIsNotParquetIsNamed() throws Exception {
        Path f = tmp.resolve("notes.parquet");
        java.nio.file.Files.writeString(f, "these are notes, not a parquet file\n");
        dev.lcm4j.LcmException e = org.junit.jupiter.api.Assertions.assertThrows(dev.lcm4j.LcmException.class,
                () -> LcmParquetReader.readAll(f, COLS, 4));
        org.junit.jupiter.api.Assertions.assertEquals(f + " is not a parquet file (it does not end with the PAR1 magic); give LCM parquet data",
                e.getMessage());
    }

    /** A flipped byte in a data page is found by the page checksum: the file and row group are named, nothing is read. */
    @Test
    void aDamagedPageIsDetected() throws Exception {
        Path f = tmp.resolve("damaged.parquet");
        LcmParquetWriter.write(f, COLS, 4, 3, docs(9));
        org.junit.jupiter.api.Assertions.assertEquals(9, LcmParquetReader.readAll(f, COLS, 4).size(), "intact file reads");
        byte[] bytes = java.nio.file.Files.readAllBytes(f);
        // the first row group's pages start after the 4-byte magic; flip a byte inside them
        bytes[40] ^= 0x5A;
        java.nio.file.Files.write(f, bytes);
        dev.lcm4j.LcmException e = org.junit.jupiter.api.Assertions.assertThrows(dev.lcm4j.LcmException.class,
                () -> LcmParquetReader.readAll(f, COLS, 4));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("row group 0 of " + f + " is damaged: a page checksum"),
                e.getMessage());
        // the command a user runs on a whole dataset says the same in one line
        Path ds = tmp.resolve("ds");
        java.nio.file.Files.createDirectories(ds.resolve("split=train"));
        java.nio.file.Files.copy(f, ds.resolve("split=train/part-0.parquet"));
        dev.lcm4j.testing.Cli.Outcome o = dev.lcm4j.testing.Cli.exec("data", "verify", ds.toString());
        dev.lcm4j.testing.Cli.assertUserError(o, "row group 0 of", "is damaged");
        Path good = tmp.resolve("good");
        java.nio.file.Files.createDirectories(good.resolve("split=train"));
        LcmParquetWriter.write(good.resolve("split=train/part-0.parquet"), COLS, 4, 3, docs(9));
        dev.lcm4j.testing.Cli.Outcome ok = dev.lcm4j.testing.Cli.exec("data", "verify", good.toString());
        org.junit.jupiter.api.Assertions.assertEquals(0, ok.code(), ok.err());
        org.junit.jupiter.api.Assertions.assertTrue(ok.out().contains("verified 1 files, 3 row groups, 9 documents"), ok.out());
    }
}
