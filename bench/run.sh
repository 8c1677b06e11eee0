#!/usr/bin/env bash
# The performance benchmark: builds prov in release mode, generates its own corpora, times
# the real binary as whole processes next to the machine's limits and the alternatives
# (openssl, git with SSH-signed commits), and prints one table (figures also in
# bench/last-run.json). What it measures, in the table's order:
#   1. `prov prove SEQ` and `prov check FILE` on a 1,000,000-entry ledger against `prov key`
#      on the same ledger (interleaved, medians), with the proof's size;
#   2. the same on a 10,000,000-entry ledger built from a manifest (--batch 100000), timed
#      interleaved with the 1,000,000 one (stage `10m`: about 4 minutes);
#   3. disk per entry of the 1,000,000-entry ledger folder against the encoded entry (the
#      log's entry payloads), and of the tree `prov publish DIR` writes;
#   4. ingest of 100,000 1 KiB files against single-core Ed25519 signing;
#   5. audit of the 1,000,000 entries against single-core strict verification, peak memory;
#   6. readers (`prove 0`, `checkpoint`, `key`, `check FILE`) while an add of the
#      100,000 files runs;
#   7. one 2 GiB file against `openssl dgst -sha256` (stage `large`);
#   8. git with one SSH-signed commit per document (stage `git`).
# About 12 minutes on the project's 2-core machine; needs ~8 GB free under $PROV_BENCH_DIR
# (default /tmp/prov-bench).
#
#   bench/run.sh                          # everything
#   PROV_BENCH_SKIP=10m,git bench/run.sh  # leave stages out (10m, large, git)
#   bench/run.sh quick                    # corpora a tenth or less the size (10m stage: 500,000)
set -euo pipefail
cd "$(dirname "$0")/.."
# GNU time measures peak memory; install it where the machine lacks it.
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; }
cargo build --release --locked -p prov
cargo build --release --locked -p prov-ledger --example limits
exec python3 bench/run.py "$@"
