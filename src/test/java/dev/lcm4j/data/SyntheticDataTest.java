package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDataTest {
    @TempDir
    Path tmp;

    @Test
    void writesSplitsCardAndLearnableWalks() {
        Path dir = tmp.resolve("synth");
        SyntheticData.Result r = SyntheticData.write(dir, "toy", 150, 16, 3);
        assertEquals(135, r.trainDocs());
        assertEquals(15, r.validationDocs());

        Map<String, DataStats> stats = DataStats.of(dir, SyntheticData.COLUMNS);
        assertEquals(List.of("train", "validation"), List.copyOf(stats.keySet()));
        assertEquals(135, stats.get("train").documents());
        assertEquals(15, stats.get("validation").documents());
        assertEquals(16, stats.get("train").dim());
        assertEquals(3, stats.get("train").rowGroups()); // 64 + 64 + 7
        assertTrue(stats.get("train").sentences() >= 135 * 8 && stats.get("train").sentences() <= 135 * 64);

        List<Document> val = LcmParquetReader.readAll(r.validation(), SyntheticData.COLUMNS, 16);
        Document d = val.get(0);
        assertEquals("doc-135", d.id());
        assertTrue(d.length() >= 8 && d.length() <= 64);
        assertEquals("doc 135 sentence 5", d.sentences().get(5));
        double expectedNorm = 0.008 * Math.sqrt(16);
        double cosSum = 0;
        for (int s = 0; s < d.length(); s++) {
            assertEquals(expectedNorm, norm(d.embeddings()[s]), 1e-5);
            if (s > 0) cosSum += dot(d.embeddings()[s], d.embeddings()[s - 1]) / (expectedNorm * expectedNorm);
        }
        double meanCos = cosSum / (d.length() - 1);
        // rotations by 0.1..0.5 rad: consecutive vectors are close (cos 0.88..0.995) but not equal
        assertTrue(meanCos > 0.85 && meanCos < 0.999, "mean consecutive cosine " + meanCos);

        DatacardRegistry reg = DatacardRegistry.load(List.of(dir));
        Dataset ds = reg.resolve("toy=validation");
        assertEquals(List.of(r.validation().toAbsolutePath()), ds.files());
        LcmDataLoader loader = new LcmDataLoader(List.of(ds),
                LoaderOptions.builder().maxTokens(128).nbEpochs(1).expectedDim(16).build(), AffixVectors.NONE);
        int docs = 0;
        while (loader.hasNext()) docs += loader.next().size();
        assertEquals(15, docs);
    }

    @Test
    void sameSeedSameData() {
        SyntheticData.write(tmp.resolve("a"), "x", 12, 8, 5);
        SyntheticData.write(tmp.resolve("b"), "x", 12, 8, 5);
        List<Document> a = LcmParquetReader.readAll(tmp.resolve("a/split=train/part-0.parquet"), SyntheticData.COLUMNS, 8);
        List<Document> b = LcmParquetReader.readAll(tmp.resolve("b/split=train/part-0.parquet"), SyntheticData.COLUMNS, 8);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).sentences(), b.get(i).sentences());
            for (int s = 0; s < a.get(i).length(); s++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.get(i).embeddings()[s], b.get(i).embeddings()[s]);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(LcmException.class, () -> SyntheticData.write(tmp, "bad-name", 10, 4, 1));
        assertThrows(LcmException.class, () -> SyntheticData.write(tmp, "ok", 1, 4, 1));
    }

    private static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
