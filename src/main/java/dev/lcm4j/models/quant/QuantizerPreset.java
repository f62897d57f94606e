package dev.lcm4j.models.quant;

import dev.lcm4j.LcmException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Named sizes of a residual quantizer: the demo's MiniLM space and the paper's SONAR setting (§2.3.5: 64 codebooks of
 * 8192 units, 13 bits each, 104 bytes of codes per sentence). {@code dim} is the space the preset was sized for;
 * a fit checks it against the data.
 */
public enum QuantizerPreset {
    /** The offline demo's 384-d MiniLM concepts: 8 x 256 units (8 bytes of codes per sentence). */
    MINILM_DEMO("minilm_demo", 384, 8, 256),
    /** The paper's quantizer of 1024-d SONAR space: 64 x 8192 units. */
    SONAR_PAPER("sonar_paper", 1024, 64, 8192);

    private final String id;
    private final int dim, numCodebooks, numUnits;

    QuantizerPreset(String id, int dim, int numCodebooks, int numUnits) {
        this.id = id;
        this.dim = dim;
        this.numCodebooks = numCodebooks;
        this.numUnits = numUnits;
    }

    public String id() { return id; }

    public int dim() { return dim; }

    public int numCodebooks() { return numCodebooks; }

    public int numUnits() { return numUnits; }

    public static QuantizerPreset byName(String name) {
        for (QuantizerPreset p : values()) if (p.id.equals(name)) return p;
        throw new LcmException("unknown quantizer preset '" + name + "'; known: "
                + Arrays.stream(values()).map(QuantizerPreset::id).collect(Collectors.joining(", ")) + " (or give --codebooks and --units)");
    }

    /**
     * Bytes a fit of {@code vectors} training vectors holds at its peak, by part: the codebooks (M x K x D float32),
     * the training vectors and their residuals (2 x N x D float32), the assignments (N x (8 + 4 + 8 + 8) bytes: units,
     * distances, previous units, the final units), the per-chunk distance buffer
     * ({@link ResidualQuantizer#CHUNK_ROWS} x K float32) and the float64 centroid sums (K x D x 8).
     */
    public static Memory fitMemory(long vectors, int dim, int numCodebooks, int numUnits) {
        long codebooks = (long) numCodebooks * numUnits * dim * 4;
        long data = 2L * vectors * dim * 4;
        long assignments = vectors * 28L;
        long chunk = (long) ResidualQuantizer.CHUNK_ROWS * numUnits * 4 + (long) numUnits * dim * 8;
        return new Memory(codebooks, data, assignments, chunk);
    }

    /** A fit's memory by part, in bytes. */
    public record Memory(long codebooks, long trainingVectors, long assignments, long chunkBuffers) {
        public long total() { return codebooks + trainingVectors + assignments + chunkBuffers; }
    }
}
