#!/bin/sh
# Check (and, as root, install) the Debian packages mtok builds and runs with.
#   tools/deps.sh            core build + tests
#   tools/deps.sh --extra    also what long benchmarks, fuzzing and report screenshots use
#   tools/deps.sh --fuzz     also clang with libFuzzer and the sanitizer runtimes (make fuzz)
set -eu
pkgs="build-essential cmake pkg-config libsqlite3-dev libcurl4-openssl-dev libcjson-dev
      libpapi-dev papi-tools gnuplot-nox sqlite3 python3 git ca-certificates libssl-dev"
if [ "${1:-}" = "--extra" ]; then
    pkgs="$pkgs clang libclang-rt-14-dev llvm libopenblas-dev chromium"
fi
if [ "${1:-}" = "--fuzz" ]; then
    pkgs="$pkgs clang libclang-rt-14-dev"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "mtok: installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
else
    echo "mtok: missing Debian packages. Run:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
fi
