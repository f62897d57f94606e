package dev.lcm4j.spark;

import java.io.Serializable;
import java.util.TreeMap;

/**
 * What one prepare task reports to the driver: its shard's counts per split ({@code targetSentences}: the target
 * column's, {@code null} without one), and the encoder it used.
 */
record ShardResult(TreeMap<String, Long> documents, TreeMap<String, Long> sentences,
                   TreeMap<String, Long> targetSentences, String encoderName, int encoderDim) implements Serializable {
}
