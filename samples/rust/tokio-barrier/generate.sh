#!/usr/bin/env bash
# Regenerates samples/rust/tokio-barrier/taskdump.txt: the tokio task dump
# (Handle::dump()) of programs/barrier-short, three shard loaders waiting
# forever at a tokio::sync::Barrier sized for four (tokio's Barrier waits on
# a watch channel inside), beside a healthy interval ticker.
# Needs cargo/rustc (x86-64 or aarch64 Linux: tokio's task dumps exist only
# there) and crates.io (or the crates in cargo's cache). Machine paths are
# remapped at build time to neutral ones: the build dir to
# /home/build/rust/tokio-barrier, cargo's registry sources to
# /home/build/.cargo/registry/src.
# Usage: bash samples/rust/tokio-barrier/generate.sh
# CARGO_TARGET_DIR, when set, is where the program is built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root=/home/build/rust/tokio-barrier
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target=${CARGO_TARGET_DIR:-$build/target}
mkdir -p "$build/src"
cp -r "$here/programs/barrier-short" "$build/src/barrier-short"
export RUSTFLAGS="--cfg tokio_unstable --remap-path-prefix=$build/src=$root --remap-path-prefix=$cargo_home/registry/src=/home/build/.cargo/registry/src"
(cd "$build/src/barrier-short" && CARGO_TARGET_DIR=$target cargo build -q --locked)
env -u RUST_BACKTRACE "$target/debug/barrier-short" >"$here/taskdump.txt"
grep -q "tokio::sync::barrier::Barrier::wait" "$here/taskdump.txt"
if grep -lF -e "$build" -e "$HOME/" "$here/taskdump.txt"; then
  echo "machine paths left in taskdump.txt" >&2
  exit 1
fi
ls -l "$here"
