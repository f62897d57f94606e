package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.empty;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Keys and values of one attention layer for the positions decoded so far ([B, H, P, K] each), kept in buffers of
 * room for more positions: a step writes its new positions in place and reads a view of the filled part. When the
 * room is used up the buffers double, so N appended positions copy O(N) values in all (re-concatenating the whole
 * cache at every step copied O(N^2) and made long generations quadratic). {@link #reorder} keeps only some batch rows
 * (finished hypotheses are dropped).
 */
public final class KvCache {
    /** Positions the buffers hold at first (a prompt longer than this gets twice its length). */
    static final long INITIAL_CAPACITY = 64;

    private Tensor k, v;     // [B, H, capacity, K]
    private long length;     // positions filled

    public long length() {
        return length;
    }

    /** Positions the buffers hold before they grow (for tests and benchmarks). */
    public long capacity() {
        return k == null ? 0 : k.size(2);
    }

    /** Appends the new keys/values [B, H, S, K] and returns views [B, H, P + S, K] of everything cached. */
    public Tensor[] append(Tensor newK, Tensor newV) {
        long s = newK.size(2);
        if (k == null) {
            allocate(newK, newV, Math.max(INITIAL_CAPACITY, 2 * s));
        } else if (length + s > k.size(2)) {
            grow(Math.max(2 * k.size(2), length + s));
        }
        k.narrow(2, length, s).copy_(newK);
        v.narrow(2, length, s).copy_(newV);
        length += s;
        return new Tensor[] {k.narrow(2, 0, length), v.narrow(2, 0, length)};
    }

    /** Views [B, H, P, K] of everything cached (the keys and values {@link #append} returned last). */
    public Tensor[] view() {
        if (k == null) throw new IllegalStateException("empty KV cache");
        return new Tensor[] {k.narrow(2, 0, length), v.narrow(2, 0, length)};
    }

    /** Keeps the rows {@code rowIndex} (long [B']) of the batch. */
    public void reorder(Tensor rowIndex) {
        if (k == null) return;
        replace(k.index_select(0, rowIndex), v.index_select(0, rowIndex));
    }

    private void allocate(Tensor likeK, Tensor likeV, long capacity) {
        long[] shape = Tensors.shape(likeK);
        shape[2] = capacity;
        long[] vShape = Tensors.shape(likeV);
        vShape[2] = capacity;
        replace(empty(shape, Tensors.opts(likeK.scalar_type(), likeK.device()), null),
                empty(vShape, Tensors.opts(likeV.scalar_type(), likeV.device()), null));
    }

    private void grow(long capacity) {
        Tensor oldK = k, oldV = v;
        oldK.retainReference();
        oldV.retainReference();
        allocate(oldK, oldV, capacity);
        k.narrow(2, 0, length).copy_(oldK.narrow(2, 0, length));
        v.narrow(2, 0, length).copy_(oldV.narrow(2, 0, length));
        oldK.releaseReference();
        oldV.releaseReference();
    }

    private void replace(Tensor nk, Tensor nv) {
        // the cache outlives the per-step PointerScope that created these tensors
        nk.retainReference();
        nv.retainReference();
        if (k != null) { k.releaseReference(); v.releaseReference(); }
        k = nk;
        v = nv;
    }

    public void clear() {
        if (k != null) { k.releaseReference(); v.releaseReference(); }
        k = null;
        v = null;
        length = 0;
    }
}
