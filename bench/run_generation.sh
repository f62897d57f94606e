#!/usr/bin/env bash
# Generation benchmark: autoregressive concept generation with the KV cache, lcm4j (Java, bytedeco libtorch 2.10) vs the
# same loop in Python PyTorch (Debian's 1.13) on the fixtures' reference models, for base_lcm and
# two_tower_diffusion_lcm: batch BATCH of one-concept prompts, each continued by exactly SHORT and LONG concepts.
#
#   bench/run_generation.sh                                   # batch 64, 100 and 1000 concepts, 10 DDIM steps
#   NAME=gen-smoke BATCH=8 SHORT=10 LONG=40 STEPS=2 SKIP_BUILD=1 bench/run_generation.sh   # smoke run
#
# Sizes (both sides, both families): MODEL_DIM LAYERS HEADS FFN CONCEPT_DIM MAX_SEQ_LEN (default 256, 2, 4, 1024,
# 384, 1100: the toy archs' layer style at a size where 64 x 1000 concepts take minutes on 2 cores). Two-tower:
# STEPS inference timesteps with classifier-free guidance GUIDANCE / RESCALE (default 10, 3.0, 0.7; initial noise
# 0.6). FAMILIES (default "base_lcm two_tower_diffusion_lcm"), THREADS (default nproc), WARMUP (concepts generated
# once before timing, default 3), RUN_TIMEOUT (s per process, default 3600), SKIP_BUILD=1, SUMMARY_ONLY=1 (only
# rewrite the table from today's raw files).
#
# For each family: lcm4j (bench/java GenerationBench), then PyTorch (bench/python/bench_generation.py), each one
# process generating SHORT then LONG concepts with the same random model; same thread count, OMP_WAIT_POLICY=PASSIVE.
# Prints a markdown table and writes it to bench/results/generation-<date>.md (with the load average); raw JSON
# lines and every step's milliseconds go to bench/target/generation-<date>* (NAME changes "generation").
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
THREADS=${THREADS:-$(nproc)}
BATCH=${BATCH:-64}
SHORT=${SHORT:-100}
LONG=${LONG:-1000}
STEPS=${STEPS:-10}
GUIDANCE=${GUIDANCE:-3.0}
RESCALE=${RESCALE:-0.7}
WARMUP=${WARMUP:-3}
MODEL_DIM=${MODEL_DIM:-256}
LAYERS=${LAYERS:-2}
HEADS=${HEADS:-4}
FFN=${FFN:-1024}
CONCEPT_DIM=${CONCEPT_DIM:-384}
MAX_SEQ_LEN=${MAX_SEQ_LEN:-1100}
FAMILIES=${FAMILIES:-"base_lcm two_tower_diffusion_lcm"}
RUN_TIMEOUT=${RUN_TIMEOUT:-3600}
PY=${PY:-/usr/bin/python3}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
STAMP=$(date +%Y-%m-%d)
NAME=${NAME:-generation}   # file names: bench/results/$NAME-<date>.md etc.; give smoke runs another name
OUT=bench/target
RAW=$OUT/$NAME-$STAMP.jsonl
RESULT=bench/results/$NAME-$STAMP.md
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS
# As the other benchmarks (and ./lcm), glibc keeps freed memory; here the mmap threshold is raised above the caches'
# size as well (MMAP_THRESHOLD, default 4 GiB): PyTorch's cat-grown caches allocate a new, larger block every step,
# and above the threshold each block would be mapped fresh, page by page (~0.35 s per 131 MB on this VM), so the
# PyTorch side would measure page faults rather than generation. lcm4j allocates its buffers once either way.
export MALLOC_MMAP_THRESHOLD_=${MMAP_THRESHOLD:-4294967296} MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p "$OUT/classes" bench/results
if [[ "${SUMMARY_ONLY:-0}" != 1 ]]; then
bench_package
CP="$OUT/classes:target/lcm4j.jar:target/lib/*"
javac -d "$OUT/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/*.java
require_openblas

