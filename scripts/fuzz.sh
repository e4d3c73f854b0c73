#!/usr/bin/env bash
# Fuzzes the importers and the request parsers with cargo-fuzz (libFuzzer) for a fixed
# time per target (issue #13); not part of scripts/test.sh.
#
#   scripts/fuzz.sh                  # every target, 5 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh http csv
#
# Targets (fuzz/fuzz_targets): geojson, csv, osm (the importers on any bytes), codes
# (division/grid codes, scopes, tile coordinates, layer lists, time windows) and http
# (any path and query through the whole router; a 500 counts as a crash).
# The corpus grows in fuzz/corpus/<target> (kept in git, minimised at the end; but for
# osm, whose inputs are whole extracts, tens of megabytes: that one stays local). Seeds
# are fuzz/seeds/<target> and, for osm, data/osm/kotka.osm.pbf. A crash leaves its input
# in fuzz/artifacts/<target>/ and makes this script fail: turn it into a regression test
# beside the code it broke, fix it, and delete the artifact.
#
# cargo-fuzz needs unstable compiler flags (sanitizers): RUSTC_BOOTSTRAP=1 lets the
# machine's stable toolchain take them, so no nightly is needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-300}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(codes csv geojson osm http)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
# The fuzz workspace resolves the project's dependencies at the project's versions.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

crashed=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds+=("fuzz/seeds/$target")
  max_len=65536
  if [ "$target" = osm ]; then
    mkdir -p "$corpus.seed" && cp data/osm/kotka.osm.pbf "$corpus.seed/"
    seeds+=("$corpus.seed")
    max_len=200000
  fi
  echo "==> $target for ${seconds} s"
  if ! cargo fuzz run --release "$target" "$corpus" "${seeds[@]}" -- \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len="$max_len" \
      -print_final_stats=1 2>"fuzz/$target.log"; then
    crashed+=("$target")
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "fuzz/$target.log" | head -20 >&2 || true
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
    "fuzz/$target.log" | sed "s/^/  $target /" || true
  rm -rf "$corpus.seed"
  # Keep the corpus small in git: only inputs that add coverage.
  cargo fuzz cmin --release "$target" "$corpus" -- -max_len="$max_len" >/dev/null 2>&1 || true
  echo "  $target corpus: $(find "$corpus" -type f | wc -l) inputs"
done

if [ ${#crashed[@]} -gt 0 ]; then
  echo "crashes in: ${crashed[*]} (inputs in fuzz/artifacts/; logs in fuzz/<target>.log)" >&2
  exit 1
fi
echo "no crashes"
