#!/usr/bin/env bash
# Residual quantizer benchmark: fit and encode throughput (vectors/s) of ./lcm rvq's quantizer at the demo's size
# (10,622 unit vectors of 384-d, preset minilm_demo 8 x 256, at most 25 Lloyd updates per codebook), and the same fit
# with the independent PyTorch reference (fixtures/python/ref_rvq.py, Debian's torch 1.13) on the same data and init.
#   bench/run_rvq.sh                    # builds first
#   SKIP_BUILD=1 VECTORS=50000 bench/run_rvq.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OUTDIR=bench/target
THREADS=${THREADS:-$(nproc)}
ITER=${ITERATIONS:-25}
mkdir -p "$OUTDIR/classes" "$OUTDIR/rvq"
bench_package
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/RvqBench.java
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$THREADS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $THREADS threads"
java -Xmx4g -cp "$OUTDIR/classes:target/lcm4j.jar:target/lib/*" dev.lcm4j.bench.RvqBench --vectors "${VECTORS:-10622}" \
  --dim "${DIM:-384}" --codebooks "${CODEBOOKS:-8}" --units "${UNITS:-256}" --iterations "$ITER" --encode "${ENCODE:-100000}" \
  --out "$OUTDIR/rvq"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  /usr/bin/python3 bench/python/bench_rvq.py "$OUTDIR/rvq" "$ITER" "$THREADS"
else
  echo "skipped the PyTorch side: /usr/bin/python3 has no torch"
fi
