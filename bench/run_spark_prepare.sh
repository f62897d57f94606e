#!/usr/bin/env bash
# Spark local[2] against the standalone ./lcm prepare, on the same 2 cores and the same input: the built-in Europarl
# corpus (its English documents, language filter on, as the demo prepares it), the default encoder (MiniLM), the
# same seed. Prints documents/s of both (whole command, JVM start and encoder load included), Spark's phases, and
# checks that the two datasets are the same files byte for byte.
#
#   bench/run_spark_prepare.sh                        # builds (both modules), 600 documents, 2 rounds
#   DOCS=1200 ROUNDS=3 SKIP_BUILD=1 bench/run_spark_prepare.sh
#
# Environment: DOCS (600), ROUNDS (2), CORES (2: --threads of the standalone run, N of local[N]; taskset pins both
# to the first CORES cores when available), SHARD (--shard-size, 100), WORK (bench/target/spark_prepare, wiped).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCS=${DOCS:-600}
ROUNDS=${ROUNDS:-2}
CORES=${CORES:-2}
SHARD=${SHARD:-100}
WORK=${WORK:-bench/target/spark_prepare}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$CORES
[ "${SKIP_BUILD:-0}" = 1 ] || mvn -q -o -DskipTests package || mvn -q -DskipTests package
rm -rf "$WORK"
mkdir -p "$WORK"
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c "0-$((CORES - 1))")

run() {  # name extra-args... ; prints "seconds"
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "${PIN[@]}" ./lcm prepare --input europarl --max-docs "$DOCS" --shard-size "$SHARD" --seed 0 --no-bank \
      --output "$WORK/$name" --name bench --overwrite "$@" >"$WORK/$name.log" 2>&1 \
    || { echo "run_spark_prepare: $name failed, see $WORK/$name.log" >&2; tail -3 "$WORK/$name.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# one untimed run of each first: builds ./lcm's on-demand parts and warms the page cache
run standalone --threads "$CORES" >/dev/null
run spark --engine spark --threads "$CORES" >/dev/null
printf "%-12s %5s %9s %10s   %s\n" engine round seconds "docs/s" "spark phases"
for r in $(seq 1 "$ROUNDS"); do
  s=$(run standalone --threads "$CORES")
  printf "%-12s %5d %9.1f %10.1f\n" standalone "$r" "$s" "$(echo "$DOCS / $s" | bc -l)"
  s=$(run spark --engine spark --threads "$CORES")
  phases=$(grep '^spark phases' "$WORK/spark.log" | sed 's/^spark phases (s): //')
  printf "%-12s %5d %9.1f %10.1f   %s\n" "local[$CORES]" "$r" "$s" "$(echo "$DOCS / $s" | bc -l)" "$phases"
done
grep -h '^split=' "$WORK/standalone.log"
same=1
for f in $(cd "$WORK/standalone" && find . -name '*.parquet' -o -name datacard.yaml | sort); do
  cmp -s "$WORK/standalone/$f" "$WORK/spark/$f" || { echo "DIFFERENT: $f"; same=0; }
done
[ $same = 1 ] && echo "datasets: identical (every parquet file and datacard.yaml byte for byte)"
