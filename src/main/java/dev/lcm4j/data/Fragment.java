package dev.lcm4j.data;

import java.nio.file.Path;

/** One row group of one parquet file: the unit the loader shuffles, shards across ranks and reads at once. */
public record Fragment(Path file, int rowGroup, long rows) {
}
