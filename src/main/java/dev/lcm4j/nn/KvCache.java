package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Keys and values of one attention layer for the positions decoded so far ([B, H, P, K] each). Appended to at
 * every step; {@link #reorder} keeps only some batch rows (finished hypotheses are dropped).
 */
public final class KvCache {
    private Tensor k, v;

    public long length() {
        return k == null ? 0 : k.size(2);
    }

    /** Appends the new keys/values and returns the full cached tensors. */
    public Tensor[] append(Tensor newK, Tensor newV) {
        Tensor nk = k == null ? newK : cat(new TensorVector(k, newK), 2);
        Tensor nv = v == null ? newV : cat(new TensorVector(v, newV), 2);
        replace(nk, nv);
        return new Tensor[] {k, v};
    }

    public void reorder(Tensor rowIndex) {
        if (k != null) replace(k.index_select(0, rowIndex), v.index_select(0, rowIndex));
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
    }
}
