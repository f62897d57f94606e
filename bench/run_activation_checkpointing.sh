#!/usr/bin/env bash
# Activation checkpointing (trainer.activation_checkpointing): peak RSS and step time of a training step with and
# without it, one fresh JVM per setting (VmHWM is the process's peak), both families.
#
#   bench/run_activation_checkpointing.sh                       # configs below, 1 warm-up + 1 timed step, 1 round
#   ROUNDS=2 STEPS=2 DTYPES="fp32 bf16" SKIP_BUILD=1 bench/run_activation_checkpointing.sh
#   CONFIGS="base8" bench/run_activation_checkpointing.sh       # a subset (names below)
#
# Writes bench/results/activation_checkpointing-<date>.md (table) and bench/target/activation_checkpointing-<date>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-$(nproc)}
STEPS=${STEPS:-1}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-1}
DTYPES=${DTYPES:-fp32}
CONFIGS=${CONFIGS:-"base two_tower base8"}
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

if [[ "${SKIP_BUILD:-0}" != 1 || ! -f target/lcm4j.jar ]]; then
  echo "== mvn package" >&2
  mvn -q -o -DskipTests package || mvn -q -DskipTests package
fi
CP="$OUTDIR/classes:target/lcm4j.jar:target/lib/*"
javac -d "$OUTDIR/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/ActivationCheckpointBench.java \
  bench/java/dev/lcm4j/bench/GenerationBench.java

# name -> arguments: the archs as published at d=1024, with enough sentences per batch that activations dominate
config_args() {
  case $1 in
    base)      echo "--arch toy_base_lcm --batch 32 --seq 128" ;;                                 # 2 layers
    base8)     echo "--arch toy_base_lcm --batch 16 --seq 128 --set lcm.num_layers=8" ;;          # 8 layers
    two_tower) echo "--arch toy_two_tower_diffusion_lcm --batch 16 --seq 128" ;;                  # 2 + 2 layers
    *) echo "unknown config $1 (base, base8, two_tower)" >&2; exit 2 ;;
  esac
}

: > "$RAW"
for round in $(seq "$ROUNDS"); do
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

$PY - "$RAW" "$THREADS" > "$RESULT" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"# Activation checkpointing, {sys.argv[1].split('activation_checkpointing-')[-1][:-6]}\n")
print(f"- CPU: {cpu}, {sys.argv[2]} threads; one JVM per run; OMP_WAIT_POLICY=PASSIVE and ./lcm's malloc settings.")
print("- Step: the family's criterion on B x T random concepts (bf16: CPU autocast), backward of loss / #targets, AdamW;"
      " random init, identity normalizer. Peak RSS = VmHWM of the process (MiB); 'after setup' = model, optimizer and"
      " batch built, before the first step; 'timed step' = peak of the timed steps alone (VmHWM reset after the warm-up"
      " step, which also allocates the AdamW moments). Load average before each run in the last column.\n")
print("| config | batch | dtype | params | round | peak RSS off / on MiB | saved | step peak over setup off / on MiB "
      "| timed-step peak off / on MiB | ms/step off / on | time x | first loss off / on | load (off/on) |")
print("|" + "---|" * 13)
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
          f"| {a['timed_steps_peak_rss_mib']:.0f} / {b['timed_steps_peak_rss_mib']:.0f} "
          f"| {a['median_ms_per_step']:.0f} / {b['median_ms_per_step']:.0f} | {b['median_ms_per_step'] / a['median_ms_per_step']:.2f}x "
          f"| {a['first_loss']:.6g} / {b['first_loss']:.6g} | {a['loadavg_before']}/{b['loadavg_before']} |")
PYEOF
echo >&2
cat "$RESULT"
echo "written: $RESULT (raw: $RAW)" >&2
