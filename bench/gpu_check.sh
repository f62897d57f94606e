#!/usr/bin/env bash
# The GPU checks of lcm4j, end to end, for a user with an NVIDIA GPU and a JDK 17 (+ Maven):
#
#   bench/gpu_check.sh                  # builds with -Pgpu, runs every check on cuda, prints a summary
#   bench/gpu_check.sh --dry-run-cpu    # the same steps on the CPU with tiny sizes: checks the script, not a GPU
#
# Steps (each prints one "check ..." line; the script exits non-zero if any failed):
#   1. synthetic data (./lcm data synth) and a normalizer fitted on it (./lcm fit-normalizer);
#   2. 20 training steps of toy_base_lcm and of toy_two_tower_diffusion_lcm with trainer.dtype=torch.float16 on the
#      device (the reference recipes' dtype; the loss must stay finite);
#   3. ./lcm predict of both trained toy models with --device cpu and with the GPU, fp32; the outputs must agree
#      within 1e-4 (NpyCompare);
#   4. one bf16 train step of base_lcm_1_6B and of two_tower_diffusion_lcm_1_6B at the recipes' per-GPU max_tokens
#      (7168 concepts), timed (median of STEPS after WARMUP), with MFU against the GPU's dense bf16 peak.
#
# Environment: WORK (default bench/target/gpu_check, wiped first), STEPS (5), WARMUP (2), TOY_STEPS (20),
# PEAK_BF16_TFLOPS (dense bf16 peak of the GPU; known GPUs are looked up from nvidia-smi's name),
# LCM_CP (class path of lcm4j; default target/lcm4j.jar:target/lib/*), SKIP_BUILD=1, JAVA_OPTS (-Xmx16g).
# The GPU build needs CUDA 13.1, cuDNN 9 and NCCL 2 libraries on the library path (see README, "GPU status").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=gpu
case "${1:-}" in
  --dry-run-cpu) MODE=cpu ;;
  "") ;;
  *) echo "usage: bench/gpu_check.sh [--dry-run-cpu]" >&2; exit 2 ;;
esac
WORK=${WORK:-bench/target/gpu_check}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
TOY_STEPS=${TOY_STEPS:-20}
JAVA_OPTS=${JAVA_OPTS:--Xmx16g}
export OMP_WAIT_POLICY=PASSIVE LCM4J_HOME=$ROOT
rm -rf "$WORK"
mkdir -p "$WORK/classes" "$WORK/cards"
WORK=$(cd "$WORK" && pwd)
export LCM_CARDS_PATH="$WORK/data:$WORK/cards"

if [[ $MODE == gpu ]]; then
  GPU=cuda
  command -v nvidia-smi >/dev/null || { echo "gpu_check: no nvidia-smi; this script needs an NVIDIA GPU (or --dry-run-cpu)" >&2; exit 2; }
  GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  if [[ -z "${PEAK_BF16_TFLOPS:-}" ]]; then
    # dense (no sparsity) bf16 tensor-core peaks from the vendors' data sheets, in TFLOP/s
    case "$GPU_NAME" in
      *H200*) PEAK_BF16_TFLOPS=989 ;;
      *H100*PCIe*) PEAK_BF16_TFLOPS=756 ;;
      *H100*NVL*) PEAK_BF16_TFLOPS=835 ;;
      *H100*) PEAK_BF16_TFLOPS=989 ;;
      *B200*) PEAK_BF16_TFLOPS=2250 ;;
      *A100*) PEAK_BF16_TFLOPS=312 ;;
      *L40S*) PEAK_BF16_TFLOPS=362 ;;
      *A10G*) PEAK_BF16_TFLOPS=70 ;;
      *L4*) PEAK_BF16_TFLOPS=121 ;;
      *) PEAK_BF16_TFLOPS="" ;;
    esac
  fi
  DIM=1024; DOCS=256; MAX_TOKENS=7168; SEQ_LEN=128; TOY_TOKENS=7168; PREDICT_TOL=1e-4
  BASE_OVR="sonar_normalizer_name: gpucheck_norm"
  TT_OVR="sonar_embed_dim: 1024, sonar_normalizer_name: gpucheck_norm, trained_with_cf_guidance: true"
  BIG_BASE_OVR=""; BIG_TT_OVR=""
  BUILD_PROFILE=-Pgpu
else
  # the CPU stands in for the GPU: every step runs, with sizes a laptop does in about a minute
  GPU=auto; GPU_NAME=cpu; PEAK_BF16_TFLOPS=${PEAK_BF16_TFLOPS:-}
  DIM=16; DOCS=24; MAX_TOKENS=256; SEQ_LEN=32; TOY_TOKENS=300; TOY_STEPS=${DRY_TOY_STEPS:-2}; STEPS=${DRY_STEPS:-1}; WARMUP=${DRY_WARMUP:-1}
  PREDICT_TOL=1e-4
  TINY="model_dim: 32, max_seq_len: 256"
  BASE_OVR="sonar_embed_dim: 16, $TINY, sonar_normalizer_name: gpucheck_norm, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}"
  TT_OVR="sonar_embed_dim: 16, $TINY, sonar_normalizer_name: gpucheck_norm, trained_with_cf_guidance: true, context_encoder: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}, denoiser: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64, timestep_embed_dim: 32}"
  BIG_BASE_OVR="{$BASE_OVR}"; BIG_TT_OVR="{$TT_OVR}"
  BUILD_PROFILE=""
fi

