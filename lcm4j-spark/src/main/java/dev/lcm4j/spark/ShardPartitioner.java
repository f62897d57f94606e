package dev.lcm4j.spark;

import org.apache.spark.Partitioner;

/** Sends the kept document with global index {@code i} to partition {@code i / shardSize}: one partition per shard. */
final class ShardPartitioner extends Partitioner {
    private final int shards;
    private final int shardSize;

    ShardPartitioner(int shards, int shardSize) {
        this.shards = shards;
        this.shardSize = shardSize;
    }

    @Override
    public int numPartitions() {
        return shards;
    }

    @Override
    public int getPartition(Object key) {
        return (int) ((Long) key / shardSize);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShardPartitioner p && p.shards == shards && p.shardSize == shardSize;
    }

    @Override
    public int hashCode() {
        return 31 * shards + shardSize;
    }
}
