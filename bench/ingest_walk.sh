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

# (a) 10,000 emails, each with a 100 KiB attachment (random, base64-encoded by email): ~1 GiB.
python3 - "$dir/mail.zip" "$scale" <<'EOF'
import sys, os, zipfile, random
from email.message import EmailMessage
out, scale = sys.argv[1], int(sys.argv[2])
n = 10000 // scale
rnd = random.Random(1)
words = "the report is attached please review before the meeting on monday".split()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    for i in range(n):
        m = EmailMessage()
        m["From"] = f"user{i % 97}@example.org"
        m["To"] = "leak@example.org"
        m["Subject"] = f"message {i}"
        m.set_content(" ".join(rnd.choice(words) for _ in range(400)))
        m.add_attachment(os.urandom(100 * 1024), maintype="application",
                         subtype="octet-stream", filename=f"a{i}.bin")
        z.writestr(f"mail/{i:05}.eml", m.as_bytes())
EOF

# (b) files of random bytes and (one in ten) of text, tarred and gzipped by the system tools
# to a 4 GiB .tar.gz; tar removes each file once archived, so the disk holds ~4.5 GiB at most.
python3 - "$dir/tree" "$scale" <<'EOF'
import sys, os, random
root, scale = sys.argv[1], int(sys.argv[2])
rnd = random.Random(2)
total, target, i = 0, (9 << 29) // scale, 0
line = b"2026-11-24 12:00:00 INFO request served in 12 ms for user %d\n"
while total < target:
    d = os.path.join(root, f"d{i // 100:04}")
    os.makedirs(d, exist_ok=True)
    if i % 10 == 0:
        data = b"".join(line % rnd.randrange(10**6) for _ in range(20000))
    else:
        data = os.urandom(2 << 20)
    open(os.path.join(d, f"f{i:06}"), "wb").write(data)
    total += len(data)
    i += 1
EOF
tar -C "$dir" --remove-files -cf - tree | gzip -1 > "$dir/tree.tar.gz"

echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d)"
for f in "$dir/mail.zip" "$dir/tree.tar.gz"; do
    echo "$(du -h "$f" | cut -f1) $f"
    "$stats" "$f"
done
