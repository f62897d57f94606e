#!/usr/bin/env bash
# SONAR text encoder throughput: lcm4j vs the same model in Python PyTorch (Debian torch 1.13 on pthreads OpenBLAS),
# interleaved rounds, same thread count, OMP_WAIT_POLICY=PASSIVE, as run_train_step.sh does.
#
#   bench/run_sonar_encoder.sh                           # threads = nproc, 32 sentences, 3 timed passes, 2 rounds
#   THREADS=2 SENTENCES=32 STEPS=3 ROUNDS=2 SKIP_BUILD=1 bench/run_sonar_encoder.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
THREADS=${THREADS:-$(nproc)}
SENTENCES=${SENTENCES:-32}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-2}
VOCAB=${VOCAB:-32000}
PY=${PY:-/usr/bin/python3}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
OUTDIR=bench/target
RESULT=bench/results/sonar_encoder-$(date +%Y-%m-%d).md
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p "$OUTDIR/classes" bench/results
bench_package
require_openblas
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/SonarEncoderBench.java
ARGS="--sentences $SENTENCES --steps $STEPS --warmup $WARMUP --vocab $VOCAB --threads $THREADS"
J=(); P=()
for round in $(seq "$ROUNDS"); do
  echo "== round $round lcm4j (loadavg $(cut -d' ' -f1 /proc/loadavg))" >&2
  J+=("$(java -Xmx8g -cp "$OUTDIR/classes:target/lcm4j.jar:target/lib/*" dev.lcm4j.bench.SonarEncoderBench $ARGS | tail -1)")
  echo "${J[-1]}" >&2
  echo "== round $round pytorch (loadavg $(cut -d' ' -f1 /proc/loadavg))" >&2
  P+=("$(LD_LIBRARY_PATH=$OPENBLAS_DIR "$PY" bench/python/bench_sonar_encoder.py $ARGS | tail -1)")
  echo "${P[-1]}" >&2
done
RAW=$OUTDIR/sonar_encoder-$(date +%Y-%m-%d).jsonl
printf '%s\n' "${J[@]}" "${P[@]}" > "$RAW"
$PY bench/python/summarize_sonar_encoder.py < "$RAW" | tee "$RESULT"
