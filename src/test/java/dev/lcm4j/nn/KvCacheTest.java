package dev.lcm4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The preallocated cache holds exactly what concatenating every step's keys and values would. */
class KvCacheTest {
    @Test
    void appendsGrowsAndReordersLikeConcatenation() {
        TorchRuntime.init();
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            KvCache cache = new KvCache();
            Tensor allK = null, allV = null;
            long[] capacities = new long[3];
            int step = 0;
            for (int s : new int[] {5, 1, 1, 60, 1, 70, 2}) {   // a prompt, single steps, and appends that overflow
                Tensor k = torch.randn(new long[] {3, 2, s, 4}), v = torch.randn(new long[] {3, 2, s, 4});
                Tensor[] kv = cache.append(k, v);
                allK = allK == null ? k : torch.cat(new TensorVector(allK, k), 2);
                allV = allV == null ? v : torch.cat(new TensorVector(allV, v), 2);
                assertArrayEquals(Tensors.toFloats(allK), Tensors.toFloats(kv[0].contiguous()));
                assertArrayEquals(Tensors.toFloats(allV), Tensors.toFloats(kv[1].contiguous()));
                if (step == 0) capacities[0] = cache.capacity();
                if (step == 3) capacities[1] = cache.capacity();
                step++;
            }
            capacities[2] = cache.capacity();
            assertEquals(140, cache.length());
            assertArrayEquals(new long[] {64, 128, 256}, capacities, "capacity doubles when full");
            Tensor rows = Tensors.longs(new long[] {2, 0}, 2);
            cache.reorder(rows);
            Tensor[] kv = cache.append(torch.zeros(new long[] {2, 2, 1, 4}), torch.zeros(new long[] {2, 2, 1, 4}));
            assertArrayEquals(Tensors.toFloats(allK.index_select(0, rows)), Tensors.toFloats(kv[0].narrow(2, 0, 140).contiguous()));
            assertEquals(141, cache.length());
            cache.clear();
            assertEquals(0, cache.length());
        }
    }
}
