#!/usr/bin/env bash
# The gridmap demo on a fresh Debian machine: installs what is missing, builds, generates
# a synthetic county (Chinese names and division codes), partitions it into grids and
# serves the map at http://127.0.0.1:8080 (Ctrl-C stops it). Extra arguments go to
# `gridmap demo`, e.g. scripts/demo.sh --households 100000 --bind 127.0.0.1:8090 (the demo
# serves only this machine; it prints the password of its account `demo` once)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
cargo build --release -p gridmap --locked
exec "${CARGO_TARGET_DIR:-$root/target}/release/gridmap" demo "$@"
