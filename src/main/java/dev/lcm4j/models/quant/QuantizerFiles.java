package dev.lcm4j.models.quant;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.io.DType;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.io.TorchFile;
import dev.lcm4j.torch.Tensors;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A fitted quantizer on disk: {@code Q.pt}, a standard PyTorch file, and {@code Q.yaml} beside it (docs/rvq.md).
 *
 * <p>{@code Q.pt} is {@code torch.save({"kind": "lcm4j_residual_quantizer", "version": 1, "codebooks": [C_0, ...,
 * C_{M-1}]})} with every {@code C_m} a float32 [K, D] tensor; {@code torch.stack(ck["codebooks"])} is the [M, K, D]
 * tensor. One tensor per codebook keeps every storage under 2 GiB (the paper's 64 x 8192 x 1024 codebooks are 2 GiB
 * together) and lets a reader take the first k codebooks alone. The card is informative: the quantizer is the .pt.
 */
public final class QuantizerFiles {
    public static final String KIND = "lcm4j_residual_quantizer";
    public static final int VERSION = 1;

    private QuantizerFiles() {}

    /** What the card beside the .pt records about a fit. */
    public record FitRecord(String preset, long seed, int iterations, String init, List<String> trainingData,
                            long trainingVectors, long heldoutVectors, List<ResidualQuantizer.ReconstructionError> heldoutErrors) {
    }

    /** The card's path: {@code Q.yaml} beside {@code Q.pt}. */
    public static Path cardOf(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        String stem = name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
        return checkpoint.resolveSibling(stem + ".yaml");
    }

    /** Writes {@code file} (.pt) and its card; each goes through a temporary name, so neither is ever half-written. */
    public static void write(Path file, ResidualQuantizer q, FitRecord fit) {
        List<Object> books = new ArrayList<>();
        for (int m = 0; m < q.numCodebooks(); m++) {
            books.add(StoredTensor.ofFloats(Tensors.toFloats(q.codebook(m)), q.numUnits(), q.dim()));
        }
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("kind", KIND);
        top.put("version", VERSION);
        top.put("codebooks", books);
        TorchFile.write(file, top);
        AtomicFiles.writeString(cardOf(file), card(file, q, fit));
    }

    static String card(Path file, ResidualQuantizer q, FitRecord fit) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", KIND);
        c.put("checkpoint", file.getFileName().toString());
        c.put("dim", q.dim());
        c.put("num_codebooks", q.numCodebooks());
        c.put("num_units", q.numUnits());
        c.put("encoding", "greedy residual (beam 1)");
        if (fit != null) {
            c.put("preset", fit.preset());
            c.put("seed", fit.seed());
            c.put("iterations", fit.iterations());
            c.put("init", fit.init());
            c.put("training_data", fit.trainingData());
            c.put("training_vectors", fit.trainingVectors());
            c.put("heldout_vectors", fit.heldoutVectors());
            List<Object> errors = new ArrayList<>();
            for (ResidualQuantizer.ReconstructionError e : fit.heldoutErrors()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("codebooks", e.codebooks());
                row.put("mean_squared_l2", e.meanSquaredL2());
                row.put("relative", e.relative());
                errors.add(row);
            }
            c.put("heldout_reconstruction_error", errors);
        }
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return "# residual vector quantizer (docs/rvq.md); written by ./lcm rvq fit\n" + new Yaml(o).dump(c);
    }

    /** Reads a quantizer .pt; anything else is one error line naming the file. */
    public static ResidualQuantizer read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new LcmException("quantizer " + file + " does not exist; fit one with ./lcm rvq fit --output " + file);
        }
        Map<String, Object> top;
        try {
            top = TorchFile.readMap(file);
        } catch (LcmException e) {
            throw new LcmException("quantizer " + file + " is not a readable PyTorch file: " + e.getMessage(), e);
        }
        if (!KIND.equals(top.get("kind")) || !(top.get("codebooks") instanceof List<?> books) || books.isEmpty()) {
            throw new LcmException("quantizer " + file + " is not an lcm4j residual quantizer (expected {\"kind\": \"" + KIND
                    + "\", \"codebooks\": [...]}); fit one with ./lcm rvq fit");
        }
        Object version = top.get("version");
        if (!(version instanceof Number v) || v.intValue() != VERSION) {
            throw new LcmException("quantizer " + file + " has format version " + version + "; this lcm4j reads version " + VERSION);
        }
        long k = -1, d = -1;
        Tensor codebooks = null;                                                                   // [M, K, D]
        int m = 0;
        for (Object b : books) {
            if (!(b instanceof StoredTensor t) || t.shape().length != 2 || t.dtype() != DType.FLOAT32) {
                throw new LcmException("quantizer " + file + ": codebook " + m + " is not a float32 [K, D] tensor");
            }
            if (k < 0) {
                k = t.shape()[0];
                d = t.shape()[1];
                codebooks = org.bytedeco.pytorch.global.torch.empty(new long[] {books.size(), k, d},
                        Tensors.opts(org.bytedeco.pytorch.global.torch.ScalarType.Float, null), null);
            } else if (t.shape()[0] != k || t.shape()[1] != d) {
                throw new LcmException("quantizer " + file + ": codebook " + m + " has shape [" + t.shape()[0] + ", " + t.shape()[1]
                        + "], codebook 0 [" + k + ", " + d + "]");
            }
            codebooks.select(0, m).copy_(Tensors.floats(t.toFloatArray(), k, d));
            m++;
        }
        return ResidualQuantizer.sharing(codebooks);
    }
}
