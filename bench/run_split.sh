#!/usr/bin/env bash
# Sentence-splitting throughput (MB/s) per splitter on the bundled Europarl lines.
#   bench/run_split.sh                     # builds, then icu and opennlp, 1 thread and nproc threads, best of 3
#   SKIP_BUILD=1 THREADS=2 bench/run_split.sh icu opennlp sat:/path/to/sat-3l-onnx
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OUTDIR=bench/target
mkdir -p "$OUTDIR/classes"
bench_package
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/SplitBench.java
java -cp "$OUTDIR/classes:target/lcm4j.jar:target/lib/*" dev.lcm4j.bench.SplitBench \
    --rounds "${ROUNDS:-3}" --threads "${THREADS:-$(nproc)}" "$@"
