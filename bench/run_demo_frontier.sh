#!/usr/bin/env bash
# What simple predictors fitted in closed form reach on the demo's data (teacher-forced l2 and the paper's CA), beside
# the baselines the demo's models are compared with. Independent of lcm4j's evaluator: NumPy (bench/python/
# demo_frontier.py) on the concept vectors of the demo's prepared dataset, dumped to .npy by ConceptDump.
#
#   ./lcm demo && bench/run_demo_frontier.sh          # DEMO_DIR (default runs/demo) must hold the demo's data/
#
# Prints a markdown table and writes it to bench/results/demo-frontier-<date>.md. Under a minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DEMO_DIR=${DEMO_DIR:-runs/demo}
PY=${PY:-/usr/bin/python3}
STAMP=$(date +%Y-%m-%d)
OUT=bench/target
RESULT=bench/results/demo-frontier-$STAMP.md
if [[ ! -f "$DEMO_DIR/data/datacard.yaml" ]]; then
  echo "no prepared demo data in $DEMO_DIR/data: run ./lcm demo first (or set DEMO_DIR to its --output)" >&2
  exit 2
fi
if ! "$PY" -c "import numpy" 2>/dev/null; then
  echo "$PY has no numpy: apt-get install python3-numpy (or set PY)" >&2
  exit 2
fi
bench_package
mkdir -p "$OUT/classes" "$OUT/demo-frontier" bench/results
javac -d "$OUT/classes" -cp "target/lcm4j.jar:target/lib/*" bench/java/dev/lcm4j/bench/ConceptDump.java
java -cp "$OUT/classes:target/lcm4j.jar:target/lib/*" dev.lcm4j.bench.ConceptDump "$DEMO_DIR/data" "$OUT/demo-frontier" >&2
tmp=$(mktemp "$RESULT.XXXXXX")
{
  echo "# Demo frontier, $STAMP"
  echo
  echo "\`bench/run_demo_frontier.sh\` on \`$(basename "$DEMO_DIR")/data\` (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))."
  echo
  "$PY" bench/python/demo_frontier.py "$OUT/demo-frontier" --eval_dir "$DEMO_DIR"
} > "$tmp"
mv "$tmp" "$RESULT"
cat "$RESULT"
echo "written: $RESULT" >&2