SIZE=(--model-dim "$MODEL_DIM" --layers "$LAYERS" --heads "$HEADS" --ffn "$FFN" --concept-dim "$CONCEPT_DIM"
      --max-seq-len "$MAX_SEQ_LEN" --batch "$BATCH" --lengths "$SHORT,$LONG" --timesteps "$STEPS" --guidance "$GUIDANCE"
      --rescale "$RESCALE" --initial-noise 0.6 --warmup "$WARMUP" --threads "$THREADS")
uptime > "$OUT/$NAME-$STAMP.uptime"
: > "$RAW"
run_one() {  # side family
  local side=$1 fam=$2 before after lines steps=$OUT/$NAME-$STAMP-$2-$1
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== $side $fam: batch $BATCH, $SHORT and $LONG concepts, $THREADS threads (loadavg $before)" >&2
  if [[ $side == lcm4j ]]; then
    local arch=toy_base_lcm
    [[ $fam == two_tower_diffusion_lcm ]] && arch=toy_two_tower_diffusion_lcm
    lines=$(timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.GenerationBench --arch "$arch" "${SIZE[@]}" \
      --dump-steps "$steps" | grep '^{') || lines=""
  else
    lines=$(LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout "$RUN_TIMEOUT" \
      "$PY" bench/python/bench_generation.py --family "$fam" "${SIZE[@]}" --dump-steps "$steps" | grep '^{') || lines=""
  fi
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  [[ -z $lines ]] && lines="{\"side\": \"$side\", \"family\": \"$fam\", \"failed\": true}"
  echo "$lines" >&2
  echo "$lines" | "$PY" -c "
import json, sys
for l in sys.stdin:
    d = json.loads(l); d['loadavg_before'] = '$before'; d['loadavg_after'] = '$after'; d['steps_file'] = '$steps'
    print(json.dumps(d))" >> "$RAW"
}
for fam in $FAMILIES; do
  run_one lcm4j "$fam"
  run_one pytorch "$fam"
done
uptime >> "$OUT/$NAME-$STAMP.uptime"
fi
UPTIME_START=$(sed -n 1p "$OUT/$NAME-$STAMP.uptime")
UPTIME_END=$(sed -n 2p "$OUT/$NAME-$STAMP.uptime")

