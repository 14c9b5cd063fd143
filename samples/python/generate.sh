#!/usr/bin/env bash
# Regenerates the Python thread-dump samples in samples/python/ by running the
# programs in samples/python/programs/ until every thread is blocked, then
# capturing them with faulthandler and py-spy. Needs python3 (CPython 3.11,
# for the line numbers and frames in expected.json to match the dumps) and
# py-spy (installed with pip when missing); py-spy attaches with ptrace, so
# run it as root or with kernel.yama.ptrace_scope=0.
#   bash samples/python/generate.sh
#   ONLY="lock-deadlock rlock-convoy" bash samples/python/generate.sh
# Paths of the machine are replaced by neutral ones: the programs' directory
# by /home/build/python, the interpreter's prefix by /usr (so the standard
# library reads /usr/lib/python3.11). Nothing else in a dump is changed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
progs=$here/programs
PYTHON=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ beside the programs
# the interpreter itself, not a wrapper script: its pid is the one to dump
pybin=$("$PYTHON" -c 'import sys; print(sys.executable)')
prefix=$("$pybin" -c 'import sys; print(sys.base_prefix)')
command -v py-spy >/dev/null || "$pybin" -m pip install -q py-spy
PYSPY=${PYSPY:-py-spy}
python_version=$("$pybin" --version)
pyspy_version=$("$PYSPY" --version)
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# neutral IN OUT: the machine's paths replaced by neutral ones.
neutral() {
  "$pybin" - "$1" "$2" "$progs" "$prefix" <<'EOF'
import sys
src, dst, progs, prefix = sys.argv[1:]
text = open(src, encoding="utf-8", errors="surrogateescape").read()
for old, new in ((progs, "/home/build/python"), (prefix, "/usr")):
    if old != new:
        text = text.replace(old, new)
open(dst, "w", encoding="utf-8", errors="surrogateescape").write(text)
EOF
  echo "  ${2#"$here"/} ($(wc -c <"$2") bytes)"
}

# wait_ready STDOUT PID: until the program prints `ready` (90 s at most).
wait_ready() {
  local i
  for i in $(seq 900); do
    grep -qx ready "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "program $2 exited before ready" >&2; return 1; }
    sleep 0.1
  done
  echo "program $2 not ready after 90 s" >&2
  return 1
}

# wait_written FILE: until FILE is non-empty and has not grown for 0.5 s.
wait_written() {
  local i size=-1 now
  for i in $(seq 300); do
    now=$(stat -c %s "$1")
    if [ "$now" -gt 0 ] && [ "$now" = "$size" ]; then return 0; fi
    size=$now
    sleep 0.5
  done
  echo "$1 was not written" >&2
  return 1
}

# pyspy OUT ARGS...: py-spy dump of the running program; when the plain
# (pausing) dump fails, says so and retries with --nonblocking.
pyspy() {
  local out=$1
  shift
  if ! "$PYSPY" dump "$@" >"$out" 2>"$out.err"; then
    echo "py-spy dump $* failed: $(head -1 "$out.err"); retrying with --nonblocking" >&2
    "$PYSPY" dump --nonblocking "$@" >"$out"
  fi
}

# run NAME SCRIPT [ENV=VALUE...]: one process of the program, captured while
# it stays blocked: faulthandler on SIGUSR1, then py-spy (plain, --locals,
# --json, --native); with TIMEOUT_FILE the dump_traceback_later dump comes
# first, with SEVERAL_FILE two SIGUSR2 dumps 3 s apart come last.
run() {
  local name=$1 script=$2
  shift 2
  local tmp=$work/$name dest=$here/$name
  mkdir -p "$tmp" "$dest"
  env FAULTHANDLER_FILE="$tmp/faulthandler.txt" TRUTH_FILE="$tmp/truth-main.json" "$@" \
    "$pybin" "$progs/$script" >"$tmp/stdout" 2>"$tmp/stderr" &
  local pid=$!
  pids+=("$pid")
  wait_ready "$tmp/stdout" "$pid"
  [ "$("$pybin" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/truth-main.json")" = "$pid" ]
  sleep 1 # the ready-check thread exits
  local files=(faulthandler.txt py-spy.txt py-spy-locals.txt py-spy.json py-spy-native.txt)
  if [ -e "$tmp/faulthandler-timeout.txt" ]; then
    wait_written "$tmp/faulthandler-timeout.txt"
    files=(faulthandler-timeout.txt "${files[@]}")
  fi
  kill -USR1 "$pid"
  wait_written "$tmp/faulthandler.txt"
  pyspy "$tmp/py-spy.txt" --pid "$pid"
  pyspy "$tmp/py-spy-locals.txt" --pid "$pid" --locals
  pyspy "$tmp/py-spy.json" --pid "$pid" --json
  pyspy "$tmp/py-spy-native.txt" --pid "$pid" --native
  if [ -e "$tmp/several.txt" ]; then
    kill -USR2 "$pid"
    wait_written "$tmp/several.txt"
    sleep 3
    kill -USR2 "$pid"
    sleep 1
    wait_written "$tmp/several.txt"
    files+=(several.txt)
  fi
  kill -0 "$pid" # still blocked, still there
  kill "$pid"
  wait "$pid" || true
  if [ -s "$tmp/stderr" ]; then
    files+=(stderr.txt)
    cp "$tmp/stderr" "$tmp/stderr.txt"
  fi
  local f
  for f in "${files[@]}"; do neutral "$tmp/$f" "$dest/$f"; done
  printf '%s\n' "${files[@]}" >"$tmp/files-main"
}

