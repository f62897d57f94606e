package dev.lcm4j.spark;

import java.io.Serializable;
import java.util.TreeMap;

/** What one prepare task reports to the driver: its shard's counts per split, and the encoder it used. */
record ShardResult(int shard, TreeMap<String, Long> documents, TreeMap<String, Long> sentences, String encoderName,
                   int encoderDim) implements Serializable {
}
