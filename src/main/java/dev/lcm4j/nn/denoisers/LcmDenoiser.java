package dev.lcm4j.nn.denoisers;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.nn.Projection;
import dev.lcm4j.nn.AdaLnModulator;
import dev.lcm4j.nn.LayerNormStyle;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.Norm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TimestepEncoder;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.torch.ActivationCheckpoint;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import java.util.TreeMap;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * The two-tower model's denoiser (the reference's {@code LCMDenoiser}): it maps noisy concepts x_t to a prediction
 * (x0 by default), conditioned on the diffusion step through AdaLN and on the context encoder's output through
 * cross-attention. No positional encoding: a latent's position only shows through the cross-attention mask.
 * Sub-modules {@code embed_time, initial_proj, final_proj, layers.N, layer_norm}.
 */
public final class LcmDenoiser extends Module {
    private final TimestepEncoder embedTime;
    private final Projection initialProj, finalProj;
    private final DenoiserLayer[] layers;
    private final Norm layerNorm;
    private final double finalDropout;

    public LcmDenoiser(ParamFactory f, long modelDim, long sonarDim, DenoiserConfig c) {
        c.validate("denoiser", (int) modelDim);
        TransformerConfig t = c.transformer();
        this.embedTime = registerModule("embed_time", new TimestepEncoder(f, c.timestep_embed_dim()));
        this.initialProj = registerModule("initial_proj", new Projection(f, sonarDim, modelDim, c.pre_denoiser()));
        this.finalProj = registerModule("final_proj", new Projection(f, modelDim, sonarDim, c.post_denoiser()));
        Stack stack = registerModule("layers", new Stack());
        layers = new DenoiserLayer[t.num_layers()];
        for (int i = 0; i < layers.length; i++) layers[i] = stack.add(String.valueOf(i), new DenoiserLayer(f, modelDim, t));
        boolean noFinalNorm = "post".equals(t.final_norm_order_style());
        this.layerNorm = noFinalNorm ? null : registerModule("layer_norm", new Norm(f, modelDim, LayerNormStyle.parse(t.layer_normalization_style())));
        this.finalDropout = t.final_dropout_p();
    }

    /**
     * @param noisy     [B, S, C] noisy concepts (normalized space)
     * @param timesteps [B, S] integer diffusion steps
     * @param context   [B, L, D] context-encoder output; a zero vector is prepended here (key 0)
     * @param allowed   bool [B or 1, 1, S, L + 1] cross-attention mask over (zero vector, context), or null for all
     * @return [B, S, C] the prediction
     */
    public Tensor forward(Tensor noisy, Tensor timesteps, Tensor context, Tensor allowed) {
        if (checkpointingLayers()) return checkpointedForward(noisy, timesteps, context, allowed);
        return forward(noisy, modulations(timesteps), context, allowed);
    }

    /**
     * The training forward with every layer checkpointed: a layer's inputs are the latents, the timestep embeddings
     * and the conditioning, and its modulations ([B, S, 9D]) and cross-attention keys and values are computed inside
     * it, so they too are recomputed in the backward pass instead of being kept for every layer.
     */
    private Tensor checkpointedForward(Tensor noisy, Tensor timesteps, Tensor context, Tensor allowed) {
        StepEmbedding steps = embedSteps(timesteps, null);
        Tensor cond = cat(new TensorVector(zeroKey(context), context), 1);                 // [B,L+1,D]
        Tensor x = initialProj.forward(noisy);                                              // [B,S,D]
        for (DenoiserLayer layer : layers) {
            x = ActivationCheckpoint.run(in -> layer.forward(in[0], steps.modulations(layer, in[1]),
                    layer.projectConditioning(in[2]), allowed), x, steps.emb(), cond);
        }
        return finish(x);
    }

    /**
     * Every layer's AdaLN modulations of the given timesteps ([B, S] -> per layer 3 x (shift, scale, gate) [B, S, D]).
     * They depend on the timestep only, so a sampler computes them once per scheduled step ([1, 1]) and reuses them
     * for every row and every generated concept.
     */
    public AdaLnModulator.Modulation[][] modulations(Tensor timesteps) {
        return modulations(timesteps, null);
    }

    /**
     * @param gatherDistinct true: modulate each distinct step once and gather; false: every position; null: gather
     *                       when at most 90% of the steps are distinct
     */
    public AdaLnModulator.Modulation[][] modulations(Tensor timesteps, Boolean gatherDistinct) {
        StepEmbedding e = embedSteps(timesteps, gatherDistinct);
        AdaLnModulator.Modulation[][] m = new AdaLnModulator.Modulation[layers.length][];
        for (int i = 0; i < layers.length; i++) m[i] = e.modulations(layers[i], e.emb());
        return m;
    }

