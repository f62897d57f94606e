package dev.lcm4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class StoredTensorTest {

    @Test
    void halfPrecisionDecodesPerIeee754() {
        assertEquals(1.0f, StoredTensor.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, StoredTensor.halfToFloat((short) 0xc000));
        assertEquals(65504f, StoredTensor.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, StoredTensor.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, StoredTensor.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(Float.POSITIVE_INFINITY, StoredTensor.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(StoredTensor.halfToFloat((short) 0x7e00)));
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(StoredTensor.halfToFloat((short) 0x8000)));
    }

    @Test
    void stridedViewMaterialisesInCOrder() {
        // storage 0..23; view = [2,3] starting at 5 with strides [8, 2] -> rows 5,7,9 and 13,15,17
        float[] all = new float[24];
        for (int i = 0; i < 24; i++) all[i] = i;
        ByteBuffer storage = StoredTensor.ofFloats(all, 24).storage();
        StoredTensor view = new StoredTensor(DType.FLOAT32, new long[] {2, 3}, new long[] {8, 2}, 5, storage);
        assertFalse(view.isContiguous());
        assertEquals(6, view.numel());
        assertArrayEquals(new float[] {5, 7, 9, 13, 15, 17}, view.toFloatArray());
        StoredTensor tail = new StoredTensor(DType.FLOAT32, new long[] {2, 2}, new long[] {2, 1}, 20, storage);
        assertTrue(tail.isContiguous());
        assertArrayEquals(new float[] {20, 21, 22, 23}, tail.toFloatArray());
    }

    @Test
    void factoriesAndConversions() {
        StoredTensor bf = StoredTensor.ofBFloat16(new short[] {(short) 0x3f80, (short) 0xc040}, 2); // 1.0, -3.0
        assertEquals(DType.BFLOAT16, bf.dtype());
        assertArrayEquals(new float[] {1f, -3f}, bf.toFloatArray());
        StoredTensor l = StoredTensor.ofLongs(new long[] {-5, 1L << 50}, 2, 1);
        assertArrayEquals(new long[] {-5, 1L << 50}, l.toLongArray());
        assertArrayEquals(new long[] {1, 1}, l.stride());
        assertThrows(IllegalStateException.class, bf::toLongArray);
        assertThrows(IllegalArgumentException.class, () -> StoredTensor.ofFloats(new float[3], 2, 2));
    }

    @Test
    void viewPastTheStorageIsRejected() {
        ByteBuffer four = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class,
                () -> new StoredTensor(DType.FLOAT32, new long[] {3}, new long[] {2}, 0, four));
        assertThrows(IllegalArgumentException.class,
                () -> new StoredTensor(DType.FLOAT32, new long[] {2}, new long[] {1}, 3, four));
        // an empty view never reads, whatever its offset within the storage
        assertEquals(0, new StoredTensor(DType.FLOAT32, new long[] {0}, new long[] {1}, 3, four).numel());
    }
}
