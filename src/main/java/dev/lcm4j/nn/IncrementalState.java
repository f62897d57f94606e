package dev.lcm4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * The decoding state of a whole stack (fairseq2's IncrementalStateBag): one KV cache per attention layer and the
 * number of positions already processed, which offsets positional encodings.
 */
public final class IncrementalState {
    private final List<KvCache> caches = new ArrayList<>();
    private long step;

    public KvCache cache(int layer) {
        while (caches.size() <= layer) caches.add(new KvCache());
        return caches.get(layer);
    }

    public long step() {
        return step;
    }

    public void advance(long n) {
        step += n;
    }

    public void reorder(Tensor rowIndex) {
        caches.forEach(c -> c.reorder(rowIndex));
    }

    public void close() {
        caches.forEach(KvCache::clear);
    }
}
