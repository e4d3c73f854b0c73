#!/usr/bin/env bash
# Runs every test of gridmap on a fresh Debian machine with Rust, Node/npm and Python:
# installs what is missing, then Rust unit/integration tests (the PostGIS store's against a
# real PostgreSQL + PostGIS), the web map's unit tests and the browser tests in real
# headless Chromium against a real `gridmap serve`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh --browser --postgis --pdf

# A clean build gains nothing from incremental caches, which would double the target
# directory; every cargo call below selects the whole workspace so that dependencies are
# built once, with one set of features.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "==> cargo build (the binary the browser tests start)"
cargo build --workspace --locked

echo "==> cargo test"
# Property tests draw their cases from a fixed seed here, so a run is the same on every
# machine (cases found failing are kept in the *.proptest-regressions files and always
# run first); run without it locally to explore new cases.
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261202}"
cargo test --workspace --locked

echo "==> HTTP tests again, on the PostGIS store"
GRIDMAP_TEST_STORE=postgis cargo test --workspace --test http --locked

echo "==> core stays pure (no IO crates)"
if cargo tree -p gridmap-core -e normal --prefix none | grep -qE '^(tokio|sqlx|axum|hyper|reqwest|gridmap-synth) '; then
  echo "gridmap-core depends on an IO crate or on gridmap-synth" >&2
  exit 1
fi

echo "==> web map unit tests"
(cd web && npm test --silent)

echo "==> browser tests (headless Chromium)"
(cd tests/browser && GRIDMAP_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/gridmap" npm test --silent)
