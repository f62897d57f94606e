package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small learnable dataset in the LCM layout, for smoke tests and tutorials without SONAR: documents of 8..64
 * "sentences" whose vectors follow a noisy walk on a sphere, {@code next = normalize(R·prev + noise)}, with one fixed
 * rotation R per dataset (rotations by 0.1..0.5 rad in pairs of dimensions). A model that learns R predicts the next
 * concept well, so loss curves on this data mean something. Vectors are scaled to norm {@code 0.008·sqrt(D)}, i.e. a
 * per-dimension spread of about 0.008 as in SONAR space.
 *
 * <p>Layout: {@code DIR/split=train/part-0.parquet} (90% of documents), {@code DIR/split=validation/part-0.parquet}
 * (10%, at least one), row groups of 64 documents, and {@code DIR/datacard.yaml} naming the dataset with a
 * relative {@code parquet_path}, so DIR can be moved or put on {@code LCM_CARDS_PATH} as is.
 */
public final class SyntheticData {
    public static final DataColumns COLUMNS = DataColumns.sonar("text_sentences").withId("id");
    static final int ROW_GROUP_ROWS = 64;
    private static final double PER_DIM_STD = 0.008;
    private static final double NOISE = 0.05;

    private SyntheticData() {}

    /** What {@link #write} produced. */
    public record Result(Path datacard, Path train, Path validation, int trainDocs, int validationDocs) {
    }

    public static Result write(Path dir, String name, int docs, int dim, long seed) {
        if (!name.matches("[a-zA-Z0-9_]+")) {
            throw new LcmException("dataset name '" + name + "' must match [a-zA-Z0-9_]+ to be usable as NAME=SPLIT:W");
        }
        if (docs < 2) throw new LcmException("--docs must be at least 2 (one for validation), got " + docs);
        if (dim < 2) throw new LcmException("--dim must be at least 2, got " + dim);
        Random rnd = new Random(seed);
        double[] angles = new double[dim / 2];
        for (int k = 0; k < angles.length; k++) angles[k] = 0.1 + 0.4 * rnd.nextDouble();
        int validation = Math.max(1, docs / 10);
        int train = docs - validation;
        Path trainFile = dir.resolve("split=train/part-0.parquet");
        Path validFile = dir.resolve("split=validation/part-0.parquet");
        try (LcmParquetWriter<Document> t = LcmParquetWriter.documents(trainFile, COLUMNS, dim, ROW_GROUP_ROWS);
             LcmParquetWriter<Document> v = LcmParquetWriter.documents(validFile, COLUMNS, dim, ROW_GROUP_ROWS)) {
            for (int i = 0; i < docs; i++) (i < train ? t : v).write(document(i, angles, dim, rnd));
        }
        Path card = dir.resolve("datacard.yaml");
        AtomicFiles.writeString(card, "# synthetic LCM data: lcm data synth --name " + name + " --docs " + docs
                + " --dim " + dim + " --seed " + seed + "\n"
                + "name: " + name + "\n"
                + "parquet_path:\n  local: \".\"\n"
                + "source_column: text_sentences_sonar_emb\n"
                + "source_text_column: text_sentences\n");
        return new Result(card, trainFile, validFile, train, validation);
    }

    private static Document document(int index, double[] angles, int dim, Random rnd) {
        int n = 8 + rnd.nextInt(57);
        double scale = PER_DIM_STD * Math.sqrt(dim);
        double[] v = new double[dim];
        for (int k = 0; k < dim; k++) v[k] = rnd.nextGaussian();
        normalize(v);
        List<String> sentences = new ArrayList<>(n);
        float[][] emb = new float[n][];
        for (int s = 0; s < n; s++) {
            sentences.add("doc " + index + " sentence " + s);
            emb[s] = new float[dim];
            for (int k = 0; k < dim; k++) emb[s][k] = (float) (v[k] * scale);
            v = step(v, angles, rnd);
        }
        return new Document("doc-" + index, sentences, emb);
    }

    /** One walk step: rotate pairs (2k, 2k+1) by their angle, add isotropic noise, back onto the sphere. */
    private static double[] step(double[] v, double[] angles, Random rnd) {
        double[] next = v.clone();
        for (int k = 0; k < angles.length; k++) {
            double c = Math.cos(angles[k]);
            double s = Math.sin(angles[k]);
            double a = v[2 * k];
            double b = v[2 * k + 1];
            next[2 * k] = c * a - s * b;
            next[2 * k + 1] = s * a + c * b;
        }
        double sigma = NOISE / Math.sqrt(v.length);
        for (int k = 0; k < next.length; k++) next[k] += sigma * rnd.nextGaussian();
        normalize(next);
        return next;
    }

    private static void normalize(double[] v) {
        double n = 0;
        for (double x : v) n += x * x;
        n = Math.sqrt(n);
        for (int k = 0; k < v.length; k++) v[k] /= n;
    }
}
