package dev.lcm4j.models.quantlcm;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.CleanStreamStep;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.quant.ResidualQuantizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.Linear;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.PositionEncoder;
import dev.lcm4j.nn.Projection;
import dev.lcm4j.nn.TransformerDecoder;
import dev.lcm4j.torch.Tensors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Quant-LCM (paper §2.3.5): the One-Tower backbone over an interleaved sequence whose slot 2n holds the partial
 * quantized representation z_{k_n - 1}(x_n) of sentence n (the sum of its first k_n - 1 centroids; z_0 = 0) with the
 * embedding of codebook index k_n, and slot 2n+1 the clean concept x_n with the reserved index 0. Every input is
 * {@code [normalize(v) ; cbemb(k)]} through the PreNet, plus the learned position of sentence n. A query slot sees the
 * earlier clean slots and itself; its output is the unit of codebook k_n (-d: K logits) or the concept x_n (-c, in
 * normalized space). The quantizer's codebooks [M, K, C] are a buffer of the model, so a checkpoint carries them.
 * Sub-modules {@code sonar_normalizer, frontend (pre_linear, embed_codebook, pos_encoder), lcm, head | postnet}.
 */
public final class QuantLcm extends Lcm implements CleanStreamStep.CleanStream {
    /** The codebook index of clean slots (codebooks are 1..M). */
    public static final int CLEAN_INDEX = 0;

    private final QuantLcmConfig config;
    private final SonarNormalizer normalizer;
    private final Frontend frontend;
    private final TransformerDecoder lcm;
    private final Linear head;          // -d
    private final Projection postnet;   // -c
    private final Tensor codebooks;     // [M, K, C] float32
    private ResidualQuantizer quantizer;  // over codebooks, with their norms; rebuilt when they change in place
    private long quantizerVersion;        // the codebooks' version counter when quantizer was built
    private final AtomicBoolean guidanceWarned = new AtomicBoolean();

    /**
     * @param codebooks the quantizer's codebooks [M, K, C], or null for zeros (a checkpoint's then fill them)
     */
    public QuantLcm(ParamFactory f, QuantLcmConfig c, SonarNormalizer normalizer, Tensor codebooks) {
        this.config = c;
        this.normalizer = registerModule("sonar_normalizer", normalizer);
        this.frontend = registerModule("frontend", new Frontend(f, c));
        this.lcm = registerModule("lcm", new TransformerDecoder(f, c.model_dim(), c.max_seq_len(), c.lcm()));
        if (c.discrete()) {
            this.head = registerModule("head", new Linear(f, c.model_dim(), c.num_units(), true, InitFn.KAIMING_UNIFORM));
            this.postnet = null;
        } else {
            this.head = null;
            this.postnet = registerModule("postnet", new Projection(f, c.model_dim(), c.sonar_embed_dim(), c.postnet()));
        }
        Tensor books = zeros(new long[] {c.num_codebooks(), c.num_units(), c.sonar_embed_dim()}, Tensors.opts(ScalarType.Float, f.device()));
        if (codebooks != null && !f.isMeta()) books.copy_(codebooks);
        this.codebooks = registerBuffer("quantizer_codebooks", books);
    }

    public QuantLcmConfig config() { return config; }

    @Override public SonarNormalizer normalizer() { return normalizer; }

    @Override public String family() { return config.model_type(); }

    @Override public Record configRecord() { return config; }

    @Override public int sonarEmbedDim() { return config.sonar_embed_dim(); }

    public boolean discrete() { return config.discrete(); }

    public int numCodebooks() { return config.num_codebooks(); }

    public int numUnits() { return config.num_units(); }

    /** The codebooks [M, K, C] (raw concept space). */
    public Tensor codebooks() { return codebooks; }

    /** True the first time only: generation warns once per model about guidance on a model not trained for it. */
    public boolean guidanceWarningDue() {
        return guidanceWarned.compareAndSet(false, true);
    }

    /**
     * The residual quantizer over the codebooks buffer (shared storage, no copy), so that the codebook norms are
     * computed once and not at every codebook step. Built on first use, not in the constructor: loading a checkpoint
     * writes the buffer in place after construction. Such a write bumps the tensor's version counter, which rebuilds it.
     */
    public synchronized ResidualQuantizer quantizer() {
        long version = codebooks.__dispatch__version();
        if (quantizer == null || version != quantizerVersion) {
            try (NoGradGuard g = new NoGradGuard()) {
                quantizer = ResidualQuantizer.sharing(codebooks);
            }
            quantizerVersion = version;
        }
        return quantizer;
    }

    /** The centroids C_m[units] of codebook m (0-based): units [N] -> [N, C]. */
    public Tensor centroids(int m, Tensor units) {
        return quantizer().centroids(m, units);
    }

