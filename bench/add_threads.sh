#!/usr/bin/env bash
# The CPU seconds of each thread of one `prov add` on a fresh ledger (perf record at 999 Hz),
# for a shared machine whose wall times are too noisy to compare: the threads' CPU says what
# the wall time would be on a quiet one (docs/PERFORMANCE.md, issue 12's zip read-ahead).
#
#   bench/add_threads.sh target/release/prov mail.zip                # default settings
#   bench/add_threads.sh target/release/prov --no-similar loose/     # any `add` arguments
set -euo pipefail
prov=$1; shift
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$prov" --ledger "$dir/l" init --origin bench.example/threads >/dev/null 2>&1
perf record -q -F 999 -o "$dir/perf.data" "$prov" --ledger "$dir/l" -q add --source bench "$@" >/dev/null
perf report -i "$dir/perf.data" --sort pid -F sample,pid 2>/dev/null | grep -v '^#' | grep . |
    awk '$1 >= 10 { printf "%s %.2f s\n", $2, $1 / 999; t += $1 } END { printf "total %.2f s\n", t / 999 }'
