#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what it needs, lints, type-checks,
# runs the Python suite, then the VS Code client's tests (unit, webview, real VS Code).
#   bash tests/run.sh            everything
#   BYOK_SKIP_VSCODE=1 bash tests/run.sh   the Python side only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

echo "== ruff"
.venv/bin/ruff check server tests benchmarks
.venv/bin/ruff format --check server tests benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"

if [ "${BYOK_SKIP_VSCODE:-0}" != "1" ] && [ -f vscode-client/scripts/ci.sh ]; then
  echo "== VS Code client"
  bash vscode-client/scripts/ci.sh
fi
