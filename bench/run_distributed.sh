#!/usr/bin/env bash
# Data-parallel benchmark on one machine: the same global batch (8 x 128 x 1024, toy_base_lcm) in 1 process and in
# 2 processes (Gloo over loopback): replicated with the gradient sum after backward (what the trainer does),
# replicated with libtorch's DDP Reducer overlapping the sum with backward, or with the sharded optimizer (use_fsdp).
# Every run ends with the same parameters (param_abs_sum). Prints JSON lines and writes
# bench/results/distributed-<date>.md. On a 2-core machine 2 processes cannot be faster: the point is the
# communication share of a step and the optimizer memory per rank.
#
#   bench/run_distributed.sh            # STEPS=4 WARMUP=1 by default
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
STEPS=${STEPS:-4}
WARMUP=${WARMUP:-1}
STAMP=$(date +%Y-%m-%d)
OUTDIR=bench/target
RESULT=bench/results/distributed-$STAMP.md
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p "$OUTDIR/classes" bench/results
bench_package
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/train/*.java
CP="$OUTDIR/classes:target/lcm4j.jar:target/lib/*"
lines=()
for run in "1 replicated" "2 replicated" "2 overlapped" "2 sharded"; do
  set -- $run
  echo "== nproc $1 updater $2" >&2
  line=$(java -Xmx8g -cp "$CP" dev.lcm4j.train.DataParallelBench --nproc "$1" --updater "$2" --steps "$STEPS" --warmup "$WARMUP" \
    | grep '^\[rank 0\] {' | sed 's/^\[rank 0\] //')
  echo "$line"
  lines+=("$line")
done
{
  echo "# Data-parallel benchmark, $STAMP"
  echo
  echo "- $(nproc) cores; toy_base_lcm; global batch 8 documents x 128 sentences x 1024; step = fwd + MSE + bwd +"
  echo "  gradient sum over the ranks + clip + AdamW; median of $STEPS timed steps after $WARMUP warm-up."
  echo
  echo "| processes | updater | ms/step | communication ms/step | communication share | optimizer state MB/rank | peak RSS MB per rank | sum of abs(parameters) after the run |"
  echo "|---|---|---|---|---|---|---|---|"
  for l in "${lines[@]}"; do
    echo "$l" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("| %d | %s | %.0f | %s | %s | %.0f | %s | %.6f |" % (d["nproc"], d["updater"], d["ms_per_step"], "%.0f" % d["communication_ms"] if d["updater"] != "overlapped" else "overlapped", "%.1f%%" % (100*d["communication_share"]) if d["updater"] != "overlapped" else "-", d["optimizer_state_mb_per_rank"], d["peak_rss_mb"], d["param_abs_sum"]))'
  done
} > "$RESULT"
cat "$RESULT"
