#!/usr/bin/env bash
# Activation checkpointing (trainer.activation_checkpointing): peak RSS and step time of a training step with and
# without it, one fresh JVM per setting (VmHWM is the process's peak), both families.
#
#   bench/run_activation_checkpointing.sh                       # configs below, 1 warm-up + 1 timed step, 1 round
#   ROUNDS=2 STEPS=2 DTYPES="fp32 bf16" SKIP_BUILD=1 bench/run_activation_checkpointing.sh
#   CONFIGS="base8" bench/run_activation_checkpointing.sh       # a subset (names below)
#   FIRST_ROUND=2 APPEND=1 SKIP_BUILD=1 bench/run_activation_checkpointing.sh   # one more round into today's raw file
#
# Writes bench/results/activation_checkpointing-<date>.md (table) and bench/target/activation_checkpointing-<date>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
THREADS=${THREADS:-$(nproc)}
STEPS=${STEPS:-1}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-1}
FIRST_ROUND=${FIRST_ROUND:-1}
DTYPES=${DTYPES:-fp32}
CONFIGS=${CONFIGS:-"base two_tower base8"}
TIMING_PAIRS=${TIMING_PAIRS:-3}   # then per config: one JVM alternating unchecked/checkpointed steps (0: skip)
RUN_TIMEOUT=${RUN_TIMEOUT:-1200}
PY=${PY:-python3}
STAMP=$(date +%Y-%m-%d)
OUTDIR=bench/target
RAW=$OUTDIR/activation_checkpointing-$STAMP.jsonl
RESULT=bench/results/activation_checkpointing-$STAMP.md
# as ./lcm runs the trainer: PASSIVE OpenMP waits, glibc keeps freed step memory for the next step
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456
mkdir -p "$OUTDIR/classes" bench/results

bench_package
CP="$OUTDIR/classes:target/lcm4j.jar:target/lib/*"
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/ActivationCheckpointBench.java \
  bench/java/dev/lcm4j/bench/GenerationBench.java

# name -> arguments: enough sentences per batch that activations dominate. base, two_tower: the toy archs as published
# (d=1024, 2 layers per stack); base8: 8 layers at d=512 (FFN 2048), where checkpointing saves 7 of 8 layers' activations
config_args() {
  case $1 in
    base)      echo "--arch toy_base_lcm --batch 32 --seq 128" ;;                                 # 2 layers
    base8)     echo "--arch toy_base_lcm --batch 32 --seq 128 --set model_dim=512 --set lcm.num_layers=8 --set lcm.num_attn_heads=8 --set lcm.ffn_inner_dim=2048" ;;
    two_tower) echo "--arch toy_two_tower_diffusion_lcm --batch 16 --seq 128" ;;                  # 2 + 2 layers
    *) echo "unknown config $1 (base, base8, two_tower)" >&2; exit 2 ;;
  esac
}

[[ "${APPEND:-0}" == 1 ]] || : > "$RAW"
for round in $(seq "$FIRST_ROUND" $((FIRST_ROUND + ROUNDS - 1))); do
  for cfg in $CONFIGS; do
    for dt in $DTYPES; do
      # alternate which setting runs first, so that a load change between the two favours neither
      order="false true"; (( round % 2 == 0 )) && order="true false"
      for ck in $order; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        echo "== round $round $cfg $dt checkpoint=$ck (loadavg $load)" >&2
        # shellcheck disable=SC2046
        line=$(timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.ActivationCheckpointBench $(config_args "$cfg") \
          --dtype "$dt" --checkpoint "$ck" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" | tail -1) || line=""
        [[ -z $line ]] && line="{\"failed\": true, \"checkpoint\": $ck}"
        echo "$line" >&2
        echo "$line" | $PY -c "import json,sys; d=json.load(sys.stdin); d.update(config='$cfg', dtype='$dt', round=$round, loadavg_before=$load); print(json.dumps(d))" >> "$RAW"
      done
    done
  done
done

# step time, interleaved in one process: a load change on this shared machine then hits both settings alike
if (( TIMING_PAIRS > 0 )); then
  for cfg in $CONFIGS; do
    for dt in $DTYPES; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      echo "== timing $cfg $dt: $TIMING_PAIRS interleaved pairs (loadavg $load)" >&2
      # shellcheck disable=SC2046
      line=$(timeout "$RUN_TIMEOUT" java -cp "$CP" dev.lcm4j.bench.ActivationCheckpointBench $(config_args "$cfg") \
        --dtype "$dt" --warmup "$WARMUP" --interleave "$TIMING_PAIRS" --threads "$THREADS" | tail -1) || line=""
      [[ -z $line ]] && line="{\"failed\": true, \"interleaved_pairs\": $TIMING_PAIRS}"
      echo "$line" >&2
      echo "$line" | $PY -c "import json,sys; d=json.load(sys.stdin); d.update(config='$cfg', dtype='$dt', loadavg_before=$load, loadavg_after=float(open('/proc/loadavg').read().split()[0])); print(json.dumps(d))" >> "$RAW"
    done
  done
fi

$PY - "$RAW" "$THREADS" > "$RESULT" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"# Activation checkpointing, {sys.argv[1].split('activation_checkpointing-')[-1][:-6]}\n")
print(f"- CPU: {cpu}, {sys.argv[2]} threads; one JVM per run; OMP_WAIT_POLICY=PASSIVE and ./lcm's malloc settings.")
print("- Step: the family's criterion on B x T random concepts (bf16: CPU autocast), backward of loss / #targets, AdamW;"
      " random init, identity normalizer. Peak RSS = VmHWM of the process (MiB); 'step peak over setup' = that peak minus"
      " the peak once model, optimizer and batch are built (activations, gradients, the AdamW moments of the first step);"
      " 'RSS after the last forward' = VmRSS when the timed step's forward is done, before its backward (glibc keeps the"
      " earlier step's freed memory, so it includes that). Load average before each run in the last column: the"
      " machine is shared, ms/step is only as good as the load allows.\n")
