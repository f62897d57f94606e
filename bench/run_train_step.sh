#!/usr/bin/env bash
# Train-step benchmark: lcm4j (Java, bytedeco libtorch 2.10) vs the same base_lcm in Python PyTorch, one run.
#
#   bench/run_train_step.sh                 # threads = nproc, toy 5 steps, mid 3 steps (1 warm-up each)
#   THREADS=2 TOY_STEPS=10 MID_STEPS=5 WARMUP=2 ROUNDS=3 SKIP_BUILD=1 bench/run_train_step.sh
#
# Builds target/lcm4j.jar (mvn), compiles bench/java and bench/peak, measures the CPU peak, then for each config
# (toy, mid) and dtype (fp32, bf16) runs Java then Python (interleaved, same thread count), prints a markdown table
# and writes it to bench/results/train_step-<date>.md. Raw JSON lines go to bench/target/train_step-<date>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROOT=$PWD
THREADS=${THREADS:-$(nproc)}
TOY_STEPS=${TOY_STEPS:-5}
MID_STEPS=${MID_STEPS:-3}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-1}   # interleaved rounds; the table takes, per cell, the run with the median ms/step
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
PY=${PY:-/usr/bin/python3}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
STAMP=$(date +%Y-%m-%d)
OUTDIR=bench/target
RAW=$OUTDIR/train_step-$STAMP.jsonl
RESULT=bench/results/train_step-$STAMP.md
export OMP_WAIT_POLICY=PASSIVE   # without it libtorch/OpenBLAS steps are ~2x slower (see ./lcm)
# glibc keeps freed step memory in the heap (as ./lcm sets it; see there). Both sides run with it; PyTorch gains ~3%.
export OMP_NUM_THREADS=$THREADS
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p "$OUTDIR/classes" "$OUTDIR/ref" bench/results