    /**
     * Timestep embeddings, from which each layer's modulator makes its modulations.
     *
     * @param emb   [B, S, D] one embedding per position, or [U, D] one per distinct step when {@code rowOf} is set
     * @param rowOf [B * S] long: the row of {@code emb} of each position, or null
     */
    private record StepEmbedding(Tensor emb, Tensor rowOf, long b, long s) {
        /** {@code layer}'s modulations of {@code emb} (this embedding or a detached copy of it). */
        AdaLnModulator.Modulation[] modulations(DenoiserLayer layer, Tensor emb) {
            return rowOf == null ? layer.modulations(emb) : layer.modulations(emb, rowOf, b, s);
        }
    }

    private StepEmbedding embedSteps(Tensor timesteps, Boolean gatherDistinct) {
        long b = timesteps.size(0), s = timesteps.size(1);
        long[] steps = Tensors.toLongs(timesteps.reshape(-1));
        // In training every position has its own step, but there are at most T distinct ones (100 in the published
        // archs for 8 x 128 positions): embed and modulate each distinct step once, then gather. Same values; the
        // gradient sums over positions in another order.
        TreeMap<Long, Integer> distinct = new TreeMap<>();
        for (long t : steps) distinct.putIfAbsent(t, 0);
        boolean gather = gatherDistinct != null ? gatherDistinct : distinct.size() < 0.9 * steps.length;
        if (!gather) return new StepEmbedding(embedTime.forward(timesteps), null, b, s);   // [B,S,D]
        long[] values = new long[distinct.size()];
        int k = 0;
        for (Long t : distinct.keySet()) { distinct.put(t, k); values[k++] = t; }
        long[] rowOf = new long[steps.length];
        for (int i = 0; i < steps.length; i++) rowOf[i] = distinct.get(steps[i]);
        Tensor rows = Tensors.longs(rowOf, rowOf.length).to(timesteps.device(), ScalarType.Long);
        Tensor emb = embedTime.forward(Tensors.longs(values, values.length).to(timesteps.device(), ScalarType.Long)); // [U,D]
        return new StepEmbedding(emb, rows, b, s);
    }

    /** {@link #forward(Tensor, Tensor, Tensor, Tensor)} with precomputed modulations (see {@link #modulations}). */
    public Tensor forward(Tensor noisy, AdaLnModulator.Modulation[][] mods, Tensor context, Tensor allowed) {
        return forward(noisy, mods, prepareContext(context), allowed);
    }

    /**
     * Every layer's cross-attention keys and values of (zero vector, context): [layer][k | v] each [B, H, L+1, hd].
     * A sampler computes them once per sampled concept instead of once per diffusion step.
     */
    public Tensor[][] prepareContext(Tensor context) {
        return projectConditioning(cat(new TensorVector(zeroKey(context), context), 1)); // [B,L+1,D]
    }

    /** The zero vector that {@link #prepareContext} puts before a context [B, L, D]: [B, 1, D]. */
    public static Tensor zeroKey(Tensor context) {
        return zeros(new long[] {context.size(0), 1, context.size(2)}, Tensors.opts(context.scalar_type(), context.device()));
    }

    /**
     * Every layer's cross-attention keys and values of conditioning positions [B, K, D] as they are (no zero vector
     * prepended): [layer][k | v] each [B, H, K, hd]. Each position is projected on its own, so the projections of a
     * growing context can be appended position by position.
     */
    public Tensor[][] projectConditioning(Tensor cond) {
        Tensor[][] kv = new Tensor[layers.length][];
        for (int i = 0; i < layers.length; i++) kv[i] = layers[i].projectConditioning(cond);
        return kv;
    }

    public int numLayers() {
        return layers.length;
    }

    /** The forward with modulations from {@link #modulations} and context from {@link #prepareContext}. */
    public Tensor forward(Tensor noisy, AdaLnModulator.Modulation[][] mods, Tensor[][] preparedContext, Tensor allowed) {
        Tensor x = initialProj.forward(noisy);                                      // [B,S,D]
        for (int i = 0; i < layers.length; i++) x = layers[i].forward(x, mods[i], preparedContext[i], allowed);
        return finish(x);
    }

    /** Final norm, dropout and projection of the last layer's output [B, S, D] -> [B, S, C]. */
    private Tensor finish(Tensor x) {
        if (layerNorm != null) x = layerNorm.forward(x);
        if (training && finalDropout > 0) x = dropout(x, finalDropout, true);
        return finalProj.forward(x);                                                 // [B,S,C]
    }

    @Override
    protected boolean supportsActivationCheckpointing() {
        return true;
    }

    /** A named list of layers (torch.nn.ModuleList). */
    static final class Stack extends Module {
        <M extends Module> M add(String name, M m) {
            return registerModule(name, m);
        }
    }
}