print("| config | batch | dtype | params | round | peak RSS off / on MiB | saved | step peak over setup off / on MiB "
      "| RSS after the last forward off / on MiB | ms/step off / on | time x | first loss off / on | load (off/on) |")
print("|" + "---|" * 13)
timing = [r for r in rows if "interleaved_pairs" in r]
rows = [r for r in rows if "interleaved_pairs" not in r]
groups = {}
for r in rows:
    groups.setdefault((r.get("config"), r.get("dtype"), r.get("round")), {})["on" if r.get("checkpoint") else "off"] = r
for (cfg, dt, rnd), g in groups.items():
    a, b = g.get("off", {}), g.get("on", {})
    if a.get("failed") or b.get("failed") or not a or not b:
        print(f"| {cfg} | | {dt} | | {rnd} | failed | | | | | | | |")
        continue
    saved = 100 * (1 - b["peak_rss_mib"] / a["peak_rss_mib"])
    print(f"| {cfg} ({a['arch']}{'' if a['sets'] in ('{}', '{trained_with_cf_guidance=true}') else ' ' + a['sets']}) "
          f"| {a['batch'][0]} x {a['batch'][1]} | {dt} | {a['params'] / 1e6:.1f} M | {rnd} "
          f"| {a['peak_rss_mib']:.0f} / {b['peak_rss_mib']:.0f} | **{saved:.0f}%** "
          f"| {a['step_peak_over_setup_mib']:.0f} / {b['step_peak_over_setup_mib']:.0f} "
          f"| {a['last_step_rss_after_forward_mib']:.0f} / {b['last_step_rss_after_forward_mib']:.0f} "
          f"| {a['median_ms_per_step']:.0f} / {b['median_ms_per_step']:.0f} | {b['median_ms_per_step'] / a['median_ms_per_step']:.2f}x "
          f"| {a['first_loss']:.6g} / {b['first_loss']:.6g} | {a['loadavg_before']}/{b['loadavg_before']} |")
if timing:
    print("\nStep time, one process per config alternating an unchecked and a checkpointed step (after a warm-up step of"
          " each), median over the pairs:\n")
    print("| config | dtype | pairs | ms/step off | ms/step on | time x | all off / all on | load before/after |")
    print("|" + "---|" * 8)
    for t in timing:
        if t.get("failed"):
            print(f"| {t.get('config')} | {t.get('dtype')} | failed | | | | | |")
            continue
        print(f"| {t['config']} | {t['dtype']} | {t['interleaved_pairs']} | {t['median_ms_off']:.0f} | {t['median_ms_on']:.0f} "
              f"| **{t['time_ratio']:.2f}x** | {[round(x) for x in t['ms_off']]} / {[round(x) for x in t['ms_on']]} "
              f"| {t['loadavg_before']}/{t['loadavg_after']} |")
PYEOF
echo >&2
cat "$RESULT"
echo "written: $RESULT (raw: $RAW)" >&2
