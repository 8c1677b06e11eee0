#!/usr/bin/env bash
# The performance benchmark: builds prov in release mode, generates its own corpora, times
# the real binary as whole processes next to the machine's limits and the alternatives
# (openssl, git with SSH-signed commits), and prints one table. About 10-15 minutes on the
# project's 2-core machine; needs ~6 GB free under $PROV_BENCH_DIR (default /tmp/prov-bench).
#
#   bench/run.sh            # everything
#   bench/run.sh quick      # smaller corpora, for trying the script itself
set -euo pipefail
cd "$(dirname "$0")/.."
# GNU time measures peak memory; install it where the machine lacks it.
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; }
cargo build --release --locked -p prov
cargo build --release --locked -p prov-ledger --example limits
exec python3 bench/run.py "$@"
