#!/usr/bin/env bash
# CI entry point for the VS Code client: install, typecheck, lint, build, unit tests, webview tests,
# package the .vsix, then the end-to-end run in real VS Code (code-server). Works on a fresh
# machine as root (installs Chromium with apt and code-server with the shared script).
# Ends with one line "N passed, N failed[, N skipped]" summing all test layers.
#
# Env: BYOK_CODE_SERVER_DIR  where code-server is installed/cached (default ~/.cache/byok-vscode-e2e/code-server)
#      BYOK_SKIP_E2E=1        skip the code-server layer
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repo=$(cd "$here/.." && pwd)
shared_tools="$repo/../shared/tools"
cs_dir=${BYOK_CODE_SERVER_DIR:-$HOME/.cache/byok-vscode-e2e/code-server}
reports="$here/test-artifacts/reports"
cd "$here"
rm -rf "$reports"
mkdir -p "$reports"
export BYOK_CODE_SERVER_DIR="$cs_dir"

section() { printf '\n=== %s (%ss)\n' "$1" "$SECONDS"; }

section "npm ci"
npm ci --no-audit --no-fund

section "typecheck"
npm run --silent typecheck

section "lint"
npm run --silent lint

section "build"
npm run --silent build

section "Chromium"
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
ls -l /usr/bin/chromium

rm -rf out
npx tsc -p tsconfig.test.json

failed_layers=()
# run_layer NAME FILES... : node --test with spec output on stdout and TAP into a report file.
run_layer() {
  local name=$1
  shift
  section "tests: $name"
  if ! node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$reports/$name.tap" "$@"; then
    failed_layers+=("$name")
  fi
}

run_layer unit out/test/unit/*.test.js
run_layer webview out/test/webview/*.test.js

section "package"
npm run --silent package
ls -l byok-ls.vsix

if [ "${BYOK_SKIP_E2E:-0}" != 1 ]; then
  section "code-server"
  if [ ! -x "$cs_dir/node_modules/.bin/code-server" ]; then
    bash "$shared_tools/install-code-server.sh" "$cs_dir"
  fi
  py="$repo/.venv/bin/python"
  if ! (cd "$repo" && "$py" -c 'import byok_ls, tests.fakes') >/dev/null 2>&1; then
    section "Python venv for the server"
    [ -x "$py" ] || python3 -m venv "$repo/.venv"
    "$py" -m pip install -q -e "$repo[dev]"
  fi
  run_layer e2e out/test/e2e/*.test.js
fi

section "summary"
pass=0 fail=0 skip=0
for f in "$reports"/*.tap; do
  [ -f "$f" ] || continue
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$f" | tail -1)
  x=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$f" | tail -1)
  s=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$f" | tail -1)
  if [ -z "$p" ] && [ -z "$x" ]; then
    # A layer that crashed before its summary counts as one failure.
    x=1
  fi
  printf '%-8s %s passed, %s failed, %s skipped\n' "$(basename "$f" .tap)" "${p:-0}" "${x:-0}" "${s:-0}"
  pass=$((pass + ${p:-0})) fail=$((fail + ${x:-0})) skip=$((skip + ${s:-0}))
done
if ((${#failed_layers[@]})) && ((fail == 0)); then fail=${#failed_layers[@]}; fi
echo "took ${SECONDS}s"
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
