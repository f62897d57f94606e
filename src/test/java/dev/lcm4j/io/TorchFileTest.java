package dev.lcm4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.testing.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reads files written by torch.save (expected values are the closed forms in fixtures/python/make_io_fixtures.py). */
class TorchFileTest {
    @TempDir
    Path tmp;

    private static float[] range(int n, java.util.function.IntToDoubleFunction f) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) f.applyAsDouble(i);
        return out;
    }

    private static StoredTensor tensor(Map<?, ?> m, String key) {
        return assertInstanceOf(StoredTensor.class, m.get(key), key);
    }

    @Test
    void readsOrderedDictStateDictWithEveryDType() {
        Object root = TorchFile.read(Fixtures.file("io", "state_dict.pt"));
        OrderedDict<?, ?> sd = assertInstanceOf(OrderedDict.class, root);
        assertEquals(List.of("w32", "w32_t", "bf16", "f16", "f64", "i64", "i32", "i8", "u8", "mask", "scalar",
                "param"), new ArrayList<>(sd.keySet()));
        assertTrue(sd.attributes().containsKey("_metadata"), "BUILD state of the OrderedDict is kept");

        StoredTensor w = tensor(sd, "w32");
        assertEquals(DType.FLOAT32, w.dtype());
        assertArrayEquals(new long[] {3, 4}, w.shape());
        assertTrue(w.isContiguous());
        assertArrayEquals(range(12, i -> i), w.toFloatArray());

        StoredTensor wt = tensor(sd, "w32_t"); // w32.t(): element (i, j) = w32[j][i] = 4j + i
        assertArrayEquals(new long[] {4, 3}, wt.shape());
        assertArrayEquals(new long[] {1, 4}, wt.stride());
        assertFalse(wt.isContiguous());
        assertSame(w.storage(), wt.storage(), "views of one storage share its buffer");
        assertArrayEquals(range(12, k -> 4 * (k % 3) + k / 3), wt.toFloatArray());

        assertEquals(DType.BFLOAT16, tensor(sd, "bf16").dtype());
        assertArrayEquals(range(8, i -> i * 0.5 - 1), tensor(sd, "bf16").toFloatArray());
        assertEquals(DType.FLOAT16, tensor(sd, "f16").dtype());
        assertArrayEquals(range(6, i -> (i - 3) / 4.0), tensor(sd, "f16").toFloatArray());
        assertEquals(DType.FLOAT64, tensor(sd, "f64").dtype());
        assertArrayEquals(range(4, i -> i / 3.0), tensor(sd, "f64").toFloatArray());
        assertArrayEquals(new long[] {1L << 40, (1L << 40) - 3, (1L << 40) - 6, (1L << 40) - 9, (1L << 40) - 12},
                tensor(sd, "i64").toLongArray());
        assertArrayEquals(new long[] {-2, -1, 0, 1}, tensor(sd, "i32").toLongArray());
        assertArrayEquals(new long[] {-128, -1, 0, 127}, tensor(sd, "i8").toLongArray());
        assertArrayEquals(new long[] {0, 1, 200, 255}, tensor(sd, "u8").toLongArray());
        assertEquals(DType.BOOL, tensor(sd, "mask").dtype());
        assertArrayEquals(new boolean[] {true, false, true}, tensor(sd, "mask").toBooleanArray());

        StoredTensor scalar = tensor(sd, "scalar");
        assertArrayEquals(new long[0], scalar.shape());
        assertEquals(1, scalar.numel());
        assertArrayEquals(new float[] {2.5f}, scalar.toFloatArray());
        StoredTensor param = tensor(sd, "param"); // nn.Parameter via _rebuild_parameter
        assertArrayEquals(new long[] {2, 2}, param.shape());
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, param.toFloatArray());
    }

    @Test
    void readsNormalizerWithStridedCenterAndStemPrefix() {
        Map<String, Object> root = TorchFile.readMap(Fixtures.file("io", "c4_250char_normalizer.pt"));
        Map<?, ?> model = assertInstanceOf(OrderedDict.class, root.get("model"));
        StoredTensor center = tensor(model, "center");
        assertArrayEquals(new long[] {1024}, center.shape());
        assertArrayEquals(new long[] {3}, center.stride());
        assertEquals(1, center.storageOffset());
        assertEquals(3072 * 4, center.storage().limit(), "the whole 3072-float storage is kept");
        assertArrayEquals(range(1024, i -> 3 * i + 1), center.toFloatArray());
        assertArrayEquals(range(1024, i -> i + 1), tensor(model, "scale").toFloatArray());
        assertEquals(List.of(Tuple.of("ds_a", 4L), Tuple.of("ds_b", 1L)), root.get("dataset_mixture"));
        assertInstanceOf(Tuple.class, ((List<?>) root.get("dataset_mixture")).get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nested.pt", "nested_p4.pt", "nested_p5.pt"})
    void readsNestedPythonValues(String name) {
        Map<?, ?> m = TorchFile.readMap(Fixtures.file("io", name));
        assertEquals("h\u00e9llo \u2713", m.get("s"));
        assertEquals(1.5, m.get("f"));
        assertEquals(-0.125, m.get("neg"));
        assertTrue(m.containsKey("none"));
        assertNull(m.get("none"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(List.of(0L, 255L, 256L, 65535L, 65536L, -1L, (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE,
                1L << 40, Long.MIN_VALUE), m.get("ints"));
        assertEquals(Tuple.of(1L, "a", Tuple.of(2.5)), m.get("tuple"));
        assertInstanceOf(Tuple.class, ((List<?>) m.get("tuple")).get(2));
        assertEquals(List.of(), m.get("empty_list"));
        assertInstanceOf(ArrayList.class, m.get("empty_list"));
        assertEquals(Tuple.of(), m.get("empty_tuple"));
        assertEquals(Map.of(), m.get("empty_dict"));
        assertEquals(java.util.Arrays.asList(true, false, null),
                ((Map<?, ?>) ((Map<?, ?>) m.get("nested")).get("x")).get("y"));
        List<Long> longList = new ArrayList<>();
        for (long i = 0; i < 1500; i++) longList.add(i);
        assertEquals(longList, m.get("long_list"));
        assertEquals("int key", m.get(7L));
        PyObject frac = assertInstanceOf(PyObject.class, m.get("frac"));
        assertEquals("fractions.Fraction", frac.className());
        assertEquals(List.of(1L, 3L), frac.args()); // Fraction.__reduce__ gives (cls, (numerator, denominator))
        List<?> shared = (List<?>) m.get("shared");
        StoredTensor a = (StoredTensor) shared.get(0), b = (StoredTensor) shared.get(1);
        assertSame(a.storage(), b.storage());
        assertArrayEquals(new float[] {0, 1, 2}, a.toFloatArray());
    }

    @Test
    void readsBareUntypedStorageAsBytes() {
        StoredTensor raw = tensor(TorchFile.readMap(Fixtures.file("io", "untyped.pt")), "raw");
        assertEquals(DType.UINT8, raw.dtype());
        assertArrayEquals(new long[] {0, 0, 1, 0, 2, 0, 3, 0}, raw.toLongArray()); // int16 0..3, little-endian
    }

    @Test
    void legacyFormatGetsAResaveHint() {
        Path legacy = Fixtures.file("io", "legacy.pt");
        LcmException e = assertThrows(LcmException.class, () -> TorchFile.read(legacy));
        assertTrue(e.getMessage().contains(legacy.toString()) && e.getMessage().contains("legacy")
                && e.getMessage().contains("re-save"), e.getMessage());
    }

    @Test
    void badInputsFailWithOneLineNamingTheFile() throws IOException {
        Path random = tmp.resolve("random.pt");
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        Files.write(random, noise);
        assertNotCheckpoint(random);

        Path randomZipMagic = tmp.resolve("pk.pt");
        noise[0] = 'P';
        noise[1] = 'K';
        Files.write(randomZipMagic, noise);
        assertNotCheckpoint(randomZipMagic);

        byte[] good = Files.readAllBytes(Fixtures.file("io", "state_dict.pt"));
        Path truncated = tmp.resolve("truncated.pt");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        assertNotCheckpoint(truncated);
        Path cutTail = tmp.resolve("cut_tail.pt"); // end record present in part: still a clean error
        Files.write(cutTail, java.util.Arrays.copyOf(good, good.length - 10));
        assertNotCheckpoint(cutTail);

        Path empty = tmp.resolve("empty.pt");
        Files.write(empty, new byte[0]);
        assertNotCheckpoint(empty);

        Path otherZip = tmp.resolve("other.zip");
        try (OutputStream os = Files.newOutputStream(otherZip); ZipOutputStream z = new ZipOutputStream(os)) {
            z.putNextEntry(new ZipEntry("readme.txt"));
            z.write("hello".getBytes());
            z.closeEntry();
        }
        assertNotCheckpoint(otherZip);

        Path missing = tmp.resolve("missing.pt");
        LcmException e = assertThrows(LcmException.class, () -> TorchFile.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"));
    }

    private static void assertNotCheckpoint(Path file) {
        LcmException e = assertThrows(LcmException.class, () -> TorchFile.read(file));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file + " is not a PyTorch checkpoint (expected a zip written by torch.save): "),
                msg);
        assertFalse(msg.contains("\n"), msg);
    }

    /** A tree covering every writable type; tensors `w` and `w_col` share one storage. */
    static Map<String, Object> sampleTree() {
        OrderedDict<String, Object> sd = new OrderedDict<>();
        StoredTensor w = StoredTensor.ofFloats(range(12, i -> i - 5.5), 3, 4);
        sd.put("w", w);
        sd.put("w_col", new StoredTensor(DType.FLOAT32, new long[] {3}, new long[] {4}, 1, w.storage())); // w[:,1]
        sd.put("bf", StoredTensor.ofBFloat16(new short[] {(short) 0x3f80, (short) 0xc040, 0x4120}, 3)); // 1,-3,10
        sd.put("ids", StoredTensor.ofLongs(new long[] {-1, 0, 1L << 40}, 3));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", sd);
        root.put("name", "h\u00e9llo");
        root.put("step", 123456789012L);
        root.put("small", 7);
        root.put("lr", 2.5e-4);
        root.put("flags", java.util.Arrays.asList(true, false, null));
        root.put("pair", Tuple.of("a", 1L));
        root.put("big", new BigInteger("123456789012345678901234567890"));
        root.put("neg", -70000L);
        root.put("empty", Map.of());
        return root;
    }

    @Test
    void pureJavaRoundTrip() {
        Path file = tmp.resolve("out.pt");
        TorchFile.write(file, sampleTree());
        assertRoundTrip(TorchFile.readMap(file));
        Path zip64 = tmp.resolve("zip64.pt");
        TorchFile.write(zip64, sampleTree(), 0); // every offset through Zip64 records
        assertRoundTrip(TorchFile.readMap(zip64));
    }

    private static void assertRoundTrip(Map<String, Object> back) {
        OrderedDict<?, ?> sd = assertInstanceOf(OrderedDict.class, back.get("model"));
        assertEquals(List.of("w", "w_col", "bf", "ids"), new ArrayList<>(sd.keySet()));
        assertArrayEquals(range(12, i -> i - 5.5), tensor(sd, "w").toFloatArray());
        StoredTensor col = tensor(sd, "w_col");
        assertSame(tensor(sd, "w").storage(), col.storage());
        assertArrayEquals(new long[] {4}, col.stride());
        assertArrayEquals(new float[] {-4.5f, -0.5f, 3.5f}, col.toFloatArray());
        assertArrayEquals(new float[] {1f, -3f, 10f}, tensor(sd, "bf").toFloatArray());
        assertArrayEquals(new long[] {-1, 0, 1L << 40}, tensor(sd, "ids").toLongArray());
        assertEquals("h\u00e9llo", back.get("name"));
        assertEquals(123456789012L, back.get("step"));
        assertEquals(7L, back.get("small"));
        assertEquals(2.5e-4, back.get("lr"));
        assertEquals(java.util.Arrays.asList(true, false, null), back.get("flags"));
        assertEquals(Tuple.of("a", 1L), back.get("pair"));
        assertEquals(new BigInteger("123456789012345678901234567890"), back.get("big"));
        assertEquals(-70000L, back.get("neg"));
        assertEquals(Map.of(), back.get("empty"));
        assertFalse(back instanceof OrderedDict, "plain maps are written as dicts");
    }

    @Test
    void rewritingATorchFileKeepsEveryTensor() {
        Path copy = tmp.resolve("copy.pt");
        TorchFile.write(copy, TorchFile.read(Fixtures.file("io", "state_dict.pt")));
        Map<?, ?> sd = assertInstanceOf(OrderedDict.class, TorchFile.read(copy));
        assertSame(tensor(sd, "w32").storage(), tensor(sd, "w32_t").storage());
        assertArrayEquals(range(12, k -> 4 * (k % 3) + k / 3), tensor(sd, "w32_t").toFloatArray());
        assertArrayEquals(range(6, i -> (i - 3) / 4.0), tensor(sd, "f16").toFloatArray());
        assertArrayEquals(new boolean[] {true, false, true}, tensor(sd, "mask").toBooleanArray());

        Path normalizer = tmp.resolve("normalizer.pt");
        TorchFile.write(normalizer, TorchFile.read(Fixtures.file("io", "c4_250char_normalizer.pt")));
        StoredTensor center = tensor((Map<?, ?>) TorchFile.readMap(normalizer).get("model"), "center");
        assertEquals(1, center.storageOffset());
        assertArrayEquals(range(1024, i -> 3 * i + 1), center.toFloatArray());
    }

    @Tag("slow")
    @Test
    void pythonSeesRewrittenFixturesAsTheOriginals() {
        Fixtures.assumePythonModule("torch");
        Path sd = tmp.resolve("state_dict.pt"), norm = tmp.resolve("normalizer.pt");
        TorchFile.write(sd, TorchFile.read(Fixtures.file("io", "state_dict.pt")));
        TorchFile.write(norm, TorchFile.read(Fixtures.file("io", "c4_250char_normalizer.pt")));
        Fixtures.Result r = Fixtures.python(String.join("\n",
                "import sys, inspect, torch",
                "wo = {'weights_only': True} if 'weights_only' in inspect.signature(torch.load).parameters else {}",
                "a, b = torch.load(sys.argv[1]), torch.load(sys.argv[2], **wo)",
                "assert list(a) == list(b)",
                "for k in a:",
                "    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k",
                "    assert a[k].stride() == b[k].stride() and torch.equal(a[k], b[k]), k",
                "c, d = torch.load(sys.argv[3]), torch.load(sys.argv[4])",
                "assert torch.equal(c['model']['center'], d['model']['center'])",
                "assert d['model']['center'].stride() == (3,) and d['model']['center'].storage_offset() == 1",
                "assert c['dataset_mixture'] == d['dataset_mixture'] == [('ds_a', 4), ('ds_b', 1)]",
                "print('OK')"),
                Fixtures.file("io", "state_dict.pt").toString(), sd.toString(),
                Fixtures.file("io", "c4_250char_normalizer.pt").toString(), norm.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("OK"), r.output());
    }

    @Test
    void unsupportedValueTypeIsRejected(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchFile.write(dir.resolve("x.pt"), Map.of("k", new Object())));
        assertTrue(e.getMessage().contains("'/k'"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.pt")));
    }

    private static final String PY_CHECK = String.join("\n",
            "import sys, collections, inspect, struct, zipfile, torch",
            "path, float_free = sys.argv[1], sys.argv[2]",
            "def check(obj, floats=True):",
            "    sd = obj['model']",
            "    assert type(sd) is collections.OrderedDict, type(sd)",
            "    assert list(sd) == ['w', 'w_col', 'bf', 'ids'], list(sd)",
            "    w = sd['w']",
            "    assert w.dtype == torch.float32 and w.shape == (3, 4)",
            "    assert torch.equal(w, (torch.arange(12, dtype=torch.float32) - 5.5).view(3, 4))",
            "    assert torch.equal(sd['w_col'], w[:, 1]) and sd['w_col'].stride() == (4,)",
            "    assert sd['w_col'].storage_offset() == 1",
            "    assert sd['w_col'].storage().data_ptr() == w.storage().data_ptr(), 'storage not shared'",
            "    assert sd['bf'].dtype == torch.bfloat16 and sd['bf'].float().tolist() == [1.0, -3.0, 10.0]",
            "    assert sd['ids'].dtype == torch.int64 and sd['ids'].tolist() == [-1, 0, 2 ** 40]",
            "    assert type(obj) is dict, type(obj)",
            "    assert obj['name'] == 'h\\u00e9llo' and obj['step'] == 123456789012 and obj['small'] == 7",
            "    assert obj.get('lr') == (2.5e-4 if floats else None)",
            "    assert obj['flags'] == [True, False, None] and obj['pair'] == ('a', 1)",
            "    assert obj['big'] == 123456789012345678901234567890 and obj['neg'] == -70000",
            "    assert obj['empty'] == {}",
            "check(torch.load(path))",
            "if 'weights_only' in inspect.signature(torch.load).parameters:",
            "    import torch._weights_only_unpickler as wou",
            "    # torch 1.13's weights-only unpickler lacks BINFLOAT (so torch.save'd floats fail there too);",
            "    # torch >= 2.0 has it. Check the float-free twin where it is missing.",
            "    if 'BINFLOAT' in inspect.getsource(wou):",
            "        check(torch.load(path, weights_only=True))",
            "    else:",
            "        check(torch.load(float_free, weights_only=True), floats=False)",
            "        print('no BINFLOAT in this weights_only unpickler: checked the float-free file')",
            "    print('weights_only=True OK')",
            "check(torch.load(path, weights_only=False) if 'weights_only' in inspect.signature(torch.load).parameters"
                    + " else torch.load(path))",
            "raw = open(path, 'rb').read()",
            "for info in zipfile.ZipFile(path).infolist():",
            "    h = info.header_offset",
            "    n, x = struct.unpack('<HH', raw[h + 26:h + 30])",
            "    assert (h + 30 + n + x) % 64 == 0, (info.filename, h + 30 + n + x)",
            "    assert raw[h + 30 + n:h + 32 + n] == b'FB', info.filename",
            "names = zipfile.ZipFile(path).namelist()",
            "assert names[0] == 'archive/data.pkl' and 'archive/version' in names, names",
            "assert zipfile.ZipFile(path).read('archive/byteorder') == b'little'",
            "print('OK', torch.__version__)");

    @Tag("slow")
    @Test
    void pythonTorchLoadsWhatJavaWrites() {
        Fixtures.assumePythonModule("torch");
        for (long threshold : new long[] {ZipWriter.ZIP32_LIMIT, 0}) {
            Path file = tmp.resolve("java_" + threshold + ".pt");
            TorchFile.write(file, sampleTree(), threshold);
            Path floatFree = tmp.resolve("java_float_free_" + threshold + ".pt");
            Map<String, Object> tree = sampleTree();
            tree.remove("lr");
            TorchFile.write(floatFree, tree, threshold);
            Fixtures.Result r = Fixtures.python(PY_CHECK, file.toString(), floatFree.toString());
            System.out.println(r.output().strip());
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("weights_only=True OK") && r.output().contains("\nOK "), r.output());
        }
    }
}
