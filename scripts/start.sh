#!/usr/bin/env bash
# The README's first command: install the app and start it on its embedded default
# (SQLite under instance/, jobs in the web process), with the demo shop loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
# `--port N` (or `--port=N`) also sets the address the demo prints and links use, unless APP_URL says otherwise.
port=""
prev=""
for arg in "$@"; do
  case "$arg" in
    --port=*) port="${arg#--port=}" ;;
    *) if [ "$prev" = "--port" ]; then port="$arg"; fi ;;
  esac
  prev="$arg"
done
if [ -n "$port" ] && [ -z "${APP_URL:-}" ]; then
  export APP_URL="http://127.0.0.1:$port"
fi
.venv/bin/returns-connector db upgrade
.venv/bin/returns-connector demo
exec .venv/bin/returns-connector serve "$@"
