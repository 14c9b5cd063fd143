#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...]: fuzzes each target (all of them when none
# is named) for SECONDS, one after the other, with cargo-fuzz on the nightly
# toolchain. Corpora grow in fuzz/corpus/<target>/ from the seeds
# (fuzz/seed.sh builds them from samples/); a crash is written to
# fuzz/artifacts/<target>/ and ends the run with a failure. One summary line
# per target: seconds, executions, coverage (cov/ft), corpus size.
set -eu
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(go java native python heap input report diff core)
[ -d seeds ] || bash seed.sh >/dev/null
mkdir -p logs
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log="logs/$t-$(date -u +%Y%m%dT%H%M%S).log"
  start=$(date +%s)
  # -timeout: an input that takes over 30 s is reported like a crash (the
  # targets run with ASan and debug assertions, several times slower than
  # a release build). -rss_limit_mb bounds what one input may allocate.
  if cargo +nightly fuzz run -O -a "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 -malloc_limit_mb=2048 \
    -print_final_stats=1 -dict="dict/$t.dict" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see fuzz/$log and fuzz/artifacts/$t/)"
    status=1
    tail -n 40 "$log" >&2
  fi
  wall=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | cut -d' ' -f2)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | cut -d' ' -f2)
  corp=$(echo "$last" | grep -o 'corp: [0-9]*' | cut -d' ' -f2)
  echo "$t: ${wall}s wall, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}: $result"
done
exit $status
