# The container corpora of the ingest benchmarks (bench/ingest_walk.sh, bench/containers.sh),
# made with real tools. Sourced; each function takes the output and a scale divisor (1: full
# size, 10: a tenth).

# make_mail_zip FILE SCALE
make_mail_zip() {
# (a) 10,000 emails, each with a 100 KiB attachment (random, base64-encoded by email): ~1 GiB.
    python3 - "$1" "$2" <<'EOF'
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
}

# make_tree_tgz DIR SCALE: writes DIR/tree.tar.gz
make_tree_tgz() {
# (b) files of random bytes and (one in ten) of text, tarred and gzipped by the system tools
# to a 4 GiB .tar.gz; tar removes each file once archived, so the disk holds ~4.5 GiB at most.
    python3 - "$1/tree" "$2" <<'EOF'
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
    tar -C "$1" --remove-files -cf - tree | gzip -1 > "$1/tree.tar.gz"
}
