#!/usr/bin/env bash
# Two-tower diffusion LCM benchmarks: train step of lcm4j vs the same model in Python PyTorch, and generation time.
#
#   bench/run_two_tower.sh                        # threads = nproc, 3 timed steps + 1 warm-up per train cell
#   THREADS=2 STEPS=3 WARMUP=1 CONFIGS="toy mid" DTYPES="fp32 bf16" SKIP_BUILD=1 bench/run_two_tower.sh
#
# Train: bench/java TwoTowerBench train vs bench/python/bench_two_tower.py (same config, batch 8 x 128 x 1024,
# diffusion criterion with CFG dropping 0.15, clip 25, AdamW), interleaved. Generate: TwoTowerBench generate, 10 new
# concepts per prompt with 40 DDIM steps and classifier-free guidance, batch 1 and 16. Prints a markdown table and
# writes it to bench/results/two_tower-<date>.md; raw JSON lines go to bench/target/two_tower-<date>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
THREADS=${THREADS:-$(nproc)}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-1}
CONFIGS=${CONFIGS:-"toy mid"}
DTYPES=${DTYPES:-"fp32 bf16"}
GEN_CONFIGS=${GEN_CONFIGS:-"toy"}
PY=${PY:-/usr/bin/python3}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
STAMP=$(date +%Y-%m-%d)
RAW=bench/target/two_tower-$STAMP.jsonl
RESULT=bench/results/two_tower-$STAMP.md
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p bench/target/classes bench/results
bench_package
CP="bench/target/classes:target/lcm4j.jar:target/lib/*"
javac -d bench/target/classes -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/*.java
require_openblas
: > "$RAW"
for cfg in $CONFIGS; do
  for dt in $DTYPES; do
    echo "== lcm4j train $cfg $dt" >&2
    timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.TwoTowerBench train --config "$cfg" --dtype "$dt" \
      --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" | tail -1 | tee -a "$RAW" >&2
    echo "== pytorch train $cfg $dt" >&2
    LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout "$RUN_TIMEOUT" \
      "$PY" bench/python/bench_two_tower.py --config "$cfg" --dtype "$dt" --steps "$STEPS" --warmup "$WARMUP" \
      --threads "$THREADS" | tail -1 | tee -a "$RAW" >&2
  done
done
for cfg in $GEN_CONFIGS; do
  for b in 1 16; do
    echo "== lcm4j generate $cfg batch $b" >&2
    timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.TwoTowerBench generate --config "$cfg" --batch "$b" \
      --sentences 10 --timesteps 40 --threads "$THREADS" | tail -1 | tee -a "$RAW" >&2
  done
done
$PY - "$RAW" "$THREADS" > "$RESULT" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"# Two-tower diffusion LCM benchmark, {sys.argv[1].split('two_tower-')[-1][:-6]}\n")
print(f"- CPU: {cpu}, {sys.argv[2]} threads, OMP_WAIT_POLICY=PASSIVE; lcm4j on bytedeco libtorch 2.10, PyTorch = Debian's torch with OpenBLAS.")
print("- Train step: batch 8 x 128 concepts x 1024, unsupervised diffusion criterion (uniform steps, CFG row dropping 0.15, "
      "sum / #targets) + backward + clip 25 + AdamW; median of the timed steps. ratio < 1: lcm4j faster.\n")
print("| config | dtype | params | lcm4j ms/step | PyTorch ms/step | ratio lcm4j/PyTorch |")
print("|---|---|---|---|---|---|")
train = {}
for r in rows:
    if r.get("mode", "train") == "train" and "ms_per_step_median" in r:
        train[(r["side"], r["config"], r["dtype"])] = r
for (side, cfg, dt), r in sorted(train.items()):
    if side != "lcm4j":
        continue
    p = train.get(("pytorch", cfg, dt))
    pm = p["ms_per_step_median"] if p else None
    ratio = f"{r['ms_per_step_median'] / pm:.2f}x" if pm else "n/a"
    print(f"| {cfg} | {dt} | {r['params']:,} | {r['ms_per_step_median']:.0f} | {pm if pm is None else round(pm)} | {ratio} |")
print("\n- Generation: prompts of 3 concepts, 10 new concepts per prompt, 40 DDIM steps with classifier-free guidance "
      "(scale 3, rescale 0.7, initial noise 0.6), fp32, after one warm-up call.\n")
print("| config | batch | wall s | ms per concept | concepts/s |")
print("|---|---|---|---|---|")
for r in rows:
    if r.get("mode") == "generate":
        print(f"| {r['config']} | {r['batch']} | {r['wall_ms'] / 1e3:.1f} | {r['ms_per_sentence']:.0f} | {r['sentences_per_s']:.1f} |")
PYEOF
cat "$RESULT"
