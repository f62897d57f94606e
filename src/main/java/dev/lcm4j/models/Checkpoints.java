package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.DType;
import dev.lcm4j.io.OrderedDict;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.io.TorchFile;
import dev.lcm4j.nn.Module;
import dev.lcm4j.torch.Tensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;

/**
 * Model weights as standard PyTorch files: {@code torch.save({"model": OrderedDict(state_dict)})}, the layout the
 * reference's trainer writes and its loader reads, with the reference's parameter names.
 */
public final class Checkpoints {
    private Checkpoints() {}

    public static void saveModel(Path file, Module model) {
        TorchFile.write(file, Map.of("model", toStored(model.stateDict())));
    }

    public static OrderedDict<String, Object> toStored(Map<String, Tensor> state) {
        OrderedDict<String, Object> od = new OrderedDict<>();
        state.forEach((k, t) -> od.put(k, toStored(t)));
        return od;
    }

    public static StoredTensor toStored(Tensor t) {
        return StoredTensor.ofFloats(Tensors.toFloats(t), Tensors.shape(t));
    }

    public static Tensor toTensor(StoredTensor s) {
        if (s.dtype() == DType.INT64) return Tensors.longs(s.toLongArray(), s.shape());
        return Tensors.floats(s.toFloatArray(), s.shape());
    }

    /**
     * Reads the state dict of a checkpoint: {@code {"model": state_dict}} (reference/fairseq2 layout) or a bare state
     * dict; a DDP {@code module.} prefix is stripped as the reference's {@code convert_lcm_checkpoint} does.
     */
    public static Map<String, StoredTensor> readState(Path file) {
        Map<String, Object> top = TorchFile.readMap(file);
        Object inner = top.containsKey("model") && top.get("model") instanceof Map<?, ?> ? top.get("model") : top;
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) inner).entrySet()) {
            String k = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof StoredTensor st)) continue; // metadata entries
            out.put(k.startsWith("module.") ? k.substring(7) : k, st);
        }
        if (out.isEmpty()) throw new LcmException(file + " holds no tensors; expected {\"model\": state_dict} as torch.save writes it");
        return out;
    }

    /** Loads a checkpoint into {@code model} (strict, but for normalizer buffers: see Module#loadStateDict). */
    public static void load(Path file, Module model) {
        load(file, model, UnaryOperator.identity());
    }

    /** Loads a state dict read before (e.g. to look at it first) into {@code model}; {@code source} names it in errors. */
    public static void load(Map<String, StoredTensor> state, Module model, String source) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        state.forEach((k, v) -> tensors.put(k, toTensor(v)));
        model.loadStateDict(tensors, false, source);
    }

    /** {@link #load(Path, Module)} with the state dict's keys mapped to the model's names first (a family's mapping). */
    public static void load(Path file, Module model, UnaryOperator<Map<String, StoredTensor>> keyMapping) {
        load(keyMapping.apply(readState(file)), model, "checkpoint " + file);
    }
}
