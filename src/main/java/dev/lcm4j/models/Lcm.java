package dev.lcm4j.models;

import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.Module;
import dev.lcm4j.torch.Devices;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/** What the trainer, generator and CLI need from any LCM family: its concept dimension, normalizer and config. */
public abstract class Lcm extends Module {
    /** The model family, as model cards name it ({@code base_lcm}, {@code two_tower_diffusion_lcm}). */
    public abstract String family();

    /** The model's config record (its YAML keys are the reference's). */
    public abstract Record configRecord();

    /** Dimension of the concepts the model reads and writes. */
    public abstract int sonarEmbedDim();

    /** Dimension of the model's predictions (the concept dimension unless a family projects elsewhere). */
    public int outputDim() {
        return sonarEmbedDim();
    }

    /** The normalizer, or null when the model has none. */
    public abstract SonarNormalizer normalizer();

    /**
     * The device the model's parameters and buffers live on (its {@code ParamFactory}'s): where every tensor of a
     * forward pass is created and where batches go ({@link #onDevice}). The CPU for a model without tensors.
     */
    public Device device() {
        Device d = device;
        if (d == null) {
            String name = "cpu";
            for (Tensor t : stateDict().values()) { name = Devices.describe(t.device()); break; }
            d = new Device(name);
            d.retainReference(); // outlives the PointerScope of the step that first asks
            device = d;          // models never move after they are built
        }
        return d;
    }

    private volatile Device device;

    /** {@code t} moved to the model's device (itself when already there): the one way batches reach a model. */
    public Tensor onDevice(Tensor t) {
        return Devices.to(t, device());
    }
}
