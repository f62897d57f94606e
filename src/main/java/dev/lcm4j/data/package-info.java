/**
 * LCM training data in pure Java: parquet I/O in the reference schema ({@link dev.lcm4j.data.LcmParquetWriter},
 * {@link dev.lcm4j.data.LcmParquetReader}), dataset cards ({@link dev.lcm4j.data.DatacardRegistry}), the reference's
 * batching and filters ({@link dev.lcm4j.data.LengthSplits}, {@link dev.lcm4j.data.DocumentFilters}), a resumable
 * streaming loader ({@link dev.lcm4j.data.LcmDataLoader}) and synthetic data ({@link dev.lcm4j.data.SyntheticData}).
 * Vectors are plain {@code float[]}; nothing here touches libtorch.
 */
package dev.lcm4j.data;
