#!/usr/bin/env bash
# Installs what gridmap needs beyond Rust, Node/npm and Python on a fresh Debian machine:
# PROJ (coordinate systems) to build and run, Debian packages for the browser tests and
# Chinese labels, PostgreSQL 15 with PostGIS 3 for the shared store's tests, and the web
# map's npm packages.
# Idempotent: skips what is already there. Run by scripts/demo.sh (no options) and
# scripts/test.sh (--browser --postgis --pdf).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need_apt=()
want_browser=""
want_postgis=""
want_pdf=""
for option in "$@"; do
  case "$option" in
    --browser) want_browser=1 ;;
    --postgis) want_postgis=1 ;;
    --pdf) want_pdf=1 ;;
    *) echo "setup.sh: unknown option $option (known: --browser --postgis --pdf)" >&2; exit 2 ;;
  esac
done
if [ -n "$want_browser" ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
fi
if [ -n "$want_postgis" ]; then
  [ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15)
  [ -f /usr/share/postgresql/15/extension/postgis.control ] || need_apt+=(postgresql-15-postgis-3)
  command -v pg_dump >/dev/null || need_apt+=(postgresql-client-15)
fi
# pdftotext and pdftoppm, which the printout tests read the PDFs with.
if [ -n "$want_pdf" ]; then
  command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
fi
# PROJ for the importers' coordinate systems: the library and its proj.db (found by
# pkg-config when building, at run time by the binary), and libclang for the bindings.
pkg-config --exists proj 2>/dev/null || need_apt+=(pkg-config libproj-dev)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need_apt+=(libclang-dev)
# A CJK font so Chinese village and township names render (MapLibre draws them locally),
# and the one `gridmap print` embeds in its PDFs.
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

if [ -n "$want_postgis" ]; then
  # The tests make and drop scratch databases on this server (GRIDMAP_TEST_POSTGRES).
  server="${GRIDMAP_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
  if ! psql "$server" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    echo "==> starting PostgreSQL 15"
    pg_ctlcluster --skip-systemctl-redirect 15 main start 2>/dev/null \
      || pg_ctlcluster 15 main start 2>/dev/null || true
    for _ in $(seq 30); do
      psql "$server" -qAtc 'SELECT 1' >/dev/null 2>&1 && break
      sleep 1
    done
  fi
  if ! psql "$server" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    echo "setup.sh: cannot reach PostgreSQL at $server; the PostGIS tests need a server where" >&2
    echo "  that user may create databases: start it (pg_ctlcluster 15 main start) or set" >&2
    echo "  GRIDMAP_TEST_POSTGRES to such a server's URL" >&2
    exit 1
  fi
fi

if [ -n "$want_browser" ]; then
  echo "==> browser tests: playwright-core"
  cd "$root/tests/browser"
  if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
