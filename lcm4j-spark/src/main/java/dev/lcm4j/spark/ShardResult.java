package dev.lcm4j.spark;

import dev.lcm4j.prepare.Preparer;
import java.io.Serializable;

/** What one prepare task reports to the driver: its shard's counts per split, and the encoder it used. */
record ShardResult(Preparer.ShardCounts counts, String encoderName, int encoderDim) implements Serializable {
}