# crash NAME SCRIPT: the program with CRASH_FILE set; it dies of SIGSEGV.
crash() {
  local name=$1 script=$2 tmp=$work/$1 status=0
  mkdir -p "$tmp"
  (
    ulimit -c 0
    exec env CRASH_FILE="$tmp/faulthandler-crash.txt" TRUTH_FILE="$tmp/truth-crash.json" \
      timeout 90 "$pybin" "$progs/$script" >"$tmp/crash-stdout" 2>"$tmp/crash-stderr"
  ) || status=$?
  [ "$status" = 139 ] || { echo "$name: crash run exited $status, not 139 (SIGSEGV)" >&2; return 1; }
  grep -qx ready "$tmp/crash-stdout"
  neutral "$tmp/faulthandler-crash.txt" "$here/$name/faulthandler-crash.txt"
  echo faulthandler-crash.txt >"$tmp/files-crash"
}

# expected NAME: expected.json from the programs' own ground truth.
expected() {
  local name=$1
  "$pybin" - "$work/$name" "$here/$name/expected.json" "$python_version" "$pyspy_version" <<'EOF'
import json, os, re, sys
tmp, out, python_version, pyspy_version = sys.argv[1:]
processes = []
for run, how in (("main", "kept running, blocked, while every capture was taken; then killed"),
                 ("crash", "died of SIGSEGV (exit status 139) after `ready`")):
    path = os.path.join(tmp, "truth-%s.json" % run)
    if not os.path.exists(path):
        continue
    truth = json.load(open(path))
    files = open(os.path.join(tmp, "files-" + run)).read().split()
    program, description = truth.pop("program"), truth.pop("description")
    processes.append(dict(files=files, run=how, **truth))
doc = {"program": program, "description": description,
       "written_by": {"python": python_version, "py_spy": pyspy_version},
       "processes": processes}
# one line for each small object (a frame, a wait, an id) and list of names
text = json.dumps(doc, indent=1)
one_line = lambda m: json.dumps(json.loads(m.group()))
text = re.sub(r"\{[^{}\[\]]*\}", one_line, text)
text = re.sub(r"\[[^{}\[\]]*\]", one_line, text)
with open(out, "w") as f:
    f.write(text + "\n")
EOF
  echo "  $name/expected.json"
}

want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

echo "$python_version, $pyspy_version"
if want lock-deadlock; then
  run lock-deadlock lock_deadlock.py
  crash lock-deadlock lock_deadlock.py
  expected lock-deadlock
fi
if want queue-consumers; then
  run queue-consumers queue_consumers.py TIMEOUT_FILE="$work/queue-consumers/faulthandler-timeout.txt" TIMEOUT_SECONDS=5
  expected queue-consumers
fi
if want rlock-convoy; then
  run rlock-convoy rlock_convoy.py SEVERAL_FILE="$work/rlock-convoy/several.txt"
  expected rlock-convoy
fi
if want lock-order; then
  run lock-order lock_order.py
  expected lock-order
fi
if want asyncio-lock; then
  run asyncio-lock asyncio_lock.py
  expected asyncio-lock
fi

# nothing of this machine may be left in the samples
for path in "$here" "$prefix" "$work" "${HOME:-}"; do
  case $path in "" | / | /usr) continue ;; esac
  if grep -rlF "$path" "$here" --include='*.txt' --include='*.json'; then
    echo "$path is left in the files above" >&2
    exit 1
  fi
done
