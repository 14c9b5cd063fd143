#!/usr/bin/env bash
# Regenerates samples/rust/v0-ice/:
#   panic-v0-full.txt  RUST_BACKTRACE=full of programs/loader.rs built with
#                      -C symbol-mangling-version=v0: every frame is a v0 path
#                      (`std[hash]::`, `core[hash]::`, `loader[hash]::`)
#   panic-v0-1.txt     the same with RUST_BACKTRACE=1
#   ice.txt            rustc +nightly -Z treat-err-as-bug=1 on programs/ice.rs
#                      with RUST_BACKTRACE=1: an internal compiler error
# Needs rustc (stable) and a nightly toolchain (rustup toolchain install nightly).
# The build directory is rewritten to /home/build/rust/v0-ice; rustc's ICE
# file name (it holds a date and a pid) is kept as rustc printed it.
# Usage: bash samples/rust/v0-ice/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
root=/home/build/rust/v0-ice
trap 'rm -rf "$build"' EXIT
cp "$here/programs/"*.rs "$build/"
cd "$build"
neutral() { sed -e "s#$build#$root#g" -e "s#$HOME/#/home/build/#g"; }
rustc -g -C symbol-mangling-version=v0 -o loader loader.rs
(RUST_BACKTRACE=full ./loader bad 2>&1 || true) | neutral >"$here/panic-v0-full.txt"
(RUST_BACKTRACE=1 ./loader bad 2>&1 || true) | neutral >"$here/panic-v0-1.txt"
(RUST_BACKTRACE=1 rustc +nightly -Z treat-err-as-bug=1 ice.rs 2>&1 || true) | neutral >"$here/ice.txt"
rm -f rustc-ice-*.txt
grep -q "internal compiler error" "$here/ice.txt"
grep -q "core\[" "$here/panic-v0-full.txt"
if grep -rlF -e "$build" -e "$HOME/" "$here"/*.txt; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
ls -l "$here"
