#!/usr/bin/env bash
# Lighthouse (mobile profile) on the portal's lookup and items pages; prints performance and accessibility.
# Usage: bench/lighthouse.sh [PORT]   Needs node/npm (installs Lighthouse under bench/lighthouse-tool once)
# and Debian's chromium at /usr/bin/chromium (never downloads a browser).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-5077}"
TOOL=bench/lighthouse-tool
OUT=test-artifacts/lighthouse
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
PYTHON="${PYTHON:-.venv/bin/python}"

if [ ! -x "$TOOL/node_modules/.bin/lighthouse" ]; then
  (cd "$TOOL" && npm install --no-audit --no-fund --loglevel=error)
fi
mkdir -p "$OUT"
INSTANCE="$(mktemp -d)"
LOG="$INSTANCE/server.log"
"$PYTHON" bench/lighthouse_server.py "$PORT" "$INSTANCE" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$INSTANCE"' EXIT
for _ in $(seq 1 100); do grep -q '^SESSION_COOKIE=' "$LOG" && break; sleep 0.1; done
grep -q '^SESSION_COOKIE=' "$LOG" || { cat "$LOG"; exit 1; }
LOOKUP_URL="$(sed -n 's/^LOOKUP_URL=//p' "$LOG")"
ITEMS_URL="$(sed -n 's/^ITEMS_URL=//p' "$LOG")"
COOKIE="$(sed -n 's/^SESSION_COOKIE=//p' "$LOG")"
sleep 0.5

run() {  # name url [extra lighthouse args...]
  local name="$1" url="$2"; shift 2
  "$TOOL/node_modules/.bin/lighthouse" "$url" --quiet --form-factor=mobile \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
    --output=json --output-path="$OUT/$name.json" "$@" >/dev/null
  "$PYTHON" - "$name" "$OUT/$name.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
report = json.load(open(path))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"{name:8} performance={scores['performance']:3} accessibility={scores['accessibility']:3} best-practices={scores['best-practices']:3}")
PY
}

run lookup "$LOOKUP_URL"
run items "$ITEMS_URL" --extra-headers="{\"Cookie\": \"$COOKIE\"}"
echo "reports: $OUT/*.json"
