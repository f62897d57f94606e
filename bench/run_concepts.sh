#!/usr/bin/env bash
# Concept-space benchmarks: MiniLM sentences/s on Europarl sentences, retrieval decoding over a synthetic
# 1M x 384 sentence bank (splitting: bench/run_split.sh).
#   bench/run_concepts.sh                      # builds first
#   SKIP_BUILD=1 BANK_ROWS=200000 bench/run_concepts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OUTDIR=bench/target
mkdir -p "$OUTDIR/classes"
bench_package
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/ConceptsBench.java
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
java -Xmx8g -Dorg.slf4j.simpleLogger.log.ai.djl=error -cp "$OUTDIR/classes:target/lcm4j.jar:target/lib/*" \
  dev.lcm4j.bench.ConceptsBench --bank-rows "${BANK_ROWS:-1000000}" --dim 384 --encode "${ENCODE:-2000}"