    /**
     * The training forward.
     *
     * @param clean   [B, N, C] normalized clean concepts
     * @param partial [B, N, C] normalized partial sums z_{k_n - 1}
     * @param indices [B, N] codebook index k_n in 1..M of every query slot
     * @param allowed bool [B or 1, 1, 2N, 2N] (the One-Tower interleaved mask)
     * @return [B, N, K] logits (-d) or [B, N, C] normalized predictions of x_n (-c)
     */
    public Tensor forward(Tensor clean, Tensor partial, Tensor indices, Tensor allowed) {
        long b = clean.size(0), n = clean.size(1);
        Tensor hQuery = frontend.forward(partial, frontend.indexEmbedding(indices), 0);                // [B,N,D]
        Tensor hClean = frontend.forward(clean, frontend.indexEmbedding(CLEAN_INDEX), 0);              // [B,N,D]
        Tensor h = stack(new TensorVector(hQuery, hClean), 2).view(b, 2 * n, -1);                      // [B,2N,D]
        Tensor y = lcm.forwardMasked(h, allowed);                                                       // [B,2N,D]
        return output(y.view(b, n, 2, -1).select(2, 0));
    }

    /** Clean concepts [B, S, C] (normalized) join the cached clean stream (positions continue). */
    public void encodeClean(Tensor clean, IncrementalState state) {
        Tensor h = frontend.forward(clean, frontend.indexEmbedding(CLEAN_INDEX), state.step());
        lcm.forward(h, state);
        state.advance(clean.size(1));
    }

    /**
     * Query slots [B, S, C] (normalized partial sums) of codebook index k at positions {@code position..} against the
     * cached clean stream ({@code ctxAllowed} [B or 1, 1, S, P], null = all); {@code context} null: unconditional,
     * each query sees itself only. Returns [B, S, K] logits or [B, S, C] normalized predictions.
     */
    public Tensor query(Tensor partial, int k, long position, IncrementalState context, Tensor ctxAllowed) {
        Tensor h = frontend.forward(partial, frontend.indexEmbedding(k), position);
        return output(lcm.forwardAgainstCache(h, context, context == null ? null : ctxAllowed));
    }

    private Tensor output(Tensor y) {
        return head != null ? head.forward(y) : postnet.forward(y);
    }

    /** {@code frontend}: the PreNet over {@code [x ; cbemb(k)]}, the codebook-index table, learned or sine positions. */
    static final class Frontend extends Module {
        private final Linear preLinear;
        private final Tensor indexTable;   // [M + 1, d_k], row 0 = clean
        private final PositionEncoder posEncoder;

        Frontend(ParamFactory f, QuantLcmConfig c) {
            this.preLinear = registerModule("pre_linear", new Linear(f, c.sonar_embed_dim() + c.codebook_embed_dim(), c.model_dim(),
                    c.pre_linear_bias(), InitFn.KAIMING_UNIFORM));
            this.indexTable = registerModule("embed_codebook",
                    new EmbeddingTable(f, c.num_codebooks() + 1, c.codebook_embed_dim(), c.embedding_std())).weight;
            this.posEncoder = registerModule("pos_encoder",
                    PositionEncoder.forStyle(f, c.lcm().pos_embedding_style(), c.model_dim(), c.max_seq_len(), c.embedding_std()));
        }

        /** cbemb of indices [...] -> [..., d_k]. */
        Tensor indexEmbedding(Tensor indices) {
            long[] s = Tensors.shape(indices);
            long[] out = java.util.Arrays.copyOf(s, s.length + 1);
            out[s.length] = indexTable.size(1);
            return indexTable.index_select(0, indices.reshape(-1).to(ScalarType.Long)).view(out);
        }

        /** cbemb of one index for every row and slot, [1, 1, d_k]. */
        Tensor indexEmbedding(int k) {
            return indexTable.narrow(0, k, 1).unsqueeze(0);
        }

        /** x [B, S, C], emb broadcastable to [B, S, d_k], positions offset..offset+S-1 -> [B, S, D]. */
        Tensor forward(Tensor x, Tensor emb, long offset) {
            Tensor e = emb.expand(x.size(0), x.size(1), emb.size(-1)).to(x.scalar_type());
            Tensor h = preLinear.forward(cat(new TensorVector(x, e), -1));
            return posEncoder == null ? h : posEncoder.forward(h, offset);
        }
    }

    /** {@code embed_codebook.weight}: a learned table, N(0, std) at init. */
    static final class EmbeddingTable extends Module {
        final Tensor weight;

        EmbeddingTable(ParamFactory f, long rows, long dim, double std) {
            this.weight = registerParameter("weight", f.zeros(rows, dim));
            if (!f.isMeta()) try (NoGradGuard g = new NoGradGuard()) { weight.normal_(0.0, std, null); }
        }
    }
}
