package dev.lcm4j.nn;

import dev.lcm4j.torch.Tensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;
import java.util.Arrays;

/**
 * A tree of named parameters, buffers and sub-modules, like {@code torch.nn.Module}: the dotted names it produces
 * are the reference's state-dict keys, so checkpoints move both ways between lcm4j and PyTorch.
 *
 * <p>Tensors registered here are owned by the module for its whole life: build modules outside any
 * {@code PointerScope}, and run forward passes inside one so that intermediates are freed per step.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    protected boolean training = true;
    /** Set by {@link #checkpointActivations}: layer stacks then checkpoint each layer while training. */
    protected boolean checkpointActivations;

    protected final Tensor registerParameter(String name, Tensor t) {
        t.set_requires_grad(true);
        t.retainReference();
        parameters.put(name, t);
        return t;
    }

    protected final Tensor registerBuffer(String name, Tensor t) {
        t.retainReference();
        buffers.put(name, t);
        return t;
    }

    protected final <M extends Module> M registerModule(String name, M m) {
        if (m != null) children.put(name, m);
        return m;
    }

    /** All parameters with dotted names, in registration order (as {@code named_parameters()}). */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false);
        return out;
    }

    /** Parameters and persistent buffers with dotted names (as {@code state_dict()}). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withBuffers) {
        parameters.forEach((k, v) -> out.put(prefix + k, v));
        if (withBuffers) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, withBuffers));
    }

    public final List<Tensor> parameterList() {
        return new ArrayList<>(namedParameters().values());
    }

    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    public final void train(boolean on) {
        training = on;
        children.values().forEach(m -> m.train(on));
    }

    public final boolean isTraining() {
        return training;
    }

    /**
     * Turns layer-wise activation checkpointing on or off here and in every sub-module (the recipe key
     * {@code trainer.activation_checkpointing}). A layer stack that supports it ({@link #supportsActivationCheckpointing})
     * then keeps only each layer's input while training and runs the layer again in the backward pass.
     *
     * @return how many layer stacks of this tree checkpoint their layers (0: the setting has nothing to act on)
     */
    public final int checkpointActivations(boolean on) {
        checkpointActivations = on && supportsActivationCheckpointing();
        int stacks = checkpointActivations ? 1 : 0;
        for (Module m : children.values()) stacks += m.checkpointActivations(on);
        return stacks;
    }

    /** Whether this module is a layer stack that checkpoints its layers when asked ({@link #checkpointActivations}). */
    protected boolean supportsActivationCheckpointing() {
        return false;
    }

    /** Whether a forward pass now should checkpoint this stack's layers: asked for, and training. */
    protected final boolean checkpointingLayers() {
        return checkpointActivations && training;
    }

    /**
     * Copies {@code state} into this module's tensors. Every key of the module must be present; keys the module
     * does not have are reported unless {@code allowUnexpected} (checkpoints may carry e.g. normalizer buffers).
     */
    public final void loadStateDict(Map<String, Tensor> state, boolean allowUnexpected, String source) {
        Map<String, Tensor> mine = stateDict();
        List<String> missing = new ArrayList<>();
        for (String k : mine.keySet()) if (!state.containsKey(k) && !optional(k)) missing.add(k);
        List<String> unexpected = new ArrayList<>();
        for (String k : state.keySet()) if (!mine.containsKey(k) && !optional(k)) unexpected.add(k);
        if (!missing.isEmpty() || (!allowUnexpected && !unexpected.isEmpty())) {
            throw new LcmException(source + " does not match the model: missing keys " + abbreviate(missing)
                    + ", unexpected keys " + abbreviate(unexpected)
                    + " (is it a checkpoint of another model family or arch?)");
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : mine.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src == null) continue;
                Tensor dst = e.getValue();
                if (!Arrays.equals(Tensors.shape(src), Tensors.shape(dst))) {
                    throw new LcmException(source + ": tensor " + e.getKey() + " has shape " + Tensors.shapeString(src)
                            + " but the model expects " + Tensors.shapeString(dst) + " (wrong arch or model_config?)");
                }
                dst.copy_(src);
            }
        }
    }

    /**
     * Normalizer buffers may be present or absent on either side: reference checkpoints may or may not carry
     * {@code frontend.sonar_normalizer.*}, and the model gets its normalizer from the normalizer's own card.
     */
    private static boolean optional(String key) {
        return key.contains("sonar_normalizer.");
    }

    private static String abbreviate(List<String> keys) {
        if (keys.size() <= 6) return keys.toString();
        return keys.subList(0, 6) + " and " + (keys.size() - 6) + " more";
    }
}
