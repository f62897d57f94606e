package dev.lcm4j.torch;

import static org.bytedeco.pytorch.global.torch.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Where generation draws its Gaussian noise (an MSE LCM's {@code sample_latent_variable}, a diffusion model's initial
 * latents and DDIM noise). {@link #global()} draws from torch's global generator, as the reference does; the result
 * of a row then depends on what else is in its batch and on every draw before it. {@link #perRow} gives every row
 * its own generator, seeded from the row's sample: a row draws the same numbers whatever batch, shard or process it
 * is computed in, which is what makes a sharded evaluation reproduce a single-process one.
 */
public interface Noise extends AutoCloseable {
    /**
     * N(0, 1) of {@code shape} = [rows, ...], with the dtype and device of {@code like} (null: float32 on the CPU).
     * Per-row noise fills row i from row i's generator, in row-major order.
     */
    Tensor randn(long[] shape, Tensor like);

    /** N(0, 1) shaped like {@code like}. */
    default Tensor randnLike(Tensor like) {
        return randn(Tensors.shape(like), like);
    }

    /** Keeps the rows at {@code rows} (indices into the current rows, in their new order): finished rows leave the batch. */
    void keepRows(long[] rows);

    /**
     * Until the next call, rows whose entry is false get zeros and do not advance their generator: a row still
     * reading its prompt while others generate has its output discarded, and must not use up draws meant for its
     * own first generated concept. The global generator ignores this (every row draws, as in the reference).
     */
    void drawOnlyFor(boolean[] rows);

    /** Releases per-row generators (nothing for the global generator). */
    @Override
    void close();

    /** Torch's global generator (seeded with {@code manual_seed}); {@link #keepRows} has nothing to do. */
    static Noise global() {
        return Global.INSTANCE;
    }

    /** One generator per row, row i seeded with {@code seeds[i]} (see {@link #seedFor}). */
    static Noise perRow(long[] seeds) {
        return new PerRow(seeds);
    }

    /**
     * The seed of sample {@code index} under the user's {@code seed}: a SplitMix64 mix rather than {@code seed + index},
     * so that seeds 42 and 43 do not give overlapping streams shifted by one sample.
     */
    static long seedFor(long seed, long index) {
        long h = seed * 0x9E3779B97F4A7C15L + index;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }

    /** The global torch generator. */
    final class Global implements Noise {
        private static final Global INSTANCE = new Global();

        private Global() {
        }

        @Override
        public Tensor randn(long[] shape, Tensor like) {
            return like == null ? org.bytedeco.pytorch.global.torch.randn(shape)
                    : org.bytedeco.pytorch.global.torch.randn(shape, Tensors.opts(like.scalar_type(), like.device()));
        }

        @Override
        public Tensor randnLike(Tensor like) {
            return randn_like(like);
        }

        @Override
        public void keepRows(long[] rows) {
        }

        @Override
        public void drawOnlyFor(boolean[] rows) {
        }

        @Override
        public void close() {
        }
    }

    /** A CPU generator per row; draws are made on the CPU and moved to {@code like}'s device and dtype. */
    final class PerRow implements Noise {
        private List<Generator> rows;
        private boolean[] drawing;   // null: every row draws

        private PerRow(long[] seeds) {
            rows = new ArrayList<>(seeds.length);
            for (long s : seeds) {
                Generator g = createCPUGenerator(s);
                // pointer scopes around the caller's steps must not free a generator that lives for the whole call
                g.retainReference();
                rows.add(g);
            }
        }

        @Override
        public Tensor randn(long[] shape, Tensor like) {
            if (shape.length == 0 || shape[0] != rows.size()) {
                throw new IllegalStateException("per-row noise for " + rows.size() + " rows asked for shape " + Arrays.toString(shape));
            }
            long[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
            TensorVector parts = new TensorVector();
            for (int i = 0; i < rows.size(); i++) {
                parts.push_back(drawing == null || drawing[i]
                        ? org.bytedeco.pytorch.global.torch.randn(rowShape, new GeneratorOptional(rows.get(i)), Tensors.opts(ScalarType.Float, null))
                        : zeros(rowShape, Tensors.opts(ScalarType.Float, null)));
            }
            Tensor out = stack(parts, 0);
            return like == null ? out : out.to(like.device(), like.scalar_type());
        }

        @Override
        public void keepRows(long[] keep) {
            List<Generator> next = new ArrayList<>(keep.length);
            boolean[] kept = new boolean[rows.size()];
            for (long k : keep) {
                next.add(rows.get((int) k));
                kept[(int) k] = true;
            }
            for (int i = 0; i < kept.length; i++) if (!kept[i]) rows.get(i).releaseReference();
            rows = next;
            drawing = null;
        }

        @Override
        public void drawOnlyFor(boolean[] rowsThatDraw) {
            if (rowsThatDraw.length != rows.size()) {
                throw new IllegalStateException(rowsThatDraw.length + " draw flags for " + rows.size() + " rows");
            }
            drawing = rowsThatDraw.clone();
        }

        @Override
        public void close() {
            for (Generator g : rows) g.releaseReference();
            rows = List.of();
        }
    }
}
