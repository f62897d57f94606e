package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.nn.Module;
import dev.lcm4j.torch.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import java.util.Arrays;

/**
 * Loads an official fairseq2 SONAR checkpoint ({@code {"model": state_dict}}) strictly into a model, one tensor at a
 * time: the file is memory-mapped and each tensor is converted (fp16/bf16 widen to fp32) and copied into place
 * before the next, so a 3 GB checkpoint never exists twice on the Java heap.
 */
final class SonarWeights {
    private SonarWeights() {
    }

    /**
     * {@code tiedAliases}: checkpoint keys that name another model tensor (the decoder's {@code final_proj.weight},
     * tied to {@code decoder_frontend.embed.weight}). As fairseq2's {@code load_state_dict}, which copies keys in
     * module order into the one shared parameter, the alias is loaded last and wins when the two stored tensors differ.
     */
    static void load(Path file, Module model, Map<String, String> tiedAliases, String card) {
        load(Checkpoints.readState(file), file, model, tiedAliases, card);
    }

    /** {@code state}: fairseq2-named tensors read from {@code file} (named in errors). */
    static void load(Map<String, StoredTensor> state, Path file, Module model, Map<String, String> tiedAliases, String card) {
        Map<String, Tensor> mine = model.stateDict();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>();
        for (String k : mine.keySet()) if (!state.containsKey(k)) missing.add(k);
        for (String k : state.keySet()) if (!mine.containsKey(k) && !tiedAliases.containsKey(k)) unexpected.add(k);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new LcmException("checkpoint " + file + " (card '" + card + "') does not match the SONAR model: missing keys "
                    + head(missing) + ", unexpected keys " + head(unexpected) + " (wrong file, or wrong model_arch/model_config?)");
        }
        try (NoGradGuard g = new NoGradGuard()) {
            List<Map.Entry<String, Tensor>> order = new ArrayList<>(mine.entrySet());
            for (Map.Entry<String, String> a : tiedAliases.entrySet()) {
                if (state.containsKey(a.getKey())) order.add(Map.entry(a.getKey(), mine.get(a.getValue())));
            }
            for (Map.Entry<String, Tensor> e : order) {
                StoredTensor src = state.get(e.getKey());
                Tensor dst = e.getValue();
                if (!Arrays.equals(src.shape(), Tensors.shape(dst))) {
                    throw new LcmException("checkpoint " + file + " (card '" + card + "'): " + e.getKey() + " has shape "
                            + Arrays.toString(src.shape()) + " but the model expects " + Tensors.shapeString(dst)
                            + " (wrong model_arch or model_config, e.g. vocab_info.size?)");
                }
                try (PointerScope s = new PointerScope()) {
                    dst.copy_(Tensors.floats(src.toFloatArray(), src.shape()));
                }
            }
        }
        // Inference only: no autograd bookkeeping on the weights.
        for (Tensor t : mine.values()) t.set_requires_grad(false);
    }

    private static String head(List<String> keys) {
        return keys.size() <= 5 ? keys.toString() : keys.subList(0, 5) + " and " + (keys.size() - 5) + " more";
    }
}
