package dev.lcm4j.torch;

import static org.bytedeco.pytorch.global.torch.*;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.FunctionPreHook;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Activation checkpointing of one segment of a network (a transformer layer), as PyTorch's reentrant
 * {@code torch.utils.checkpoint} with {@code preserve_rng_state=True}: the forward runs without building a graph and
 * keeps only the segment's inputs; the backward runs the segment again from those inputs with the graph on and
 * back-propagates through that copy. So a stack of N layers holds N layer inputs instead of every intermediate of
 * every layer, for one more forward pass per layer in the backward.
 *
 * <p>libtorch's C++ API has no checkpoint, and custom autograd Functions (a C++ template) are out of reach from Java.
 * What the bindings do offer is {@link FunctionPreHook}, a Java subclass of which libtorch calls before a graph node
 * runs. The segment's output is put back into the caller's graph as {@code y + anchor}, where {@code y} is the
 * no-graph output and {@code anchor} is an exact zero built as {@code sum_j (x_j - x_j.detach()).sum()} over the
 * inputs {@code x_j} that require a gradient. The graph then reaches every input, and two kinds of hooks give it the
 * right gradients:
 * <ul>
 *   <li>before the node of {@code y + anchor}, which runs first, the hook recomputes the segment from detached copies
 *       of the inputs with the same RNG state and autocast settings, runs backward from it with the incoming gradient
 *       (this accumulates the segment's parameter gradients and gives the inputs' gradients) and keeps those;</li>
 *   <li>before the node of each {@code x_j - x_j.detach()} (it runs later, being upstream), the hook replaces the
 *       gradient that came through the zero by the one kept for {@code x_j}, which then flows on into the caller's
 *       graph.</li>
 * </ul>
 * The values are unchanged ({@code y + 0}) and so is the arithmetic of the backward, so gradients equal the
 * unchecked run's up to the order of floating-point sums over the segments.
 *
 * <p>Under a {@link PointerScope} (the trainer runs each micro-batch in one), the segment's forward and its
 * recomputation run in scopes of their own, so their intermediates are freed at once instead of when the step ends.
 */
public final class ActivationCheckpoint {
    private ActivationCheckpoint() {}

    /** A segment's forward as a function of its inputs (same order as given to {@link #run}). */
    @FunctionalInterface
    public interface Segment {
        Tensor forward(Tensor[] inputs);
    }

    /**
     * The hooks libtorch will call. libtorch holds them through JNI weak references, so Java must hold them until
     * they have run; each removes itself when it has.
     */
    private static final Set<Object> PENDING = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    /** Hooks created and not run yet: 0 after every backward of checkpointed segments (tests check it). */
    public static int pendingHooks() {
        return PENDING.size();
    }

    /**
     * Runs {@code segment} on {@code inputs}, checkpointed when the graph is being built (grad mode on); otherwise it
     * just runs it. Inputs that do not require a gradient (masks, indices, frozen tensors) are passed as they are.
     *
     * @return the segment's output, connected to the inputs' graph
     */
    public static Tensor run(Segment segment, Tensor... inputs) {
        if (!GradMode.is_enabled()) return segment.forward(inputs);
        State state = new State(segment, inputs);
        Tensor anchor = null;
        for (int j = 0; j < inputs.length; j++) {
            if (!state.needsGrad[j]) continue;
            int input = j;
            // the zeros themselves are not needed once summed (their node saves nothing): only the scalar stays
            Tensor zero = inInnerScope(() -> {
                Tensor term = inputs[input].sub(state.detached[input]);         // exact zeros, shape of x_j
                InputGradient hook = new InputGradient(state, input);
                PENDING.add(hook);
                term.grad_fn().add_pre_hook(hook);
                return term.sum();
            });
            anchor = anchor == null ? zero : anchor.add(zero);
        }
        if (anchor == null) {
            // no input carries a gradient (say a frozen frontend): a leaf of its own still makes the backward reach
            // the segment, whose parameters may need gradients
            Tensor leaf = zeros(new long[0], Tensors.opts(ScalarType.Float, state.device == null ? null : state.device))
                    .set_requires_grad(true);
            anchor = leaf.sub(leaf.detach());
        }
        Tensor zero = anchor;
        Tensor out = inInnerScope(() -> {
            Tensor y;
            try (NoGradGuard g = new NoGradGuard()) {
                y = segment.forward(state.detached);
            }
            return y.add(zero);                                                  // y, now in the graph
        });
        Recompute hook = new Recompute(state);
        PENDING.add(hook);
        out.grad_fn().add_pre_hook(hook);
        return out;
    }

    /** What the recomputation needs: the inputs (detached), RNG states and autocast settings of the first forward. */
    private static final class State {
        final Segment segment;
        final Tensor[] detached;
        final boolean[] needsGrad;
        final Tensor cpuRng;
        final Device device;          // a non-CPU device of the inputs, whose generator is also restored, or null
        final Tensor deviceRng;
        final Autocasts autocast = Autocasts.current();
        final Tensor[] inputGrads;

