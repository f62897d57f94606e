#!/usr/bin/env bash
# Quant-LCM benchmarks (quant_lcm_d, quant_lcm_c): train step of lcm4j vs the same model in Python PyTorch, and
# codebook-by-codebook generation time.
#
#   bench/run_quant_lcm.sh                        # threads = nproc, 3 timed steps + 1 warm-up per train cell
#   THREADS=2 STEPS=3 WARMUP=1 FAMILIES="d c" CONFIGS="toy mid" DTYPES="fp32 bf16" SKIP_BUILD=1 bench/run_quant_lcm.sh
#   CHECK_CONFIGS="" GEN_CONFIGS="" CONFIGS=mid DTYPES=bf16 APPEND=1 SKIP_BUILD=1 bench/run_quant_lcm.sh   # add cells
#   SIDES=pytorch (or lcm4j): train one side only; a list set empty runs nothing of its kind (all empty + APPEND=1:
#   only rewrite the table from today's rows)
#
# Check: before timing, bench/python/bench_quant_lcm.py --save-check writes its initial weights (codebooks included),
# a batch, codebook indices and its loss and gradient norm; QuantLcmBench check recomputes them in lcm4j (eval mode,
# no guidance dropping) and the script stops if they differ (loss 1e-4, gradient norm 1e-3 relative).
# Train: bench/java QuantLcmBench train vs bench/python/bench_quant_lcm.py (same config, batch 8 x 128 x 1024, an
# 8 x 256 random quantizer, the family's criterion with guidance dropping 0.15, clip 25, AdamW), interleaved.
# Generate: QuantLcmBench generate, 10 new concepts per prompt codebook by codebook with the paper's settings, batch 1
# and 16. Prints a markdown table and writes it to bench/results/quant_lcm-<date>.md; raw JSON lines go to
# bench/target/quant_lcm-<date>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
THREADS=${THREADS:-$(nproc)}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-1}
FAMILIES=${FAMILIES-"d c"}
CONFIGS=${CONFIGS-"toy mid"}
DTYPES=${DTYPES-"fp32 bf16"}
SIDES=${SIDES-"lcm4j pytorch"}
GEN_CONFIGS=${GEN_CONFIGS-"toy"}
CHECK_CONFIGS=${CHECK_CONFIGS-"toy"}
PY=${PY:-/usr/bin/python3}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
STAMP=$(date +%Y-%m-%d)
RAW=bench/target/quant_lcm-$STAMP.jsonl
RESULT=bench/results/quant_lcm-$STAMP.md
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p bench/target/classes bench/results
bench_package
CP="bench/target/classes:target/lcm4j.jar:target/lib/*"
javac -d bench/target/classes -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/*.java
require_openblas
pyrun() { LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout "$RUN_TIMEOUT" "$PY" bench/python/bench_quant_lcm.py "$@"; }
[[ "${APPEND:-0}" == 1 ]] || : > "$RAW"   # APPEND=1: add to today's rows (e.g. cells rerun on their own)
for cfg in $CHECK_CONFIGS; do
  for fam in $FAMILIES; do
    dir=bench/target/quant_lcm_check/$cfg-$fam
    echo "== check $cfg quant_lcm_$fam: PyTorch writes, lcm4j recomputes" >&2
    pyrun --family "$fam" --config "$cfg" --threads "$THREADS" --save-check "$dir" | tail -1 >&2
    timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.QuantLcmBench check --family "$fam" --config "$cfg" --dir "$dir" \
      --threads "$THREADS" | tail -1 | tee -a "$RAW" >&2
  done
done
for cfg in $CONFIGS; do
  for dt in $DTYPES; do
    for fam in $FAMILIES; do
      if [[ " $SIDES " == *" lcm4j "* ]]; then
        echo "== lcm4j train quant_lcm_$fam $cfg $dt" >&2
        timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.QuantLcmBench train --family "$fam" --config "$cfg" --dtype "$dt" \
          --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" | tail -1 | tee -a "$RAW" >&2
      fi
      if [[ " $SIDES " == *" pytorch "* ]]; then
        echo "== pytorch train quant_lcm_$fam $cfg $dt" >&2
        pyrun --family "$fam" --config "$cfg" --dtype "$dt" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" \
          | tail -1 | tee -a "$RAW" >&2
      fi
    done
  done
done
for cfg in $GEN_CONFIGS; do
  for fam in $FAMILIES; do
    for b in 1 16; do
      echo "== lcm4j generate quant_lcm_$fam $cfg batch $b" >&2
      timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.QuantLcmBench generate --family "$fam" --config "$cfg" --batch "$b" \
        --sentences 10 --threads "$THREADS" | tail -1 | tee -a "$RAW" >&2
    done
  done
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
$PY - "$RAW" "$THREADS" "$LOAD" > "$RESULT" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"# Quant-LCM benchmark, {sys.argv[1].split('quant_lcm-')[-1][:-6]}\n")
print(f"- CPU: {cpu}, {sys.argv[2]} threads, OMP_WAIT_POLICY=PASSIVE; lcm4j on bytedeco libtorch 2.10, PyTorch = Debian's torch with OpenBLAS;"
      f" load average at the end: {sys.argv[3]} (the machine may be shared: compare interleaved rows, not runs).")
print("- Same work: PyTorch's initial weights, batch and codebook indices, recomputed by lcm4j (eval, no guidance dropping):\n")
print("| config | family | loss sum lcm4j | loss sum PyTorch | rel diff | grad norm rel diff | same |")
print("|---|---|---|---|---|---|---|")
checks = {(r["config"], r["family"]): r for r in rows if r.get("mode") == "check" and r["side"] == "lcm4j"}  # last run per cell
for r in checks.values():
    print(f"| {r['config']} | {r['family']} | {r['loss_sum']:.4f} | {r['pytorch_loss_sum']:.4f} | {r['loss_rel_diff']:.1e} | "
          f"{r['grad_norm_rel_diff']:.1e} | {r['same']} |")
print("\n- Train step: batch 8 x 128 concepts x 1024 (256 interleaved slots), 8 x 256 random quantizer, the family's criterion "
      "(k ~ U{1..8}, greedy RVQ codes, CFG dropping 0.15, sum / #targets) + backward + clip 25 + AdamW; median of the timed "
      "steps, forward (criterion incl. RVQ encode) / backward / clip+AdamW medians. ratio < 1: lcm4j faster.\n")
print("| family | config | dtype | params | lcm4j ms/step (min) | fwd/bwd/opt | PyTorch ms/step (min) | fwd/bwd/opt | ratio lcm4j/PyTorch |")
print("|---|---|---|---|---|---|---|---|---|")
train = {}
for r in rows:
    if r.get("mode") == "train" and "ms_per_step_median" in r:
        train[(r["side"], r["family"], r["config"], r["dtype"])] = r
split = lambda r: f"{r['fwd_ms_median']:.0f}/{r['bwd_ms_median']:.0f}/{r['clip_opt_ms_median']:.0f}"
for (side, fam, cfg, dt), r in sorted(train.items()):
    if side != "lcm4j":
        continue
    p = train.get(("pytorch", fam, cfg, dt))
    pm = p["ms_per_step_median"] if p else None
    ratio = f"{r['ms_per_step_median'] / pm:.2f}x" if pm else "n/a"
    pcell = f"{pm:.0f} ({p['ms_per_step_min']:.0f})" if p else "n/a"
    print(f"| {fam} | {cfg} | {dt} | {r['params']:,} | {r['ms_per_step_median']:.0f} ({r['ms_per_step_min']:.0f}) | {split(r)} | "
          f"{pcell} | {split(p) if p else 'n/a'} | {ratio} |")
print("\n- Generation (lcm4j): prompts of 3 concepts, 10 new concepts per prompt, codebook by codebook (8 codebooks) with the "
      "paper's settings (-d: top_k 3, no guidance; -c: guidance 1.5, temperature 0.005, top_k 5), KV-cached clean stream, "
      "fp32, after one warm-up call; one row per run (repeated runs are listed).\n")
print("| family | config | batch | query forwards per concept | wall s | ms per concept | concepts/s |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if r.get("mode") == "generate":
        print(f"| {r['family']} | {r['config']} | {r['batch']} | {r['query_forwards_per_concept']} | {r['wall_ms'] / 1e3:.2f} | "
              f"{r['ms_per_sentence']:.1f} | {r['sentences_per_s']:.1f} |")
PYEOF
cat "$RESULT"