# --- build ---------------------------------------------------------------------------------------------------
if [[ -z "${LCM_CP:-}" ]]; then
  if [[ "${SKIP_BUILD:-0}" != 1 || ! -f target/lcm4j.jar ]]; then
    echo "== mvn $BUILD_PROFILE package" >&2
    mvn -q -o $BUILD_PROFILE -DskipTests package || mvn -q $BUILD_PROFILE -DskipTests package
  fi
  LCM_CP="target/lcm4j.jar:target/lib/*"
fi
javac -nowarn -d "$WORK/classes" -cp "$LCM_CP" bench/java/dev/lcm4j/bench/NpyCompare.java bench/java/dev/lcm4j/bench/DeviceStepBench.java
CP="$WORK/classes:$LCM_CP"
lcm() { java $JAVA_OPTS -cp "$CP" dev.lcm4j.cli.Main "$@"; }

FAILED=0
check() {  # name status detail
  echo "check $1: $2 $3"
  [[ $2 == ok ]] || FAILED=1
}

echo "== gpu_check mode=$MODE device=$GPU ($GPU_NAME) work=$WORK" >&2

# --- 1. data ---------------------------------------------------------------------------------------------------
lcm data synth --output "$WORK/data" --name gpucheck --docs "$DOCS" --dim "$DIM" --seed 1 >&2
lcm fit-normalizer --ds gpucheck=train --save_path "$WORK/cards/gpucheck_norm.pt" --card_name gpucheck_norm >&2
VAL=$(find "$WORK/data" -path '*split=validation*' -name '*.parquet' | sort | head -1)

# --- 2. fp16 training of the toy archs on the device -----------------------------------------------------------
train_toy() {  # name recipe arch overrides
  local out="$WORK/$1" log="$WORK/$1.log"
  if lcm train "+pretrain=$2" "++trainer.output_dir=$out" "++trainer.model_arch=$3" "++trainer.model_arch_overrides={$4}" \
      '++trainer.training_data=[{name: gpucheck=train}]' '++trainer.validation_data=[]' ++trainer.dtype=torch.float16 \
      "++trainer.max_steps=$TOY_STEPS" ++trainer.num_lr_warmup_steps=2 "++trainer.checkpoint_every_n_steps=$TOY_STEPS" \
      "++trainer.save_model_every_n_steps=$TOY_STEPS" ++trainer.publish_metrics_every_n_steps=1 \
      "++trainer.data_loading_config.max_tokens=$TOY_TOKENS" "++trainer.device=$GPU" >"$log" 2>&1; then
    local last
    last=$(grep -o 'last loss [^;]*' "$log" | tail -1 | cut -d' ' -f3)
    if [[ -n $last && $last != NaN && $last != *Infinity* ]]; then
      check "train $3 fp16 $TOY_STEPS steps" ok "(last loss $last; $log)"
    else
      check "train $3 fp16 $TOY_STEPS steps" FAILED "(last loss '$last'; $log)"
    fi
  else
    check "train $3 fp16 $TOY_STEPS steps" FAILED "(exit status $?; $(grep '^error' "$log" | head -1); $log)"
  fi
}
train_toy toy_base mse toy_base_lcm "$BASE_OVR"
train_toy toy_two_tower two_tower toy_two_tower_diffusion_lcm "$TT_OVR"

# --- 3. predict: CPU vs GPU, fp32 --------------------------------------------------------------------------------
for m in toy_base toy_two_tower; do
  if [[ -f "$WORK/$m/model_card.yaml" ]] \
      && lcm predict --model_card "$WORK/$m" --input "$VAL" --output "$WORK/$m.pred_cpu.npy" --device cpu --seed 42 >&2 \
      && lcm predict --model_card "$WORK/$m" --input "$VAL" --output "$WORK/$m.pred_gpu.npy" --device "$GPU" --seed 42 >&2; then
    if line=$(java -cp "$CP" dev.lcm4j.bench.NpyCompare "$WORK/$m.pred_cpu.npy" "$WORK/$m.pred_gpu.npy" "$PREDICT_TOL"); then
      check "predict $m cpu vs $GPU" ok "$line"
    else
      check "predict $m cpu vs $GPU" FAILED "$line"
    fi
  else
    check "predict $m cpu vs $GPU" FAILED "(no trained model or predict failed)"
  fi
done

# --- 4. bf16 train step of the 1.6B archs at the recipe's max_tokens ------------------------------------------------
for arch in base_lcm_1_6B two_tower_diffusion_lcm_1_6B; do
  ovr=$BIG_BASE_OVR; [[ $arch == two_tower* ]] && ovr=$BIG_TT_OVR
  args=(--arch "$arch" --device "$GPU" --max_tokens "$MAX_TOKENS" --seq_len "$SEQ_LEN" --steps "$STEPS" --warmup "$WARMUP")
  [[ -n $ovr ]] && args+=(--overrides "$ovr")
  [[ -n ${PEAK_BF16_TFLOPS:-} ]] && args+=(--peak_bf16_tflops "$PEAK_BF16_TFLOPS")
  if line=$(java $JAVA_OPTS -cp "$CP" dev.lcm4j.bench.DeviceStepBench "${args[@]}" 2>"$WORK/$arch.step.log" | tail -1) && [[ -n $line ]]; then
    check "bf16 step $arch" ok "$line"
  else
    check "bf16 step $arch" FAILED "($(tail -3 "$WORK/$arch.step.log" | tr '\n' ' '))"
  fi
done
[[ -z ${PEAK_BF16_TFLOPS:-} ]] && echo "note: MFU not computed: no dense bf16 peak known for '$GPU_NAME'; set PEAK_BF16_TFLOPS" >&2

if [[ $FAILED == 0 ]]; then echo "gpu_check ($MODE): all checks passed"; else echo "gpu_check ($MODE): some checks FAILED"; fi
exit $FAILED
