#!/usr/bin/env bash
# The main job on the embedded default: synthetic concept data -> normalizer -> MSE LCM training -> prediction and
# generation, all offline on CPU. Usage: examples/quickstart.sh [OUTPUT_DIR] (default: ./runs/quickstart)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/runs/quickstart}" && cd "${1:-$ROOT/runs/quickstart}" && pwd)"
LCM="$ROOT/lcm"
STEPS="${QUICKSTART_STEPS:-120}"

echo "== 1/5 synthetic dataset (1024-d concepts, smooth walks on the sphere)"
[ -f "$OUT/data/datacard.yaml" ] || "$LCM" data synth --output "$OUT/data" --name quickstart --docs 400 --dim 1024 --seed 0
export LCM_CARDS_PATH="$OUT/data:$OUT/cards${LCM_CARDS_PATH:+:$LCM_CARDS_PATH}"
"$LCM" data stats "$OUT/data"

echo "== 2/5 fit a normalizer on the training split"
mkdir -p "$OUT/cards"
[ -f "$OUT/cards/quickstart_normalizer.pt" ] || "$LCM" fit-normalizer --ds quickstart=train --save_path "$OUT/cards/quickstart_normalizer.pt" \
  --max_nb_samples 100000 --card_name quickstart_normalizer

echo "== 3/5 train an MSE LCM (toy_base_lcm, 2 layers, d=1024) for $STEPS steps; re-running resumes"
"$LCM" train +pretrain=mse ++trainer.output_dir="$OUT/train" ++trainer.model_arch=toy_base_lcm \
  '++trainer.model_arch_overrides={sonar_normalizer_name: quickstart_normalizer}' \
  '++trainer.training_data=[{name: quickstart=train}]' '++trainer.validation_data=[{name: quickstart=validation}]' \
  ++trainer.dtype=torch.float32 ++trainer.max_steps="$STEPS" ++trainer.num_lr_warmup_steps=10 ++trainer.lr=0.002 \
  ++trainer.data_loading_config.max_tokens=1024 ++trainer.checkpoint_every_n_steps=40 ++trainer.save_model_every_n_steps=40 \
  ++trainer.validate_every_n_steps=40 ++trainer.publish_metrics_every_n_steps=10

echo "== 4/5 teacher-forced next-sentence prediction on the validation split"
VAL="$(find "$OUT/data" -path '*split=validation*' -name '*.parquet' | head -1)"
"$LCM" predict --model_card "$OUT/train" --input "$VAL" --output "$OUT/predictions.parquet"

echo "== 5/5 generate 8 concepts after 4-concept prompts"
"$LCM" generate --model_card "$OUT/train" --input "$VAL" --prompt_len 4 --max_gen_len 8 --output "$OUT/generated.parquet"

echo "done: model card $OUT/train/model_card.yaml, metrics $OUT/train/metrics.jsonl, TensorBoard logs $OUT/train/tb"
