package dev.lcm4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lcm4j.torch.Tensors;
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
}
