package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.AffixEmbedding;
import dev.lcm4j.data.AffixVectors;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.io.DType;
import dev.lcm4j.io.Npy;
import dev.lcm4j.models.quant.QuantizerFiles;
import dev.lcm4j.models.quant.QuantizerPreset;
import dev.lcm4j.models.quant.ResidualKMeans;
import dev.lcm4j.models.quant.ResidualQuantizer;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./lcm rvq fit|encode|decode|report}: residual vector quantizers over a concept space (Quant-LCM's codes). */
@Command(name = "rvq", description = {"Residual vector quantizers over a concept space: fit, encode, decode, report (docs/rvq.md)."},
        subcommands = {RvqCommand.Fit.class, RvqCommand.Encode.class, RvqCommand.Decode.class, RvqCommand.Report.class})
final class RvqCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Where concept vectors come from: datacards (as fit-normalizer) or a parquet file or directory. */
    static final class DataSource {
        @Option(names = "--ds", arity = "1..*", description = "name[=split][:weight] datacard references (as fit-normalizer)") List<String> ds;
        @Option(names = "--parquet", description = "an LCM parquet file, or a directory of them (hive split=... directories)") Path parquet;
        @Option(names = "--column", description = "with --parquet: the embedding column (default: text_sentences_sonar_emb)") String column;
        @Option(names = "--split", description = "with --parquet: read only the split=SPLIT directory") String split;

        List<String> describe() {
            if (ds != null) return ds;
            return List.of(parquet + (split == null ? "" : "=" + split) + (column == null ? "" : " column " + column));
        }

        LcmDataLoader open(long seed) {
            boolean hasDs = ds != null && !ds.isEmpty();
            if (hasDs == (parquet != null)) throw new LcmException("give the vectors with either --ds NAME[=SPLIT][:W]... or --parquet PATH");
            if (hasDs && (column != null || split != null)) {
                throw new LcmException((column != null ? "--column" : "--split") + " applies to --parquet only; a datacard names its"
                        + " columns, and --ds takes NAME=SPLIT");
            }
            // one pass over the data, in an order fixed by the seed; no length sorting
            LoaderOptions opts = LoaderOptions.builder().maxTokens(10_000).orderByLength(false).shuffle(true).seed(seed)
                    .nbEpochs(1).minLengthOfSequences(1).build();
            if (hasDs) return AffixEmbedding.openLoader(DatacardRegistry.fromEnvironment(), ds, opts);
            if (!Files.exists(parquet)) throw new LcmException("--parquet " + parquet + " does not exist");
            DataColumns cols = DataColumns.sonar("text_sentences");
            if (column != null) cols = new DataColumns(column, null, null, null, null);
            else cols = new DataColumns(cols.source(), null, null, null, null);
            return new LcmDataLoader(List.of(Dataset.of(parquet.getFileName().toString(), parquet, cols, split)), opts, AffixVectors.NONE);
        }
    }

    /**
     * Vectors read so far, written straight into a native float32 tensor [allocated, D] that doubles when full (up to
     * the cap), so the sample is never held twice (once on the Java heap, once in libtorch) and a large cap costs
     * nothing where the data is small.
     */
    static final class Vectors {
        static final long FIRST_ROWS = 65_536;
        final long capacity;
        Tensor buffer;                   // [allocated, D] once the first vector gives D
        long allocated;
        org.bytedeco.javacpp.FloatPointer at;
        int dim = -1;
        long rows;

        Vectors(long capacity) {
            this.capacity = capacity;
        }

        void add(float[] v, String source) {
            if (dim < 0) dim = v.length;
            if (v.length != dim) throw new LcmException(source + ": the vector dimension changes from " + dim + " to " + v.length);
            if (rows >= capacity) throw new IllegalStateException("more than " + capacity + " vectors");
            if (rows == allocated) grow();
            at.position(rows * dim).put(v, 0, dim);
            rows++;
        }

        private void grow() {
            long size = buffer == null ? Math.min(capacity, FIRST_ROWS) : Math.min(capacity, 2 * allocated);
            Tensor next = org.bytedeco.pytorch.global.torch.empty(new long[] {size, dim},
                    Tensors.opts(org.bytedeco.pytorch.global.torch.ScalarType.Float, null), null);
            if (buffer != null) {
                next.narrow(0, 0, rows).copy_(buffer.narrow(0, 0, rows));
                buffer.close(); // free the old buffer now rather than when the garbage collector gets to it
            }
            buffer = next;
            allocated = size;
            at = buffer.data_ptr_float();
        }

        /** [rows, dim] float32, a view of the buffer. */
        Tensor tensor() {
            return buffer.narrow(0, 0, rows);
        }
    }

    /**
     * Streams the source: every {@code heldoutEvery}-th vector (1-based: the 1st, the (n+1)-th, ...) goes to the
     * held-out set (at most {@code maxHeldout}), the others to the training sample until it has {@code maxVectors}.
     */
    static Vectors[] read(DataSource src, long seed, long maxVectors, int heldoutEvery, long maxHeldout, String task) {
        Vectors train = new Vectors(maxVectors), heldout = new Vectors(Math.max(maxHeldout, 1));
        LcmDataLoader loader = src.open(seed);
        long seen = 0;
        String name = String.join(" ", src.describe());
        try (ProgressBar bar = Progress.bar(task, maxVectors)) {
            outer:
            while (loader.hasNext()) {
                for (Document d : loader.next()) {
                    for (float[] v : d.embeddings()) {
                        boolean hold = heldoutEvery > 0 && seen++ % heldoutEvery == 0;
                        if (hold) {
                            if (heldout.rows < maxHeldout) heldout.add(v, name);
                        } else {
                            train.add(v, name);
                            if (train.rows >= maxVectors) break outer;
                        }
                    }
                }
                bar.stepTo(train.rows);
            }
            bar.stepTo(train.rows);
            if (train.rows < maxVectors) bar.maxHint(train.rows);
        }
        return new Vectors[] {train, heldout};
    }

    static void printErrors(List<ResidualQuantizer.ReconstructionError> errors, long vectors, String what) {
        System.out.printf("reconstruction error on %d %s vectors (z_0 = 0 is the vectors' energy):%n", vectors, what);
        System.out.printf("%10s %16s %10s%n", "codebooks", "mean_squared_l2", "relative");
        for (ResidualQuantizer.ReconstructionError e : errors) {
            System.out.printf("%10d %16.6g %10.6f%n", e.codebooks(), e.meanSquaredL2(), e.relative());
        }
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    @Command(name = "fit", description = {
            "Fits a residual vector quantizer (greedy residual k-means, beam 1) on the concept vectors of datacards or parquet:",
            "  ./lcm rvq fit --ds europarl_demo=train --output rvq.pt                     (preset minilm_demo: 8 x 256)",
            "  ./lcm rvq fit --ds sonar_data --preset sonar_paper --max-vectors 1000000 --output rvq.pt   (64 x 8192)",
            "Every --heldout-every-th vector streamed is held out of the fit; the reconstruction error per number of",
            "codebooks on those is printed and written to the card Q.yaml beside Q.pt. The seed fixes the data order and",
            "the init. Memory: the codebooks (M x K x D x 4 B), twice the sample (2 x N x D x 4 B) and 28 B per vector;",
            "the command prints its estimate before fitting."})
    static final class Fit implements Runnable {
        @Mixin DataSource source;
        @Option(names = "--output", required = true, description = "the quantizer file Q.pt (its card Q.yaml is written beside it)") Path output;
        @Option(names = "--preset", description = "minilm_demo (8 x 256, the default) or sonar_paper (64 x 8192)") String preset;
        @Option(names = "--codebooks", description = "M, the number of codebooks (overrides the preset)") Integer codebooks;
        @Option(names = "--units", description = "K, units per codebook (overrides the preset)") Integer units;
        @Option(names = "--seed", defaultValue = "0", description = "fixes the data order and the k-means init (default: ${DEFAULT-VALUE})") long seed;
        @Option(names = "--max-vectors", defaultValue = "200000", description = "fit on at most this many vectors (default: ${DEFAULT-VALUE})") long maxVectors;
        @Option(names = "--iterations", defaultValue = "25", description = "at most this many Lloyd updates per codebook; fewer once the assignment stops changing (default: ${DEFAULT-VALUE})") int iterations;
        @Option(names = "--heldout-every", defaultValue = "10", description = "hold every n-th vector out of the fit, to measure the error on (default: ${DEFAULT-VALUE})") int heldoutEvery;
        @Option(names = "--max-heldout", defaultValue = "10000", description = "at most this many held-out vectors (default: ${DEFAULT-VALUE})") long maxHeldout;

        @Override
        public void run() {
            QuantizerPreset p = QuantizerPreset.byName(preset == null ? QuantizerPreset.MINILM_DEMO.id() : preset);
            int m = codebooks != null ? codebooks : p.numCodebooks();
            int k = units != null ? units : p.numUnits();
            ResidualKMeans.Options options = new ResidualKMeans.Options(m, k, iterations);
            if (maxVectors < 1) throw new LcmException("--max-vectors must be at least 1, got " + maxVectors);
            if (heldoutEvery < 2) throw new LcmException("--heldout-every must be at least 2 (every n-th vector is held out), got " + heldoutEvery);
            if (maxHeldout < 1) throw new LcmException("--max-heldout must be at least 1, got " + maxHeldout);
            if (!output.getFileName().toString().endsWith(".pt")) throw new LcmException("--output " + output + " must end in .pt (the card is written as .yaml beside it)");
            TorchRuntime.init();
            Vectors[] read = read(source, seed, maxVectors, heldoutEvery, maxHeldout, "rvq fit: vectors read");
            Vectors train = read[0], heldout = read[1];
            String name = String.join(" ", source.describe());
            if (train.rows == 0) throw new LcmException(name + " gave no vectors to fit on");
            if (preset != null && p.dim() != train.dim) {
                throw new LcmException("preset " + p.id() + " is sized for " + p.dim() + "-d vectors but " + name + " has dimension "
                        + train.dim + "; pick the preset of this space or give --codebooks and --units");
            }
            if (k > train.rows) {
                throw new LcmException("--units " + k + " is more than the " + train.rows + " training vectors of " + name
                        + "; give more data (--max-vectors) or fewer units");
            }
            if (heldout.rows == 0) throw new LcmException(name + " gave no held-out vectors; it has too few vectors for --heldout-every " + heldoutEvery);
            QuantizerPreset.Memory mem = QuantizerPreset.fitMemory(train.rows, train.dim, m, k);
            System.out.printf("fitting %d x %d codebooks on %d vectors of dimension %d (%d held out); memory about %s: codebooks %s,"
                            + " vectors and residuals %s, assignments %s, per-chunk buffers %s%n", m, k, train.rows, train.dim, heldout.rows,
                    mib(mem.total()), mib(mem.codebooks()), mib(mem.trainingVectors()), mib(mem.assignments()), mib(mem.chunkBuffers()));
            ResidualQuantizer q;
            try (ProgressBar bar = Progress.bar("rvq fit: codebooks", m)) {
                Tensor data = train.tensor();
                q = ResidualKMeans.fit(data, options, ResidualKMeans.randomRows(seed), (stage, it) -> bar.stepTo(stage));
                bar.stepTo(m);
            }
            List<ResidualQuantizer.ReconstructionError> errors = q.reconstructionErrors(heldout.tensor());
            String label = codebooks != null || units != null ? "custom" : p.id();
            QuantizerFiles.write(output, q, new QuantizerFiles.FitRecord(label, seed, iterations, "random_rows",
                    source.describe(), train.rows, heldout.rows, errors));
            printErrors(errors, heldout.rows, "held-out");
            System.out.printf("saved %s and %s%n", output, QuantizerFiles.cardOf(output));
        }
    }

    /** Reads a float .npy of shape [..., D]: the values and the leading shape. */
    static Tensor readVectors(Path input, Npy.Array a, ResidualQuantizer q) {
        long[] s = a.shape();
        if (s.length < 1 || (a.dtype() != DType.FLOAT32 && a.dtype() != DType.FLOAT64)) {
            throw new LcmException("--input " + input + " must hold float32 or float64 vectors [..., D], got " + a.dtype().torchName() + " " + Arrays.toString(s));
        }
        q.requireDim(s[s.length - 1], "--input " + input);
        long d = s[s.length - 1];
        return Tensors.floats(a.toFloatArray(), a.size() / d, d);
    }

    static long[] leading(long[] shape, long last) {
        long[] out = Arrays.copyOf(shape, shape.length);
        out[out.length - 1] = last;
        return out;
    }

    @Command(name = "encode", description = {"Concept vectors (.npy [..., D]) to greedy RVQ codes (.npy int64 [..., k]):",
            "  ./lcm rvq encode --quantizer rvq.pt --input x.npy --output codes.npy [--codebooks k]"})
    static final class Encode implements Runnable {
        @Option(names = "--quantizer", required = true, description = "Q.pt written by ./lcm rvq fit") Path quantizer;
        @Option(names = "--input", required = true, description = ".npy of float vectors [..., D]") Path input;
        @Option(names = "--output", required = true, description = ".npy of int64 codes [..., k]") Path output;
        @Option(names = "--codebooks", description = "encode with the first k codebooks only (default: all)") Integer codebooks;

        @Override
        public void run() {
            TorchRuntime.init();
            ResidualQuantizer q = QuantizerFiles.read(quantizer);
            Npy.Array a = Npy.read(input);
            Tensor x = readVectors(input, a, q);
            int k = codebooks != null ? codebooks : q.numCodebooks();
            if (k < 1 || k > q.numCodebooks()) throw new LcmException("--codebooks " + k + " is out of range: " + quantizer + " has " + q.numCodebooks() + " codebooks (use 1.." + q.numCodebooks() + ")");
            long[] codes = Tensors.toLongs(q.encode(x, k));
            Npy.write(output, Npy.Array.ofLongs(codes, leading(a.shape(), k)));
            System.out.printf("encoded %d vectors with %d of %d codebooks to %s%n", x.size(0), k, q.numCodebooks(), output);
        }
    }

    @Command(name = "decode", description = {"RVQ codes (.npy integer [..., m]) to the partial sums z_k of their first k codebooks (.npy float32 [..., D]):",
            "  ./lcm rvq decode --quantizer rvq.pt --input codes.npy --output z.npy [--codebooks k]"})
    static final class Decode implements Runnable {
        @Option(names = "--quantizer", required = true, description = "Q.pt written by ./lcm rvq fit") Path quantizer;
        @Option(names = "--input", required = true, description = ".npy of codes [..., m], m <= M") Path input;
        @Option(names = "--output", required = true, description = ".npy of float32 vectors [..., D]") Path output;
        @Option(names = "--codebooks", description = "sum the first k codebooks only (default: all m columns of the codes)") Integer codebooks;

        @Override
        public void run() {
            TorchRuntime.init();
            ResidualQuantizer q = QuantizerFiles.read(quantizer);
            Npy.Array a = Npy.read(input);
            long[] s = a.shape();
            if (s.length < 1 || (a.dtype() != DType.INT64 && a.dtype() != DType.INT32)) {
                throw new LcmException("--input " + input + " must hold int64 or int32 codes [..., m], got " + a.dtype().torchName() + " " + Arrays.toString(s));
            }
            long m = s[s.length - 1];
            if (m > q.numCodebooks()) throw new LcmException("--input " + input + " has codes of " + m + " codebooks but " + quantizer + " has " + q.numCodebooks());
            int k = codebooks != null ? codebooks : (int) m;
            if (k < 0 || k > m) throw new LcmException("--codebooks " + k + " is out of range: the codes of " + input + " have " + m + " codebooks (use 0.." + m + ")");
            long n = m == 0 ? 0 : a.size() / m;
            Tensor codes = Tensors.longs(a.toLongArray(), n, m);
            float[] z = Tensors.toFloats(q.decode(codes, k));
            Npy.write(output, Npy.Array.ofFloats(z, leading(s, q.dim())));
            System.out.printf("decoded %d codes with %d codebooks to %s%n", n, k, output);
        }
    }

    @Command(name = "report", description = {"The reconstruction error of a quantizer for every number of codebooks k = 0..M:",
            "mean squared l2 ||x - z_k||^2 per vector and its ratio to sum ||x||^2, on a .npy or on datacard / parquet vectors:",
            "  ./lcm rvq report --quantizer rvq.pt --input x.npy",
            "  ./lcm rvq report --quantizer rvq.pt --ds europarl_demo=validation --max-vectors 10000"})
    static final class Report implements Runnable {
        @Option(names = "--quantizer", required = true, description = "Q.pt written by ./lcm rvq fit") Path quantizer;
        @Option(names = "--input", description = ".npy of float vectors [..., D]") Path input;
        @Mixin DataSource source;
        @Option(names = "--max-vectors", defaultValue = "10000", description = "with --ds / --parquet: measure on at most this many vectors (default: ${DEFAULT-VALUE})") long maxVectors;
        @Option(names = "--seed", defaultValue = "0", description = "with --ds / --parquet: the data order (default: ${DEFAULT-VALUE})") long seed;

        @Override
        public void run() {
            TorchRuntime.init();
            boolean data = source.ds != null || source.parquet != null;
            if ((input != null) == data) throw new LcmException("give the vectors with one of --input X.npy, --ds NAME... or --parquet PATH");
            if (maxVectors < 1) throw new LcmException("--max-vectors must be at least 1, got " + maxVectors);
            ResidualQuantizer q = QuantizerFiles.read(quantizer);
            Tensor x;
            String what;
            if (input != null) {
                x = readVectors(input, Npy.read(input), q);
                what = input.toString();
            } else {
                Vectors v = read(source, seed, maxVectors, 0, 0, "rvq report: vectors read")[0];
                what = String.join(" ", source.describe());
                if (v.rows == 0) throw new LcmException(what + " gave no vectors");
                q.requireDim(v.dim, what);
                x = v.tensor();
            }
            printErrors(q.reconstructionErrors(x), x.size(0), what);
        }
    }
}
