package dev.lcm4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads files written by numpy.save (values are the closed forms in fixtures/python/make_io_fixtures.py) and writes them back. */
class NpyTest {
    @TempDir
    Path tmp;

    @Test
    void readsNumpyFixtures() {
        Npy.Array f4 = Npy.read(Fixtures.file("io", "f4.npy"));
        assertEquals(DType.FLOAT32, f4.dtype());
        assertArrayEquals(new long[] {2, 3}, f4.shape());
        assertArrayEquals(new float[] {0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f}, (float[]) f4.data());

        Npy.Array f8 = Npy.read(Fixtures.file("io", "f8.npy"));
        assertArrayEquals(new double[] {0, 1 / 3.0, 2 / 3.0, 1, 4 / 3.0}, (double[]) f8.data());

        Npy.Array i8 = Npy.read(Fixtures.file("io", "i8.npy"));
        assertArrayEquals(new long[] {0, -(1L << 40), -(2L << 40), -(3L << 40)}, (long[]) i8.data());

        Npy.Array i4 = Npy.read(Fixtures.file("io", "i4.npy"));
        assertArrayEquals(new long[] {3, 2}, i4.shape());
        assertArrayEquals(new int[] {-3, -2, -1, 0, 1, 2}, (int[]) i4.data());
        assertArrayEquals(new long[] {-3, -2, -1, 0, 1, 2}, i4.toLongArray());

        assertArrayEquals(new boolean[] {true, false, false, true}, (boolean[]) Npy.read(Fixtures.file("io", "b1.npy")).data());

        Npy.Array scalar = Npy.read(Fixtures.file("io", "scalar.npy"));
        assertArrayEquals(new long[0], scalar.shape());
        assertArrayEquals(new float[] {3.5f}, scalar.toFloatArray());

        assertArrayEquals(new float[] {0, 1, 2}, Npy.read(Fixtures.file("io", "big_endian.npy")).toFloatArray());
        assertArrayEquals(new float[] {-1.5f, -0.5f, 0.5f, 1.5f}, Npy.read(Fixtures.file("io", "f4_v2.npy")).toFloatArray());
    }

    @Test
    void fortranOrderAndBadFilesAreClearErrors() throws IOException {
        Path fortran = Fixtures.file("io", "fortran.npy");
        LcmException e = assertThrows(LcmException.class, () -> Npy.read(fortran));
        assertTrue(e.getMessage().contains(fortran.toString()) && e.getMessage().contains("Fortran order"),
                e.getMessage());

        Path junk = tmp.resolve("junk.npy");
        Files.write(junk, "not numpy at all".getBytes());
        assertThrows(LcmException.class, () -> Npy.read(junk));

        byte[] good = Files.readAllBytes(Fixtures.file("io", "f8.npy"));
        Path truncated = tmp.resolve("truncated.npy");
        Files.write(truncated, Arrays.copyOf(good, good.length - 8));
        LcmException t = assertThrows(LcmException.class, () -> Npy.read(truncated));
        assertTrue(t.getMessage().contains("truncated"), t.getMessage());

        Path missing = tmp.resolve("missing.npy");
        assertTrue(assertThrows(LcmException.class, () -> Npy.read(missing)).getMessage().contains("no such file"));
    }

    @Test
    void writesAlignedHeadersAndRoundTrips() throws IOException {
        Npy.Array[] arrays = {
            Npy.Array.ofFloats(new float[] {1.5f, -2f, 3f, 0f, 7f, -0.25f}, 3, 2),
            Npy.Array.ofDoubles(new double[] {Math.PI, -1e300}, 2),
            Npy.Array.ofLongs(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, 3),
            Npy.Array.ofInts(new int[] {-7, 8}, 1, 2),
            Npy.Array.ofBooleans(new boolean[] {false, true}, 2),
            Npy.Array.ofFloats(new float[] {9f}),
        };
        for (int k = 0; k < arrays.length; k++) {
            Path file = tmp.resolve("a" + k + ".npy");
            Npy.write(file, arrays[k]);
            byte[] raw = Files.readAllBytes(file);
            int headerLen = ByteBuffer.wrap(raw, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
            assertEquals(0, (10 + headerLen) % 64, "data starts 64-byte aligned");
            assertEquals('\n', raw[10 + headerLen - 1]);
            Npy.Array back = Npy.read(file);
            assertEquals(arrays[k].dtype(), back.dtype());
            assertArrayEquals(arrays[k].shape(), back.shape());
            assertTrue(java.util.Objects.deepEquals(arrays[k].data(), back.data()), "values of array " + k);
        }
    }

    @Tag("slow")
    @Test
    void numpyLoadsWhatJavaWrites() {
        Fixtures.assumePythonModule("numpy");
        Path f4 = tmp.resolve("f4.npy"), i8 = tmp.resolve("i8.npy"), b1 = tmp.resolve("b1.npy");
        Npy.write(f4, Npy.Array.ofFloats(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f}, 2, 3));
        Npy.write(i8, Npy.Array.ofLongs(new long[] {-(1L << 40), 5}, 2));
        Npy.write(b1, Npy.Array.ofBooleans(new boolean[] {true, false}, 2));
        Fixtures.Result r = Fixtures.python(String.join("\n",
                "import sys, numpy as np",
                "a, b, c = (np.load(p) for p in sys.argv[1:4])",
                "assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape)",
                "assert (a == np.arange(6, dtype=np.float32).reshape(2, 3) / 2).all(), a",
                "assert b.dtype == np.int64 and b.tolist() == [-(2 ** 40), 5], b",
                "assert c.dtype == np.bool_ and c.tolist() == [True, False], c",
                "print('OK')"), f4.toString(), i8.toString(), b1.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("OK"), r.output());
    }

    /** Arrays larger than one window (2 GiB in use; 100 bytes here) are written and read window by window. */
    @org.junit.jupiter.api.Test
    void arraysSpanningSeveralWindowsRoundTrip() {
        long saved = Npy.windowBytes;
        Npy.windowBytes = 100;
        try {
            float[] f = new float[1003];
            long[] l = new long[77];
            boolean[] b = new boolean[333];
            for (int i = 0; i < f.length; i++) f[i] = i * 0.5f - 7;
            for (int i = 0; i < l.length; i++) l[i] = (long) i * i - 40;
            for (int i = 0; i < b.length; i++) b[i] = i % 3 == 0;
            Npy.write(tmp.resolve("f.npy"), Npy.Array.ofFloats(f, 17, 59));
            Npy.write(tmp.resolve("l.npy"), new Npy.Array(DType.INT64, new long[] {77}, l));
            Npy.write(tmp.resolve("b.npy"), new Npy.Array(DType.BOOL, new long[] {333}, b));
            Npy.windowBytes = 64; // read windows of another size than the written ones
            org.junit.jupiter.api.Assertions.assertArrayEquals(f, Npy.read(tmp.resolve("f.npy")).toFloatArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(l, (long[]) Npy.read(tmp.resolve("l.npy")).data());
            org.junit.jupiter.api.Assertions.assertArrayEquals(b, (boolean[]) Npy.read(tmp.resolve("b.npy")).data());
        } finally {
            Npy.windowBytes = saved;
        }
    }
}
