package dev.lcm4j.concepts.retrieval;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.DataCard;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.torch.Tensors;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.torch.TorchRuntime;
import java.util.Arrays;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * A bank of distinct sentences with their unit-length concept vectors: what the {@link RetrievalDecoder} searches.
 * Built from prepared data ({@code ./lcm prepare} writes it next to the parquet files as {@code sentence_bank.bin}).
 *
 * <p>File layout (little endian): magic {@code LCMSBANK}, int32 version (1), int32 dim, int64 count n, int64 text
 * bytes; float32[n][dim] unit vectors; int64[n+1] offsets into the text; the UTF-8 text of all sentences.
 * Loaded, the vectors live in one libtorch tensor so a search is a few large matrix products.
 */
public final class SentenceBank {
    public static final String FILE_NAME = "sentence_bank.bin";
    private static final byte[] MAGIC = "LCMSBANK".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 8 + 4 + 4 + 8 + 8;

    private final Path file;
    private final int dim;
    private final Tensor vectors; // [n, dim] float32, unit rows
    private final long[] offsets;
    private final byte[] text;

    private SentenceBank(Path file, int dim, Tensor vectors, long[] offsets, byte[] text) {
        this.file = file;
        this.dim = dim;
        this.vectors = vectors;
        this.offsets = offsets;
        this.text = text;
    }

    public int dim() {
        return dim;
    }

    public int size() {
        return offsets.length - 1;
    }

    public Path file() {
        return file;
    }

    public String sentence(int i) {
        return new String(text, (int) offsets[i], (int) (offsets[i + 1] - offsets[i]), StandardCharsets.UTF_8);
    }

    /** The unit vectors, [size, dim]. */
    Tensor vectors() {
        return vectors;
    }

    // ---------------------------------------------------------------- writing

    /** Accumulates distinct sentences (first vector kept) and writes a bank file atomically. */
    public static final class Builder {
        private final int dim;
        private final Map<String, float[]> sentences = new LinkedHashMap<>();

        public Builder(int dim) {
            this.dim = dim;
        }

        public void add(String sentence, float[] vector) {
            if (sentence == null) return;
            if (vector.length != dim) {
                throw new LcmException("sentence bank: a " + vector.length + "-d vector for a " + dim + "-d bank (\"" + abbreviate(sentence) + "\")");
            }
            sentences.putIfAbsent(sentence, vector);
        }

        public int size() {
            return sentences.size();
        }

