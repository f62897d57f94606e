# Shared by the bench/run_*.sh scripts, which source it from the repository root.

# Builds target/lcm4j.jar and target/lib/ (the core module) unless SKIP_BUILD=1 and the jar exists.
bench_package() {
  if [[ "${SKIP_BUILD:-0}" != 1 || ! -f target/lcm4j.jar ]]; then
    echo "== mvn package" >&2
    mvn -q -o -f lcm4j-core.xml -DskipTests package || mvn -q -f lcm4j-core.xml -DskipTests package
  fi
}

# Stops unless $OPENBLAS_DIR holds the pthread OpenBLAS that the PyTorch side runs on.
require_openblas() {
  if [[ ! -e "$OPENBLAS_DIR/libblas.so.3" ]]; then
    echo "missing $OPENBLAS_DIR/libblas.so.3: apt-get install libopenblas0-pthread (Debian torch's default BLAS is the slow reference one)" >&2
    exit 1
  fi
}