# --- build -------------------------------------------------------------------------------------------------
bench_package
CP="$OUTDIR/classes:target/lcm4j.jar:target/lib/*"
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/*.java
gcc -O3 -mavx512f -mavx512bf16 -pthread bench/peak/peak_flops.c -o "$OUTDIR/peak_flops"

# Python reference model: fixtures/python/ref_base_lcm.py (found by bench_base_lcm.py through its relative path).
require_openblas

# --- peak ----------------------------------------------------------------------------------------------------
echo "== peak ($THREADS threads)" >&2
PEAK=$("$OUTDIR/peak_flops" "$THREADS")
echo "$PEAK" >&2
PEAK32=$(echo "$PEAK" | $PY -c 'import json,sys; print(json.load(sys.stdin)["fp32_peak_gflops"])')
PEAK16=$(echo "$PEAK" | $PY -c 'import json,sys; print(json.load(sys.stdin)["bf16_peak_gflops"])')
: > "$RAW"
echo "{\"peak\": $PEAK}" >> "$RAW"

# --- runs ----------------------------------------------------------------------------------------------------
run_one() {  # side config dtype steps
  local side=$1 cfg=$2 dt=$3 steps=$4 load line
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "== $side $cfg $dt steps=$steps warmup=$WARMUP threads=$THREADS (loadavg $load)" >&2
  if [[ $side == lcm4j ]]; then
    line=$(timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.TrainStepBench --config "$cfg" --dtype "$dt" \
      --steps "$steps" --warmup "$WARMUP" --threads "$THREADS" --peak-fp32 "$PEAK32" --peak-bf16 "$PEAK16" | tail -1) || line=""
  else
    line=$(LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout "$RUN_TIMEOUT" \
      "$PY" bench/python/bench_base_lcm.py --config "$cfg" --dtype "$dt" --steps "$steps" --warmup "$WARMUP" \
      --threads "$THREADS" | tail -1) || line=""
  fi
  [[ -z $line ]] && line="{\"side\": \"$side\", \"config\": \"$cfg\", \"dtype\": \"$dt\", \"failed\": true}"
  echo "$line" >&2
  echo "$line" | $PY -c "import json,sys; d=json.load(sys.stdin); d['loadavg_before']=$load; print(json.dumps(d))" >> "$RAW"
}
for round in $(seq "$ROUNDS"); do
  for cfg in toy mid; do
    steps=$TOY_STEPS; [[ $cfg == mid ]] && steps=$MID_STEPS
    for dt in fp32 bf16; do
      run_one lcm4j "$cfg" "$dt" "$steps"
      run_one pytorch "$cfg" "$dt" "$steps"
    done
  done
done

# --- table ---------------------------------------------------------------------------------------------------
$PY - "$RAW" "$THREADS" > "$RESULT" <<'PYEOF'
import json, sys, platform, subprocess
rows = [json.loads(l) for l in open(sys.argv[1])]
peak = rows[0]["peak"]; runs = rows[1:]; threads = sys.argv[2]
groups = {}
for r in runs:
    groups.setdefault((r["side"], r["config"], r["dtype"]), []).append(r)
def pick(rs):  # the run with the (lower) median ms/step; a failed run only if all failed
    ok = sorted((r for r in rs if not r.get("failed")), key=lambda r: r["median_ms_per_step"])
    return ok[(len(ok) - 1) // 2] if ok else rs[0]
get = {k: pick(v) for k, v in groups.items()}
allms = {k: [r["median_ms_per_step"] for r in v if not r.get("failed")] for k, v in groups.items()}
def ms(r): return None if r is None or r.get("failed") else r["median_ms_per_step"]
def f(x, fmt="{:.1f}"): return "n/a" if x is None else fmt.format(x)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
fam = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("cpu family")), "?")
print(f"# Train-step benchmark, {sys.argv[1].split('train_step-')[-1][:-6]}\n")
print(f"- CPU: {cpu} (family {fam}), {threads} threads; measured peak fp32 {peak['fp32_peak_gflops']} GFLOP/s, "
      f"bf16 {peak['bf16_peak_gflops']} GFLOP/s (1 thread: {peak['fp32_gflops_1t']} / {peak['bf16_gflops_1t']}).")
some = next((r for r in runs if r["side"] == "pytorch" and not r.get("failed")), {})
j = next((r for r in runs if r["side"] == "lcm4j" and not r.get("failed")), {})
print(f"- lcm4j: bytedeco libtorch 2.10.0-1.5.13 + bundled OpenBLAS; libtorch matmul 2048^3: fp32 "
      f"{j.get('matmul2048_fp32_gflops')} GFLOP/s, bf16 {j.get('matmul2048_bf16_gflops')} GFLOP/s.")
print(f"- PyTorch: {some.get('torch')} (Debian), BLAS {some.get('blas', {}).get('loaded')}, matmul 1024^3 "
      f"{some.get('blas', {}).get('matmul1024_gflops')} GFLOP/s.")
print("- Batch 8 x 128 sentences x 1024; step = fwd + MSE (sum / #targets) + bwd + clip 25 + AdamW; median of the "
      "timed steps; FLOPs = matmul FLOPs x3 (fwd+bwd). MFU = GFLOP/s / measured fp32 peak. ratio = lcm4j / PyTorch "
      "(< 1 means lcm4j faster). OMP_WAIT_POLICY=PASSIVE for both. Rounds: "
      f"{max(len(v) for v in groups.values())}, interleaved; each cell is the round with the median ms/step; "
      "all rounds' ms/step are listed under the table.\n")
print("| config | dtype | steps | lcm4j ms/step | PyTorch ms/step | ratio lcm4j/PyTorch | lcm4j GFLOP/s | lcm4j MFU % (fp32 peak) "
      "| PyTorch MFU % | lcm4j bf16 speedup | PyTorch bf16 speedup | lcm4j fwd/bwd/clip/opt ms | PyTorch fwd/bwd/clip/opt ms "
      "| loss first→last lcm4j / PyTorch | loadavg before (J/P) |")
print("|" + "---|" * 15)
for cfg in ("toy", "mid"):
    for dt in ("fp32", "bf16"):
        J, P = get.get(("lcm4j", cfg, dt)), get.get(("pytorch", cfg, dt))
        jm, pm = ms(J), ms(P)
        ratio = jm / pm if jm and pm else None
        g = J["gflops_per_s"] if jm else None
        mfu = 100 * g / peak["fp32_peak_gflops"] if g else None
        pmfu = 100 * P["gflops_per_s"] / peak["fp32_peak_gflops"] if pm else None
        def sp(side):
            a, b = ms(get.get((side, cfg, "fp32"))), ms(get.get((side, cfg, dt)))
            return None if dt == "fp32" or not a or not b else a / b
        def split(r): return "n/a" if not ms(r) else "/".join(f"{r[k]:.0f}" for k in ("median_ms_fwd", "median_ms_bwd", "median_ms_clip", "median_ms_opt"))
        def loss(r): return "n/a" if not ms(r) else f"{r['first_loss_per_target']:.1f}→{r['last_loss_per_target']:.1f}"
        steps = J.get("steps") if J else "?"
        print(f"| {cfg} | {dt} | {steps} | {f(jm)} | {f(pm)} | {f(ratio, '{:.2f}x')} | {f(g)} | {f(mfu)} | {f(pmfu)} "
              f"| {f(sp('lcm4j'), '{:.2f}x') if dt == 'bf16' else '-'} | {f(sp('pytorch'), '{:.2f}x') if dt == 'bf16' else '-'} "
              f"| {split(J)} | {split(P)} | {loss(J)} / {loss(P)} | {J.get('loadavg_before') if J else '?'}/{P.get('loadavg_before') if P else '?'} |")
print()
for k, v in sorted(allms.items()):
    print(f"- {k[0]} {k[1]} {k[2]}: ms/step per round {v}")
PYEOF
echo >&2
cat "$RESULT"
echo >&2
echo "written: $RESULT (raw: $RAW)" >&2
