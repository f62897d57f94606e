package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.LcmParquetWriter;
import dev.lcm4j.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;

/**
 * Concept sequences in and out of the CLI: {@code .npy} float32 [B, T, D] (every row T concepts; on output rows
 * of different lengths are zero-padded and their lengths written to {@code <name>.lengths.npy}) or parquet in the
 * LCM schema (one document per row, ragged).
 */
final class ConceptFiles {
    private ConceptFiles() {}

    static boolean isParquet(Path p) {
        return p.toString().endsWith(".parquet");
    }

    static List<float[][]> read(Path p, DataColumns cols, int expectedDim) {
        if (!Files.isRegularFile(p)) throw new LcmException("input " + p + " does not exist");
        if (isParquet(p)) {
            List<float[][]> out = new ArrayList<>();
            for (Document d : LcmParquetReader.readAll(p, cols, expectedDim)) {
                if (d.embeddings() == null) continue;
                if (d.embeddings().length == 0) throw new LcmException(noConcepts(p, out.size()));
                out.add(d.embeddings());
            }
            if (out.isEmpty()) throw new LcmException("input " + p + " holds no documents");
            return out;
        }
        if (!p.toString().endsWith(".npy")) throw new LcmException("input " + p + ": use a .npy float32 [B,T,D] file or a .parquet file in the LCM schema");
        Npy.Array a = Npy.read(p);
        long[] s = a.shape();
        if (s.length != 3) throw new LcmException("input " + p + " has shape " + Arrays.toString(s) + "; expected [B, T, D]");
        int b = (int) s[0], t = (int) s[1], d = (int) s[2];
        if (b == 0) throw new LcmException("input " + p + " holds no documents (shape " + Arrays.toString(s) + ")");
        if (expectedDim > 0 && d != expectedDim) {
            throw new LcmException("input " + p + " has embedding dimension " + d + " but the model expects " + expectedDim);
        }
        float[] data = a.toFloatArray();
        long[] lengths = lengths(p, b, t);
        List<float[][]> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            if (lengths[i] == 0) throw new LcmException(noConcepts(p, i));
            float[][] doc = new float[(int) lengths[i]][d];
            for (int j = 0; j < doc.length; j++) {
                System.arraycopy(data, (int) (((long) i * t + j) * d), doc[j], 0, d);
                for (float v : doc[j]) if (!Float.isFinite(v)) throw new LcmException("input " + p + ": NaN/Inf in document " + i + " sentence " + j);
            }
            out.add(doc);
        }
        return out;
    }

    private static String noConcepts(Path p, int document) {
        return "input " + p + ": document " + document + " has no concepts; every prompt or document needs at least one"
                + " (an .npy of shape [B, T, D] with T >= 1)";
    }

    /** Row lengths from {@code X.lengths.npy} beside {@code X.npy} (what {@link #write} leaves for ragged rows), else all t. */
    private static long[] lengths(Path p, int b, int t) {
        String name = p.getFileName().toString();
        Path lp = p.resolveSibling(name.substring(0, name.length() - 4) + ".lengths.npy");
        long[] out = new long[b];
        Arrays.fill(out, t);
        if (!Files.isRegularFile(lp)) return out;
        long[] l = Npy.read(lp).toLongArray();
        if (l.length != b) throw new LcmException(lp + " holds " + l.length + " lengths for " + b + " rows of " + p + "; delete or fix it");
        for (int i = 0; i < b; i++) {
            if (l[i] < 0 || l[i] > t) throw new LcmException(lp + ": length " + l[i] + " of row " + i + " is outside 0.." + t);
            out[i] = l[i];
        }
        return out;
    }

    static void write(Path p, List<float[][]> seqs, DataColumns cols) {
        int d = seqs.get(0)[0].length;
        if (isParquet(p)) {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < seqs.size(); i++) {
                List<String> texts = new ArrayList<>();
                for (int j = 0; j < seqs.get(i).length; j++) texts.add("");
                docs.add(new Document(String.valueOf(i), texts, seqs.get(i)));
            }
            LcmParquetWriter.write(p, cols.withId("id"), d, 1024, docs);
            return;
        }
        int t = 0;
        for (float[][] s : seqs) t = Math.max(t, s.length);
        float[] data = new float[seqs.size() * t * d];
        long[] lengths = new long[seqs.size()];
        for (int i = 0; i < seqs.size(); i++) {
            float[][] s = seqs.get(i);
            lengths[i] = s.length;
            for (int j = 0; j < s.length; j++) System.arraycopy(s[j], 0, data, (i * t + j) * d, d);
        }
        Npy.write(p, Npy.Array.ofFloats(data, seqs.size(), t, d));
        String name = p.getFileName().toString();
        try {
            Npy.write(p.resolveSibling(name.substring(0, name.length() - 4) + ".lengths.npy"), Npy.Array.ofLongs(lengths, lengths.length));
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(p); // the arrays without their lengths would be read wrong: write both or neither
            } catch (java.io.IOException ignored) {
                // the error below is what matters
            }
            throw e;
        }
    }

    /** Refuses an output path lcm4j cannot write before any work is done (so a failure leaves nothing behind). */
    static void checkOutput(Path p) {
        String n = p.getFileName().toString();
        if (!n.endsWith(".npy") && !isParquet(p)) {
            throw new LcmException("output " + p + ": use a .npy file (float32 [B,T,D] plus .lengths.npy) or a .parquet file");
        }
        if (Files.isDirectory(p)) throw new LcmException("output " + p + " is a directory; give a file name");
    }
}
