package dev.lcm4j.cli;

import dev.lcm4j.concepts.AffixEmbedding;
import dev.lcm4j.LcmException;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.DatasetRef;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.models.normalizer.NormalizerFiles;
import dev.lcm4j.models.normalizer.NormalizerFit;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.util.Arrays;

/** {@code ./lcm fit-normalizer}: fits a SONAR normalizer on a weighted mixture of datasets. */
@Command(name = "fit-normalizer", description = {
        "Fits a SONAR normalizer on a weighted mixture of datacard datasets, as scripts/fit_embedding_normalizer.py:",
        "  ./lcm fit-normalizer --ds dataset1:4 dataset2:1 --save_path norm.pt --max_nb_samples 1000000",
        "Streams the data (weighted sampling, seed 123), keeps every 5th sentence, stops past max_nb_samples.",
        "Memory: max_nb_samples x dim x 4 bytes for the sample."})
final class FitNormalizerCommand implements Runnable {
    @Option(names = "--ds", required = true, arity = "1..*", description = "name[=split][:weight] datacard references") List<String> ds;
    @Option(names = "--save_path", required = true) Path savePath;
    @Option(names = "--max_nb_samples", defaultValue = "1000000") int maxSamples;
    @Option(names = "--normalization_method", defaultValue = "gaussian_robust", description = "standard | robust | gaussian_robust") String method;
    @Option(names = "--clip_proba", description = "Also store clip bounds at these normalized-space quantiles (e.g. 1e-4)") Double clipProba;
    @Option(names = "--card_name", description = "Also write a sonar_normalizer card NAME.yaml next to save_path") String cardName;

    @Override
    public void run() {
        if (maxSamples < 2) throw new LcmException("--max_nb_samples must be >= 2");
        if (cardName != null && !cardName.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new LcmException("--card_name '" + cardName + "' must be a plain name (letters, digits, _ . -, no path):"
                    + " the card is written next to --save_path as NAME.yaml");
        }
        DatacardRegistry registry = DatacardRegistry.fromEnvironment();
        Map<String, Double> mixture = new LinkedHashMap<>();
        for (String r : ds) {
            DatasetRef ref = DatasetRef.parse(r);
            mixture.put(ref.displayName(), ref.weight() == null ? 1.0 : ref.weight());
        }
        LoaderOptions opts = LoaderOptions.builder().maxTokens(10_000).orderByLength(false).shuffle(true).seed(123)
                .nbEpochs(1).minLengthOfSequences(1).build();
        LcmDataLoader loader = AffixEmbedding.openLoader(registry, ds, opts);
        FloatBuffer sample = null;
        int dim = -1;
        long seen = 0;
        // counts the sentences kept for the fit (every 5th); data smaller than max_nb_samples ends the bar early
        try (ProgressBar bar = Progress.bar("fit-normalizer: sentences kept", maxSamples)) {
            while (loader.hasNext() && (sample == null || sample.rows <= maxSamples)) {
                for (Document d : loader.next()) {
                    for (float[] v : d.embeddings()) {
                        if (dim < 0) { dim = v.length; sample = new FloatBuffer(dim); }
                        if (seen++ % 5 == 0) sample.add(v); // the reference keeps every 5th sentence (down_sample=5)
                    }
                }
                bar.stepTo(Math.min(sample == null ? 0 : sample.rows, maxSamples));
            }
            if (sample != null && sample.rows < maxSamples) bar.maxHint(sample.rows); // all the data was read: 100%
        }
        if (sample == null || sample.rows < 2) throw new LcmException("datasets " + ds + " gave fewer than 2 sentences to fit on");
        SonarNormalizerConfig cfg = new SonarNormalizerConfig(dim, clipProba, false, 0.25, 0.75, method);
        cfg.validate();
        NormalizerFit.Stats stats = NormalizerFit.fit(sample.columns(), cfg);
        NormalizerFiles.write(savePath, stats, mixture);
        if (cardName != null) {
            String card = "name: " + cardName + "\nmodel_family: sonar_normalizer\nmodel_arch: " + (clipProba != null ? "clipping" : "base")
                    + "\nmodel_config: {dim: " + dim + ", normalization_method: " + method + (clipProba != null ? ", clip_proba: " + clipProba : "")
                    + "}\ncheckpoint: " + savePath.toAbsolutePath().toUri() + "\n";
            AtomicFiles.writeString(savePath.resolveSibling(cardName + ".yaml"), card);
        }
        System.out.printf("fitted %s normalizer (dim %d) on %d sentences; saved %s%n", method, dim, sample.rows, savePath);
    }

    /** Growable row-major sample that is transposed to per-dimension columns for fitting. */
    static final class FloatBuffer {
        final int dim;
        float[] data = new float[1 << 16];
        int rows;

        FloatBuffer(int dim) { this.dim = dim; }

        void add(float[] v) {
            if (v.length != dim) throw new LcmException("embedding dimension changes from " + dim + " to " + v.length + " across datasets");
            if ((long) (rows + 1) * dim > data.length) data = Arrays.copyOf(data, (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) data.length * 2, (long) (rows + 1) * dim)));
            System.arraycopy(v, 0, data, rows * dim, dim);
            rows++;
        }

        float[][] columns() {
            float[][] c = new float[dim][rows];
            for (int r = 0; r < rows; r++) for (int j = 0; j < dim; j++) c[j][r] = data[r * dim + j];
            return c;
        }
    }
}
