package dev.lcm4j.io;

import dev.lcm4j.LcmException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads and writes PyTorch checkpoint files ({@code torch.save}'s zip format, torch >= 1.6) without libtorch.
 *
 * <p>libtorch's own unpickler (reachable through bytedeco) rejects {@code collections.OrderedDict}, which every
 * {@code state_dict()} is, and its pickler tags dicts in a way {@code weights_only=True} loading refuses; hence this
 * small pure-Java implementation. See {@link Unpickler} for how Python values map to Java and
 * {@link StoredTensor} for tensors. Storages of a file read are memory-mapped, read-only, and stay valid after
 * the read returns.
 */
public final class TorchFile {
    /** The pickle header of pre-1.6 (non-zip) torch files: PROTO 2, then LONG1 of torch's magic number. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc,
            (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};
    private static final String WRITE_PREFIX = "archive/";

    private TorchFile() {
    }

    /**
     * Reads the object tree of a {@code torch.save} file: maps, lists, {@link Tuple}s, scalars and
     * {@link StoredTensor}s (tensors that share a storage share its ByteBuffer).
     *
     * @throws LcmException if the file is missing, not a zip-format torch file, truncated or corrupt
     */
    public static Object read(Path file) {
        if (!Files.isRegularFile(file)) throw new LcmException(file + ": no such file");
        checkNotLegacy(file);
        try (ZipArchive zip = new ZipArchive(file)) {
            String prefix = archivePrefix(zip, file);
            ZipArchive.Entry byteorder = zip.entries().get(prefix + "byteorder");
            if (byteorder != null) {
                String order = StandardCharsets.US_ASCII.decode(zip.read(byteorder)).toString().trim();
                if (!order.equals("little"))
                    throw notCheckpoint(file, "storages are " + order + "-endian; only little-endian is supported");
            }
            ByteBuffer pkl = zip.read(zip.entries().get(prefix + "data.pkl"));
            byte[] pickle = new byte[pkl.remaining()];
            pkl.get(pickle);
            Map<String, StoredTensor> storages = new HashMap<>();
            return new Unpickler(pickle, id -> loadStorage(zip, prefix, id, storages, file)).load();
        } catch (ZipArchive.ZipFormatException | Unpickler.PickleException e) {
            throw notCheckpoint(file, e.getMessage());
        } catch (NoSuchFileException e) {
            throw new LcmException(file + ": no such file");
        } catch (IOException e) {
            throw new LcmException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a file whose top level is a dict, such as a state dict or {@code {"model": state_dict, ...}}.
     *
     * @throws LcmException as {@link #read}, or if the top level is not a dict
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readMap(Path file) {
        Object root = read(file);
        if (root instanceof Map<?, ?> map) return (Map<String, Object>) map;
        throw new LcmException(file + ": expected a dict at the top level of the checkpoint, found "
                + (root == null ? "None" : root.getClass().getSimpleName()));
    }

    /**
     * Writes {@code tree} as {@code torch.save} would, loadable by {@code torch.load} with and without
     * {@code weights_only=True}: {@link OrderedDict} becomes {@code collections.OrderedDict}, other maps plain
     * dicts, {@link Tuple} a tuple, other lists lists; tensors are stored whole storage by storage, each record
     * 64-byte aligned. The file is written to a temporary sibling and renamed into place.
     *
     * @throws IllegalArgumentException if the tree holds a value of a type that cannot be written
     */
    public static void write(Path file, Object tree) {
        write(file, tree, ZipWriter.ZIP32_LIMIT);
    }

    /** As {@link #write(Path, Object)}; tests lower {@code zip64Threshold} to exercise Zip64 records. */
    static void write(Path file, Object tree, long zip64Threshold) {
        Pickler pickler = new Pickler();
        byte[] pickle = pickler.pickle(tree);
        AtomicFiles.write(file, out -> {
            ZipWriter zip = new ZipWriter(out, zip64Threshold);
            zip.add(WRITE_PREFIX + "data.pkl", pickle);
            zip.add(WRITE_PREFIX + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (var e : pickler.storages().entrySet())
                zip.add(WRITE_PREFIX + "data/" + e.getKey(), e.getValue().storage());
            zip.add(WRITE_PREFIX + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            zip.finish();
        });
    }

    /** The folder holding {@code data.pkl}: {@code archive/} for torch 2.x, the file stem for older torch. */
    private static String archivePrefix(ZipArchive zip, Path file) {
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) return name.substring(0, slash + 1);
        }
        throw notCheckpoint(file, "the zip has no <folder>/data.pkl record");
    }

    private static StoredTensor loadStorage(ZipArchive zip, String prefix, Tuple id,
                                            Map<String, StoredTensor> cache, Path file) {
        if (id.size() < 5 || !"storage".equals(id.get(0)))
            throw new Unpickler.PickleException("unknown persistent id " + id);
        String key = String.valueOf(id.get(2));
        StoredTensor cached = cache.get(key);
        if (cached != null) return cached;
        DType dtype = storageDType(id.get(1));
        long numel = ((Number) id.get(4)).longValue();
        ZipArchive.Entry entry = zip.entries().get(prefix + "data/" + key);
        if (entry == null) throw new Unpickler.PickleException("storage record data/" + key + " is missing");
        try {
            ByteBuffer data = zip.read(entry);
            long bytes = numel * dtype.byteSize();
            if (data.limit() < bytes)
                throw new Unpickler.PickleException("storage data/" + key + " has " + data.limit() + " bytes, "
                        + numel + " " + dtype.torchName() + " elements need " + bytes);
            ByteBuffer storage = data.position(0).limit((int) bytes).slice().asReadOnlyBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN);
            StoredTensor whole = new StoredTensor(dtype, new long[] {numel}, new long[] {1}, 0, storage);
            cache.put(key, whole);
            return whole;
        } catch (IOException e) {
            throw new Unpickler.PickleException("cannot read storage data/" + key + ": " + e.getMessage());
        }
    }

    /** {@code torch.FloatStorage}-style classes name the dtype; {@code torch.storage.UntypedStorage} holds raw bytes. */
    private static DType storageDType(Object type) {
        if (type instanceof DType d) return d;
        if (type instanceof Unpickler.Global g && g.module().startsWith("torch")) {
            if (g.name().equals("UntypedStorage") || g.name().equals("_UntypedStorage")) return DType.UINT8;
            var dtype = DType.ofStorageClass(g.name());
            if (dtype.isPresent() && g.module().equals("torch")) return dtype.get();
        }
        throw new Unpickler.PickleException("unsupported storage type " + type);
    }

    private static void checkNotLegacy(Path file) {
        byte[] head = new byte[LEGACY_MAGIC.length];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new LcmException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (n == head.length && Arrays.equals(head, LEGACY_MAGIC))
            throw new LcmException(file + " is a legacy (pre-1.6, non-zip) PyTorch checkpoint, which is not"
                    + " supported; re-save it with torch >= 1.6: torch.save(torch.load(f), f)");
        if (n < 4 || head[0] != 'P' || head[1] != 'K')
            throw notCheckpoint(file, n == 0 ? "the file is empty" : "it does not start with a zip header");
    }

    private static LcmException notCheckpoint(Path file, String reason) {
        return new LcmException(file + " is not a PyTorch checkpoint (expected a zip written by torch.save): "
                + reason);
    }
}
