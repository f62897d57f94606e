#!/usr/bin/env bash
# Data-path benchmarks: parquet write/read MB/s of 1024-dim embeddings with the project's LCM writer/reader, and
# `prepare` throughput (documents/s, sentences/s) on the built-in Europarl English subset.
#
#   bench/run_prepare.sh                       # builds, then: parquet 256 docs x 32 sentences x 1024, 5 rounds;
#                                              # prepare with the hashing test encoder (and ENCODER=card if set)
#   SKIP_BUILD=1 ENCODER=all_minilm_l6_v2_q bench/run_prepare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OUTDIR=bench/target
mkdir -p "$OUTDIR/classes"
bench_package
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/ParquetBench.java \
    bench/java/dev/lcm4j/bench/PrepareBench.java
CP="$OUTDIR/classes:target/lcm4j.jar:target/lib/*"
java -cp "$CP" dev.lcm4j.bench.ParquetBench --docs 256 --sentences 32 --dim 1024 --rounds 5
java -cp "$CP" dev.lcm4j.bench.PrepareBench --encoder hashing --dim 1024
if [ -n "${ENCODER:-}" ]; then
  java -cp "$CP" dev.lcm4j.bench.PrepareBench --encoder "$ENCODER"
fi
