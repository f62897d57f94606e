package dev.lcm4j.concepts.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalDecoderTest {
    @TempDir Path dir;

    /** A prepared-looking dataset: two splits, random vectors, some sentences repeated across documents. */
    private List<Document> writeDataset(int dim, int docs, long seed) {
        Random r = new Random(seed);
        List<Document> all = new ArrayList<>();
        DataColumns cols = DataColumns.sonar("text_sentences").withId("id");
        for (String split : List.of("train", "validation")) {
            List<Document> rows = new ArrayList<>();
            for (int d = 0; d < docs; d++) {
                int n = 1 + r.nextInt(6);
                List<String> s = new ArrayList<>();
                float[][] v = new float[n][dim];
                for (int i = 0; i < n; i++) {
                    s.add(i == 0 ? "Resumption of the session." : split + " document " + d + " sentence " + i + ".");
                    for (int j = 0; j < dim; j++) v[i][j] = (float) r.nextGaussian() * (i == 0 ? 0 : 1);
                    if (i == 0) v[i][0] = 1; // the repeated sentence always has the same vector
                }
                rows.add(new Document(split + d, s, v));
            }
            LcmParquetWriter.write(dir.resolve("split=" + split).resolve("part-0.parquet"), cols, dim, 7, rows);
            all.addAll(rows);
        }
        dev.lcm4j.io.AtomicFiles.writeString(dir.resolve("datacard.yaml"), "name: banktest\nparquet_path: {local: .}\n"
                + "source_column: text_sentences_sonar_emb\nsource_text_column: text_sentences\n");
        return all;
    }

    @Test
    void everySentenceDecodesToItselfAcrossBlocks() {
        List<Document> docs = writeDataset(16, 40, 1);
        SentenceBank.build(dir);
        SentenceBank bank = SentenceBank.open(dir);
        long distinct = docs.stream().flatMap(d -> d.sentences().stream()).distinct().count();
        assertEquals(distinct, bank.size(), "duplicates stored once");
        for (long block : new long[] {5, 64, 1 << 17}) {
            RetrievalDecoder dec = new RetrievalDecoder("t", bank, block);
            List<float[]> q = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (Document d : docs) {
                for (int i = 0; i < d.sentences().size(); i++) {
                    float[] v = d.embeddings()[i].clone();
                    for (int j = 0; j < v.length; j++) v[j] *= 3.5f; // the query's scale does not matter for cosine
                    q.add(v);
                    want.add(d.sentences().get(i));
                }
            }
            assertEquals(want, dec.decode(q.toArray(new float[0][]), "eng_Latn"), "block " + block);
        }
    }

    @Test
    void matchesBruteForceCosineInDoublePrecision() {
        List<Document> docs = writeDataset(24, 60, 2);
        SentenceBank.build(dir);
        SentenceBank bank = SentenceBank.open(dir.resolve(SentenceBank.FILE_NAME));
        // Independent copy of the bank: distinct sentences in first-seen order, their vectors normalised in double.
        java.util.LinkedHashMap<String, float[]> ref = new java.util.LinkedHashMap<>();
        for (Document d : docs) for (int i = 0; i < d.sentences().size(); i++) ref.putIfAbsent(d.sentences().get(i), d.embeddings()[i]);
        List<String> names = new ArrayList<>(ref.keySet());
        Random r = new Random(3);
        float[][] queries = new float[50][24];
        for (float[] q : queries) for (int j = 0; j < 24; j++) q[j] = (float) r.nextGaussian();
        int[] got = new RetrievalDecoder("t", bank, 17).nearest(queries);
        for (int k = 0; k < queries.length; k++) {
            int best = -1;
            double bestCos = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < names.size(); i++) {
                float[] v = ref.get(names.get(i));
                double dot = 0, nv = 0, nq = 0;
                for (int j = 0; j < 24; j++) {
                    dot += (double) v[j] * queries[k][j];
                    nv += (double) v[j] * v[j];
                    nq += (double) queries[k][j] * queries[k][j];
                }
                double cos = dot / Math.sqrt(nv * nq);
                if (cos > bestCos) { bestCos = cos; best = i; }
            }
            assertEquals(names.get(best), bank.sentence(got[k]), "query " + k);
        }
    }

    @Test
    void badInputIsAClearError() throws Exception {
        writeDataset(8, 5, 4);
        LcmException missing = assertThrows(LcmException.class, () -> ConceptModels.decoder("bank:" + dir));
        assertTrue(missing.getMessage().contains("./lcm bank build"), missing.getMessage());
        SentenceBank.build(dir);
        try (ConceptDecoder dec = ConceptModels.decoder("bank:" + dir)) {
            assertEquals(8, dec.dim());
            LcmException dim = assertThrows(LcmException.class, () -> dec.decode(new float[][] {new float[9]}, "eng_Latn"));
            assertTrue(dim.getMessage().contains("9 values but the sentence bank is 8-d"), dim.getMessage());
            float[] nan = new float[8];
            nan[3] = Float.NaN;
            assertThrows(LcmException.class, () -> dec.decode(new float[][] {nan}, "eng_Latn"));
            assertThrows(LcmException.class, () -> dec.decode(new float[][] {new float[8]}, "english"));
        }
        Path bank = dir.resolve(SentenceBank.FILE_NAME);
        byte[] bytes = Files.readAllBytes(bank);
        Files.write(bank, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        LcmException cut = assertThrows(LcmException.class, () -> SentenceBank.open(bank));
        assertTrue(cut.getMessage().contains("truncated or corrupt"), cut.getMessage());
        Files.writeString(bank, "not a bank at all, just some text of sufficient length");
        assertThrows(LcmException.class, () -> SentenceBank.open(bank));
    }

    @Test
    void cardNamesABankRelativeToItself() throws Exception {
        writeDataset(8, 5, 5);
        SentenceBank.build(dir);
        Files.writeString(dir.resolve("decoder.yaml"), "name: my_bank\nmodel_family: retrieval_decoder\nbank: .\n");
        try (ConceptDecoder dec = ConceptModels.decoder(dir.resolve("decoder.yaml").toString())) {
            assertEquals("my_bank", dec.name());
            float[] v = new float[8];
            v[0] = 1;
            assertArrayEquals(new String[] {"Resumption of the session."}, dec.decode(new float[][] {v}, "eng_Latn").toArray());
        }
    }
}
