package dev.lcm4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.torch.Tensors;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.pytorch.Tensor;

/**
 * Element-wise comparisons of computed values against reference fixtures. The tolerance rule differs from one
 * method to the next and is part of each method's name and Javadoc; pick the one a fixture's README states.
 */
public final class NumericAsserts {
    private NumericAsserts() {
    }

    /**
     * Equal lengths and {@code |want[i] - got[i]| <= atol} for every {@code i} (JUnit's {@code assertEquals} with a
     * delta, in double precision; two NaNs count as equal).
     */
    public static void assertCloseAbs(float[] want, float[] got, double atol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], atol, what + " [" + i + "]");
    }

    /**
     * A JSON matrix (array of rows of numbers) against a tensor read row-major: {@code |want[i][j] - got[i, j]| <= atol}
     * (JUnit's {@code assertEquals} with a delta). Only the JSON's rows and columns are compared.
     */
    public static void assertCloseAbs(JsonNode want, Tensor got, double atol, String what) {
        float[] g = Tensors.toFloats(got);
        int cols = want.get(0).size();
        for (int i = 0; i < want.size(); i++) {
            for (int j = 0; j < cols; j++) assertEquals(want.get(i).get(j).asDouble(), g[i * cols + j], atol, what + " [" + i + "," + j + "]");
        }
    }

    /**
     * numpy.allclose's rule: equal lengths and {@code |expected[i] - actual[i]| <= atol + rtol * |expected[i]|} for
     * every {@code i} (difference taken in float). A NaN difference is not reported.
     */
    public static void assertAllClose(float[] expected, float[] actual, double rtol, double atol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double tol = atol + rtol * Math.abs(expected[i]);
            if (Math.abs(expected[i] - actual[i]) > tol) {
                fail(what + "[" + i + "]: expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    /**
     * Equal shapes and {@code |e - a| <= tol * max(1, |e|)} element-wise: absolute for values up to 1, relative to
     * the value above (difference taken in float). A NaN difference is not reported.
     */
    public static void assertCloseScaled(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual), what + " shape");
        float[] e = Tensors.toFloats(expected), a = Tensors.toFloats(actual.contiguous());
        for (int i = 0; i < e.length; i++) {
            if (Math.abs(e[i] - a[i]) > tol * Math.max(1, Math.abs(e[i]))) fail(what + "[" + i + "]: expected " + e[i] + " got " + a[i]);
        }
    }

    /**
     * A model's gradients against PyTorch's ({@code expected}, read from a fixture's state-dict file), parameter by
     * parameter: same names, and {@code |e - a| <= 1e-4 * max|e| of the parameter + 1e-6 * max|e| of all}. The floor
     * covers gradients that are zero in exact arithmetic (k_proj biases: softmax ignores a per-row shift), where both
     * sides hold rounding noise. A parameter for which {@code mayHaveNoGradient} holds may have no gradient here (lcm4j
     * skipped its computation); it then counts as zero.
     */
    public static void assertGradientsMatch(Map<String, StoredTensor> expected, Map<String, Tensor> params,
                                            Predicate<String> mayHaveNoGradient, String what) {
        assertEquals(expected.keySet(), params.keySet(), what + " parameter names");
        double global = 0;
        for (StoredTensor t : expected.values()) for (float v : t.toFloatArray()) global = Math.max(global, Math.abs(v));
        for (Map.Entry<String, StoredTensor> e : expected.entrySet()) {
            float[] want = e.getValue().toFloatArray();
            double scale = 0;
            for (float v : want) scale = Math.max(scale, Math.abs(v));
            Tensor grad = params.get(e.getKey()).grad();
            if (!grad.defined()) assertTrue(mayHaveNoGradient.test(e.getKey()), what + ": no gradient for " + e.getKey());
            float[] got = grad.defined() ? Tensors.toFloats(grad) : new float[want.length];
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4 * scale + 1e-6 * global, what + " grad " + e.getKey() + "[" + i + "]");
            }
        }
    }
}
