package dev.lcm4j.concepts.retrieval;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.text.Languages;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.torch.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import java.util.Arrays;

/**
 * The offline decoder: returns, for each vector, the sentence of a {@link SentenceBank} with the highest cosine
 * similarity (exact search, ties to the earlier sentence). It can only give back sentences it has seen, so it shows
 * what a model predicts in the neighbourhood of known text; SONAR's decoder is the real, generative one.
 *
 * <p>Search: queries Q [q, d]; the bank is scanned in blocks of rows B_k [r, d], computing Q B_k^T [q, r] with
 * libtorch's matrix product and keeping the running best per query. A 1M x 384 bank is ~1.5 GB.
 */
public final class RetrievalDecoder implements ConceptDecoder {
    public static final String FAMILY = "retrieval_decoder";
    private static final long DEFAULT_BLOCK_ROWS = 1 << 17;
    private static final int QUERY_BATCH = 256;

    private final String name;
    private final SentenceBank bank;
    private final long blockRows;

    public RetrievalDecoder(String name, SentenceBank bank) {
        this(name, bank, DEFAULT_BLOCK_ROWS);
    }

    /** {@code blockRows}: bank rows per matrix product (tests use small blocks to cross block boundaries). */
    RetrievalDecoder(String name, SentenceBank bank, long blockRows) {
        this.name = name;
        this.bank = bank;
        this.blockRows = blockRows;
    }

    /** {@code bank:PATH} (a bank file or a prepared dataset directory). */
    public static RetrievalDecoder fromSpec(String spec) {
        String p = spec.substring("bank:".length());
        if (p.isBlank()) throw new LcmException("decoder spec '" + spec + "' names no bank: use bank:DATASET_DIR or bank:FILE");
        return new RetrievalDecoder(spec, SentenceBank.open(Path.of(p)));
    }

    /** A card of family {@code retrieval_decoder} with {@code bank: PATH} (relative to the card's directory). */
    public static RetrievalDecoder fromCard(ModelCard card) {
        Object b = card.raw().get("bank");
        if (b == null) throw new LcmException("card " + card.name() + " (" + card.source() + ") needs 'bank: PATH' (a sentence bank or dataset directory)");
        Path p = Path.of(String.valueOf(b));
        if (!p.isAbsolute() && card.source() != null && card.source().getParent() != null) p = card.source().getParent().resolve(p);
        return new RetrievalDecoder(card.name(), SentenceBank.open(p));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int dim() {
        return bank.dim();
    }

    public SentenceBank bank() {
        return bank;
    }

    @Override
    public List<String> decode(float[][] vectors, String lang) {
        Languages.check(lang);
        int[] idx = nearest(vectors);
        List<String> out = new ArrayList<>(idx.length);
        for (int i : idx) out.add(bank.sentence(i));
        return out;
    }

    /** Index of the nearest bank sentence for each vector. */
    public int[] nearest(float[][] vectors) {
        int d = bank.dim();
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i].length != d) {
                throw new LcmException("decoder " + name + ": vector " + i + " has " + vectors[i].length + " values but the sentence bank is " + d
                        + "-d; decode with the bank of the concept space the vectors come from");
            }
            for (float x : vectors[i]) {
                if (!Float.isFinite(x)) throw new LcmException("decoder " + name + ": vector " + i + " holds " + x);
            }
        }
        int[] out = new int[vectors.length];
        for (int start = 0; start < vectors.length; start += QUERY_BATCH) {
            int q = Math.min(QUERY_BATCH, vectors.length - start);
            float[] flat = new float[q * d];
            for (int i = 0; i < q; i++) System.arraycopy(vectors[start + i], 0, flat, i * d, d);
            int[] best = search(flat, q);
            System.arraycopy(best, 0, out, start, q);
        }
        return out;
    }

    private int[] search(float[] flat, int q) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor queries = Tensors.floats(flat, q, bank.dim());
            // Bank rows are unit vectors, so for a fixed query the argmax of q.b is that of the cosine: queries
            // need no normalisation.
            Tensor all = bank.vectors();
            long n = all.size(0);
            float[] bestScore = new float[q];
            Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
            int[] best = new int[q];
            for (long r0 = 0; r0 < n; r0 += blockRows) {
                long r1 = Math.min(n, r0 + blockRows);
                // [q, d] x [d, r] = [q, r]: each query's scores are one contiguous row, reduced along it
                Tensor scores = queries.mm(all.narrow(0, r0, r1 - r0).t());
                T_TensorTensor_T mx = scores.max(1, false); // per query: best score and its column in the block
                float[] s = Tensors.toFloats(mx.get0());
                long[] at = Tensors.toLongs(mx.get1());
                for (int j = 0; j < q; j++) {
                    if (s[j] > bestScore[j]) { // strict: an equal score in a later block keeps the earlier sentence
                        bestScore[j] = s[j];
                        best[j] = (int) (r0 + at[j]);
                    }
                }
            }
            return best;
        }
    }
}