SIZES="model_dim $MODEL_DIM, $LAYERS layers (two-tower: $LAYERS + $LAYERS), $HEADS heads, FFN $FFN, max_seq_len $MAX_SEQ_LEN"
"$PY" - "$RAW" "$THREADS" "$UPTIME_START" "$UPTIME_END" "$STEPS" "$GUIDANCE" "$RESCALE" "$WARMUP" "$SIZES" > "$RESULT" <<'PYEOF'
import json, sys
raw, threads, up0, up1, steps, guidance, rescale, warmup, sizes = sys.argv[1:10]
rows = [json.loads(l) for l in open(raw) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
ok = [r for r in rows if not r.get("failed")]
some = ok[0] if ok else {}
torch_v = next((r.get("torch") for r in ok if r.get("torch")), "?")

def steps_of(r):
    try:
        return [float(x) for x in open(f"{r['steps_file']}-{r['generated']}.txt")]
    except OSError:
        return None

def robust_fit(ms, windows=20):
    """Per window of steps, the 25th percentile (load spikes only ever add time); least squares a + b * step on
    those. Returns (a ms, b ms per position)."""
    n = len(ms)
    if n < 2 * windows:
        windows = max(2, n // 5)
    pts = []
    for w in range(windows):
        lo, hi = max(1, w * n // windows), (w + 1) * n // windows
        seg = sorted(ms[lo:hi])
        if seg:
            pts.append(((lo + hi - 1) / 2, seg[len(seg) // 4]))
    k = len(pts)
    sx = sum(x for x, _ in pts); sy = sum(y for _, y in pts)
    sxx = sum(x * x for x, _ in pts); sxy = sum(x * y for x, y in pts)
    b = (k * sxy - sx * sy) / (k * sxx - sx * sx)
    return (sy - b * sx) / k, b

print(f"# Generation benchmark, {raw.rsplit('/', 1)[-1][:-6]}\n")
print(f"- CPU: {cpu}, {threads} threads, OMP_WAIT_POLICY=PASSIVE; lcm4j on bytedeco libtorch 2.10, PyTorch {torch_v} "
      "(Debian) on OpenBLAS (pthreads).")
print(f"- Load: at the start `{up0.strip()}`; at the end `{up1.strip()}`; per run in the last column (1/5/15-min "
      "load average before -> after the process).")
print(f"- Models: the toy archs' layer style (learned positions, LayerNorm, ReLU FFN) at {sizes}, concepts of dim "
      f"{some.get('concept_dim')}; random init, identity normalizer, fp32, eval. Batch {some.get('batch')} one-concept "
      "prompts, each continued by exactly N concepts (no EOS or repetition stop), KV cache on, after a "
      f"{warmup}-concept warm-up. base_lcm: no latent noise. two_tower_diffusion_lcm: "
      f"{steps} DDIM steps per concept with classifier-free guidance {guidance} (rescale {rescale}, initial noise 0.6), "
      "the same on both sides.")
print("- lcm4j: `LcmGenerator.generate` (preallocated KV caches, doubling; two-tower: the cross-attention keys/values "
      "of the context grow the same way). PyTorch: the same loop on fixtures/python (caches grown by `torch.cat` each "
      "step, as the fixtures' `IncrementalState` does; two-tower denoiser computing what lcm4j's computes, checked "
      "against the fixture's literal forward).")
print("- concepts/s = batch x N / seconds. ratio = t(long) / t(short) of the same process (the issue's bound: 12x for "
      "100 -> 1000). ms/step: median of the first and of the last 10 steps. Per-step fit: ms(step n) = a + b n on the "
      "25th percentile of 20 windows of steps (robust to load spikes). With a per-step cost a + b n, t(1000)/t(100) <= 12 "
      "holds only while b * 1000 <= 0.45 a, i.e. while a step at position 1000 costs at most 1.45x a step at position 0.\n")
print("| family | side | concepts generated | seconds | concepts/s | ratio long/short | ms/step first 10 -> last 10 | fit a (ms) + b (µs/position) | loadavg before -> after |")
print("|---|---|---|---|---|---|---|---|---|")
by = {}
for r in rows:
    by.setdefault((r.get("family"), r.get("side")), []).append(r)
for (fam, side), rs in by.items():
    if any(r.get("failed") for r in rs):
        print(f"| {fam} | {side} | failed | | | | | | |")
        continue
    short = rs[0]
    for r in rs:
        ms = steps_of(r)
        a, b = robust_fit(ms) if ms else (None, None)
        ratio = f"**{r['seconds'] / short['seconds']:.1f}x**" if r is not short else "-"
        fit = "n/a" if a is None else f"{a:.1f} + {b * 1e3:.1f}"
        load = f"{r.get('loadavg_before', '?')} -> {r.get('loadavg_after', '?')}"
        print(f"| {fam} | {side} | {r['batch']} x {r['generated']} = {r['batch'] * r['generated']:,} | {r['seconds']:.1f} "
              f"| {r['concepts_per_s']:.1f} | {ratio} | {r['ms_per_step_first10']:.1f} -> {r['ms_per_step_last10']:.1f} "
              f"| {fit} | {load} |")
print()
for fam in dict.fromkeys(k[0] for k in by):
    j, p = by.get((fam, "lcm4j")), by.get((fam, "pytorch"))
    if j and p and not any(r.get("failed") for r in j + p):
        parts = [f"{jr['generated']}: {jr['seconds'] / pr['seconds']:.2f}x" for jr, pr in zip(j, p)]
        print(f"- {fam}: lcm4j time / PyTorch time at " + ", ".join(parts) + " (< 1: lcm4j faster).")
PYEOF
echo >&2
cat "$RESULT"
echo >&2
echo "written: $RESULT (raw: $RAW)" >&2
