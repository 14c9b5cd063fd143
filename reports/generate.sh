#!/usr/bin/env bash
# Rewrites the example reports in this folder from the bundled samples (the
# list is in tests/suite/reports.rs, which also checks that they are current).
set -euo pipefail
cd "$(dirname "$0")/.."
DUMPSCOPE_UPDATE_REPORTS=1 cargo test --release --quiet --test suite reports::
ls -l reports
