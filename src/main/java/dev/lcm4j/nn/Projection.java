package dev.lcm4j.nn;

import dev.lcm4j.nn.ProjectionConfig;
import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.Linear;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;
import java.util.Set;

/** {@code activation(fc(x))}, the reference's Projection (used as the LCM postnet). */
public final class Projection extends Module {
    private final Linear fc;
    private final String activation;

    public Projection(ParamFactory f, long inDim, long outDim, ProjectionConfig c) {
        if (c.weight_normalization()) throw new LcmException("postnet.weight_normalization is not supported by lcm4j yet");
        this.fc = registerModule("fc", new Linear(f, inDim, outDim, c.linear_bias(), InitFn.parse(c.linear_init_fn())));
        this.activation = c.activation_name();
        if (activation != null && !Set.of("relu", "gelu", "silu", "tanh").contains(activation)) {
            throw new LcmException("unknown postnet.activation_name '" + activation + "'; use null, relu, gelu, silu or tanh");
        }
    }

    public Tensor forward(Tensor x) {
        Tensor y = fc.forward(x);
        if (activation == null) return y;
        return switch (activation) {
            case "relu" -> relu(y);
            case "gelu" -> gelu(y);
            case "silu" -> silu(y);
            default -> y.tanh();
        };
    }
}
