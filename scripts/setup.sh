#!/usr/bin/env bash
# Installs what gridmap needs beyond Rust, Node/npm and Python on a fresh Debian machine:
# Debian packages for the browser tests and Chinese labels, and the web map's npm packages.
# Idempotent: skips what is already there. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need_apt=()
want_browser="${1:-}"
if [ "$want_browser" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
fi
# A CJK font so Chinese village and township names render (MapLibre draws them locally).
fc-list 2>/dev/null | grep -qiE 'wenquanyi|noto sans cjk' || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

echo "==> web map: npm packages and glyphs"
cd "$root/web"
if [ ! -d node_modules/maplibre-gl ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

if [ "$want_browser" = "--browser" ]; then
  echo "==> browser tests: playwright-core"
  cd "$root/tests/browser"
  if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
