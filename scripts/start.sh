#!/usr/bin/env bash
# The README's first command: install the app and start it on its embedded default
# (SQLite under instance/, jobs in the web process), with the demo shop loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
.venv/bin/returns-connector db upgrade
.venv/bin/returns-connector demo
exec .venv/bin/returns-connector serve "$@"