        public void write(Path target) {
            if (sentences.isEmpty()) throw new LcmException("sentence bank " + target + ": no sentences to store");
            AtomicFiles.write(target, raw -> {
                DataOutputStream out = new DataOutputStream(raw);
                List<byte[]> texts = new ArrayList<>(sentences.size());
                long textBytes = 0;
                for (String s : sentences.keySet()) {
                    byte[] b = s.getBytes(StandardCharsets.UTF_8);
                    texts.add(b);
                    textBytes += b.length;
                }
                if (textBytes > Integer.MAX_VALUE - 16) throw new LcmException("sentence bank " + target + ": more than 2 GB of text; split the data");
                ByteBuffer head = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
                head.put(MAGIC).putInt(1).putInt(dim).putLong(sentences.size()).putLong(textBytes);
                out.write(head.array());
                ByteBuffer row = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] v : sentences.values()) {
                    double norm = 0;
                    for (float x : v) {
                        if (!Float.isFinite(x)) throw new LcmException("sentence bank " + target + ": a vector holds " + x);
                        norm += (double) x * x;
                    }
                    float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
                    row.clear();
                    for (float x : v) row.putFloat(x * inv);
                    out.write(row.array());
                }
                ByteBuffer off = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                long pos = 0;
                for (int i = 0; i <= texts.size(); i++) {
                    off.clear();
                    off.putLong(pos);
                    out.write(off.array());
                    if (i < texts.size()) pos += texts.get(i).length;
                }
                for (byte[] b : texts) out.write(b);
                out.flush();
            });
        }
    }

    /**
     * Builds {@code DIR/sentence_bank.bin} from a prepared dataset directory (its {@code datacard.yaml} names the
     * sentence and embedding columns): every sentence of every split, source and target side, deduplicated.
     */
    public static Path build(Path datasetDir) {
        return build(datasetDir, datasetDir.resolve(FILE_NAME));
    }

    /** As {@link #build(Path)}, writing the bank to {@code target}. */
    public static Path build(Path datasetDir, Path target) {
        Path card = datasetDir.resolve("datacard.yaml");
        if (!Files.isRegularFile(card)) {
            throw new LcmException(datasetDir + " has no datacard.yaml; build banks from a directory written by ./lcm prepare or ./lcm data synth");
        }
        DataCard dc = DatacardRegistry.parse(card).get(0);
        return build(dc.root("local"), dc.columns(), target);
    }

    /** Builds a bank from the parquet files under {@code root} read with {@code columns} (which must name text columns). */
    public static Path build(Path root, DataColumns columns, Path target) {
        if (columns.sourceText() == null) {
            throw new LcmException("dataset " + root + " names no sentence text column (source_text_column); a bank needs the sentences");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + root + ": " + e.getMessage());
        }
        if (files.isEmpty()) throw new LcmException("no .parquet files under " + root + " to build a sentence bank from");
        Builder b = null;
        for (Path f : files) {
            try (LcmParquetReader r = LcmParquetReader.open(f, columns, b == null ? 0 : b.dim)) {
                for (int g = 0; g < r.rowGroupCount(); g++) {
                    for (Document d : r.readRowGroup(g)) {
                        if (b == null) b = new Builder(r.dim());
                        addAll(b, d.sentences(), d.embeddings(), f);
                        addAll(b, d.targetSentences(), d.targetEmbeddings(), f);
                    }
                }
            }
        }
        if (b == null) throw new LcmException("no documents under " + root + " to build a sentence bank from");
        b.write(target);
        return target;
    }

    private static void addAll(Builder b, List<String> sentences, float[][] vectors, Path file) {
        if (sentences == null || vectors == null) return;
        if (sentences.size() != vectors.length) {
            throw new LcmException(file + ": a document has " + sentences.size() + " sentences but " + vectors.length + " vectors");
        }
        for (int i = 0; i < vectors.length; i++) b.add(sentences.get(i), vectors[i]);
    }

    // ---------------------------------------------------------------- reading

    /** Opens a bank file, or {@code DIR/sentence_bank.bin} when given a directory. */
    public static SentenceBank open(Path path) {
        TorchRuntime.init();
        Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
        if (!Files.isRegularFile(file)) {
            throw new LcmException("sentence bank " + file + " does not exist; build it with: ./lcm bank build "
                    + (Files.isDirectory(path) ? path : "DATASET_DIR"));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, head);
            head.flip();
            byte[] magic = new byte[8];
            head.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new LcmException(file + " is not a sentence bank (bad header); rebuild it with ./lcm bank build");
            }
            int version = head.getInt();
            int dim = head.getInt();
            long n = head.getLong();
            long textBytes = head.getLong();
            if (version != 1 || dim <= 0 || n <= 0 || textBytes < 0 || textBytes > Integer.MAX_VALUE || n >= Integer.MAX_VALUE) {
                throw new LcmException(file + ": unsupported or corrupt sentence bank header; rebuild it with ./lcm bank build");
            }
            long expected = HEADER + n * dim * 4L + (n + 1) * 8L + textBytes;
            if (ch.size() != expected) throw new LcmException(file + " is truncated or corrupt (" + ch.size() + " bytes, expected " + expected + "); rebuild it");
            // The vectors go straight from the file into the tensor's memory, in chunks of at most 1 GB.
            Tensor vectors = torch.empty(new long[] {n, dim},
                    Tensors.opts(ScalarType.Float, null), null);
            BytePointer base = new BytePointer(vectors.data_ptr());
            long total = n * dim * 4L;
            for (long off = 0; off < total; off += 1L << 30) {
                long len = Math.min(1L << 30, total - off);
                ByteBuffer dst = new BytePointer(base).position(off).limit(off + len).asByteBuffer();
                readFully(ch, dst);
            }
            if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new LcmException("sentence banks need a little-endian machine");
            ByteBuffer offs = ByteBuffer.allocate((int) ((n + 1) * 8)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, offs);
            offs.flip();
            long[] offsets = new long[(int) n + 1];
            offs.asLongBuffer().get(offsets);
            ByteBuffer text = ByteBuffer.allocate((int) textBytes);
            readFully(ch, text);
            if (offsets[0] != 0 || offsets[(int) n] != textBytes) throw new LcmException(file + ": corrupt sentence offsets; rebuild it");
            return new SentenceBank(file.toAbsolutePath(), dim, vectors, offsets, text.array());
        } catch (IOException e) {
            throw new LcmException("cannot read sentence bank " + file + ": " + e.getMessage());
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (ch.read(dst) < 0) throw new IOException("unexpected end of file");
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