        State(Segment segment, Tensor[] inputs) {
            this.segment = segment;
            detached = new Tensor[inputs.length];
            needsGrad = new boolean[inputs.length];
            Device dev = null;
            for (int j = 0; j < inputs.length; j++) {
                detached[j] = inputs[j] == null ? null : inputs[j].detach();
                needsGrad[j] = inputs[j] != null && inputs[j].requires_grad();
                if (inputs[j] != null && !inputs[j].is_cpu() && dev == null) dev = inputs[j].device();
            }
            device = dev;
            cpuRng = getDefaultCPUGenerator().get_state();
            deviceRng = device == null ? null : globalContext().defaultGenerator(device).get_state();
            inputGrads = new Tensor[inputs.length];
        }

        /** Runs the segment again with the graph on and back-propagates {@code grad} through it. */
        void backward(Tensor grad) {
            Generator cpu = getDefaultCPUGenerator();
            Generator dev = device == null ? null : globalContext().defaultGenerator(device);
            Tensor cpuNow = cpu.get_state();
            Tensor devNow = dev == null ? null : dev.get_state();
            Autocasts autocastNow = Autocasts.current();
            boolean gradNow = GradMode.is_enabled();
            try {
                cpu.set_state(cpuRng);
                if (dev != null) dev.set_state(deviceRng);
                autocast.apply();
                GradMode.set_enabled(true);
                inInnerScope(() -> {
                    Tensor[] leaves = new Tensor[detached.length];
                    for (int j = 0; j < leaves.length; j++) {
                        leaves[j] = detached[j] == null ? null
                                : needsGrad[j] ? detached[j].detach().set_requires_grad(true) : detached[j];
                    }
                    Tensor y = segment.forward(leaves);
                    torch_backward(y, grad);
                    for (int j = 0; j < leaves.length; j++) {
                        if (!needsGrad[j]) continue;
                        Tensor g = leaves[j].grad();                           // a reference into the leaf
                        inputGrads[j] = g.defined() ? new Tensor(g) : zeros_like(detached[j]);
                        inputGrads[j].retainReference();                      // read by InputGradient after this scope
                    }
                    return null;
                });
            } finally {
                GradMode.set_enabled(gradNow);
                autocastNow.apply();
                cpu.set_state(cpuNow);
                if (dev != null) dev.set_state(devNow);
            }
        }
    }

    private static void torch_backward(Tensor y, Tensor grad) {
        backward(new TensorVector(y), new TensorVector(grad), new BoolOptional(false), false, new TensorVector());
    }

    /** Before the output's node: recompute the segment, accumulate its parameter gradients, keep its inputs'. */
    private static final class Recompute extends FunctionPreHook {
        private State state;

        Recompute(State state) {
            this.state = state;
        }

        @Override
        public TensorVector apply(TensorVector grads) {
            try {
                state.backward(grads.get(0));
                return grads;
            } finally {
                state = null;
                PENDING.remove(this);
            }
        }
    }

    /** Before the node of {@code x_j - x_j.detach()}: hand input j the gradient the recomputation gave it. */
    private static final class InputGradient extends FunctionPreHook {
        private State state;
        private final int input;

        InputGradient(State state, int input) {
            this.state = state;
            this.input = input;
        }

        @Override
        public TensorVector apply(TensorVector grads) {
            try {
                Tensor g = state.inputGrads[input];
                if (g == null) throw new IllegalStateException("activation checkpoint: the input gradient was asked for before the segment's recomputation");
                state.inputGrads[input] = null;
                TensorVector out = new TensorVector(g);
                g.releaseReference();
                return out;
            } finally {
                state = null;
                PENDING.remove(this);
            }
        }
    }

    /** CPU and CUDA autocast settings (libtorch keeps them per thread; the backward may run on another thread). */
    private record Autocasts(boolean cpu, ScalarType cpuDtype, boolean cuda, ScalarType cudaDtype, boolean cache) {
        static Autocasts current() {
            return new Autocasts(is_autocast_enabled(DeviceType.CPU), get_autocast_dtype(DeviceType.CPU),
                    is_autocast_enabled(DeviceType.CUDA), get_autocast_dtype(DeviceType.CUDA), is_autocast_cache_enabled());
        }

        void apply() {
            set_autocast_cache_enabled(cache);
            set_autocast_dtype(DeviceType.CPU, cpuDtype);
            set_autocast_enabled(DeviceType.CPU, cpu);
            set_autocast_dtype(DeviceType.CUDA, cudaDtype);
            set_autocast_enabled(DeviceType.CUDA, cuda);
        }
    }

    /**
     * Runs {@code body} in a scope of its own when the caller has one, and moves its result to the caller's scope:
     * everything else it allocated is freed on return.
     */
    private static <T extends Pointer> T inInnerScope(java.util.function.Supplier<T> body) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer == null) return body.get();
        T result;
        try (PointerScope inner = new PointerScope()) {
            result = body.get();
            if (result != null) result.retainReference();
        }
        if (result != null) {
            outer.attach(result);
            result.releaseReference();
        }
        return result;
    }
}
