#!/usr/bin/env bash
# The ingest walk alone (prov_ingest::walk, no ledger): builds two corpora with real tools and
# walks each with the `walk_stats` example, which prints wall time, MB/s and peak RSS as JSON.
#   (a) a 1 GiB zip of 10,000 emails with attachments (Python's email + zipfile);
#   (b) a 4 GiB .tar.gz (system tar + gzip) of random (incompressible) files mixed with text.
# Needs about 6 GiB free under $PROV_BENCH_DIR (default /tmp/prov-ingest-bench), deleted at
# the end (PROV_BENCH_KEEP=1 keeps it). About 10 minutes on the project's 2-core machine.
#
#   bench/ingest_walk.sh            # both corpora
#   bench/ingest_walk.sh quick      # a tenth of the size
set -euo pipefail
cd "$(dirname "$0")/.."
scale=1
[ "${1:-}" = quick ] && scale=10
dir=${PROV_BENCH_DIR:-/tmp/prov-ingest-bench}
mkdir -p "$dir"
[ -n "${PROV_BENCH_KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
cargo build --release --locked -q -p prov-ingest --example walk_stats
stats=target/release/examples/walk_stats

. bench/corpora.sh
make_mail_zip "$dir/mail.zip" "$scale"
make_tree_tgz "$dir" "$scale"

echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d)"
for f in "$dir/mail.zip" "$dir/tree.tar.gz"; do
    echo "$(du -h "$f" | cut -f1) $f"
    "$stats" "$f"
done
