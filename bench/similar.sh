#!/usr/bin/env bash
# Look-alikes (docs/PERFORMANCE.md, "Look-alikes"): what fingerprinting costs `prov add`, and
# what `prov similar` costs against `prov check` on the same ledger.
#
#   1. `prov add` of 100,000 1 KiB files (random bytes, as bench/run.sh) into a new ledger:
#      this prov, this prov with --no-similar (fingerprints kept, no look-alike search), and
#      a prov built from BASE (default: the commit before fingerprints), interleaved, 3 runs
#      each, medians; peak memory by GNU time;
#   2. `prov similar FILE` and `prov check FILE` on that ledger (100,000 documents, as many
#      fingerprints), interleaved, 5 runs each, medians;
#   3. the same on a ledger of 1,000,000 entries recorded from a manifest, with a fingerprint
#      file of 1,000,000 records (one per entry, random TLSH bodies, written here: the scan
#      reads and compares every record whatever they hold), and the query file's own
#      fingerprint as the last record (entry 999,999) so that one match is reported; `check`
#      of entry 999,999's content.
#
#   bench/similar.sh                 # about 5 minutes on the project's 2-core machine
#   BASE=04eb4bb bench/similar.sh
# Needs ~1.5 GB free under $PROV_BENCH_DIR (default /tmp/prov-bench-similar).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
BASE=${BASE:-04eb4bb}
DIR=${PROV_BENCH_DIR:-/tmp/prov-bench-similar}
mkdir -p "$DIR"
cargo build --release --locked -p prov
cp target/release/prov "$DIR/prov-new"
if [ ! -x "$DIR/prov-base" ]; then
    rm -rf "$DIR/base-src" && mkdir "$DIR/base-src"
    git archive "$BASE" | tar -x -C "$DIR/base-src"
    (cd "$DIR/base-src" && cargo build --release --locked -p prov --target-dir "$DIR/base-target")
    cp "$DIR/base-target/release/prov" "$DIR/prov-base"
fi

if [ ! -d "$DIR/files" ]; then
    python3 - "$DIR/files" <<'EOF'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d:02}")
    for i in range(1000):
        with open(f"{root}/d{d:02}/f{i:04}", "wb") as f:
            f.write(os.urandom(1024))
EOF
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run NAME LEDGER ARGS...: seconds and peak KiB of one run, appended to $DIR/NAME.times
run() {
    local name=$1 ledger=$2; shift 2
    local rc=0
    /usr/bin/time -f "%e %M" -o "$DIR/t" "$@" >/dev/null 2>"$DIR/err" || rc=$?
    # 1 is a negative answer (nothing similar, unknown), not a failure.
    [ $rc -le 1 ] || { cat "$DIR/err"; exit 1; }
    # GNU time puts "Command exited with non-zero status N" before its line then.
    tail -1 "$DIR/t" >> "$DIR/$name.times"
}
rm -f "$DIR"/*.times
for round in 1 2 3; do
    for variant in base new nosimilar; do
        L="$DIR/ledger-$variant"
        rm -rf "$L"
        bin="$DIR/prov-new"; extra=()
        [ $variant = base ] && bin="$DIR/prov-base"
        [ $variant = nosimilar ] && extra=(--no-similar)
        "$bin" --ledger "$L" init --origin bench/similar >/dev/null 2>&1
        run "add-$variant" "$L" "$bin" --ledger "$L" add -q "$DIR/files" --source bench "${extra[@]}"
    done
done
echo "1. prov add of 100,000 1 KiB files (median of 3; seconds, peak MiB)"
for v in base new nosimilar; do
    s=$(cut -d' ' -f1 "$DIR/add-$v.times" | median)
    m=$(cut -d' ' -f2 "$DIR/add-$v.times" | median)
    echo "   $v: ${s} s, $((m / 1024)) MiB"
done

Q="$DIR/files/d42/f0042"
L="$DIR/ledger-new"
for round in 1 2 3 4 5; do
    run similar100k "$L" "$DIR/prov-new" --ledger "$L" similar "$Q" --threshold 40
    run check100k "$L" "$DIR/prov-new" --ledger "$L" check "$Q"
done
echo "2. 100,000 documents: similar $(cut -d' ' -f1 "$DIR/similar100k.times" | median) s" \
     "($(($(cut -d' ' -f2 "$DIR/similar100k.times" | median) / 1024)) MiB)," \
     "check $(cut -d' ' -f1 "$DIR/check100k.times" | median) s" \
     "($(($(cut -d' ' -f2 "$DIR/check100k.times" | median) / 1024)) MiB)"

M="$DIR/ledger-1m"
if [ ! -f "$M/fingerprints" ]; then
    rm -rf "$M"
    "$DIR/prov-new" --ledger "$M" init --origin bench/1m >/dev/null 2>&1
    python3 - "$DIR/manifest" <<'EOF'
import hashlib, sys
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        f.write(f"{hashlib.sha256(b'doc %d' % i).hexdigest()} 1024 doc{i}\n")
EOF
    "$DIR/prov-new" --ledger "$M" add -q --manifest "$DIR/manifest" --source bench --batch 100000
    FP=$("$DIR/prov-new" --ledger "$L" similar "$Q" --json --threshold 2000 | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprints"]["bytes"])' || true)
    python3 - "$M/fingerprints" "$FP" <<'EOF'
import hashlib, random, sys
path, query = sys.argv[1], sys.argv[2]
rnd = random.Random(3)
with open(path, "wb") as f:
    f.write(b"PROVFPR\x01")
    for i in range(1_000_000):
        sha = hashlib.sha256(b"doc %d" % i).digest()
        tlsh = query if i == 999_999 else "T1" + "".join(rnd.choice("0123456789ABCDEF") for _ in range(70))
        f.write(i.to_bytes(8, "big") + sha + b"\x01" + tlsh.encode())
EOF
fi
for round in 1 2 3 4 5; do
    run similar1m "$M" "$DIR/prov-new" --ledger "$M" similar "$Q" --threshold 40
    run check1m "$M" "$DIR/prov-new" --ledger "$M" check --sha256 \
        "$(printf 'doc 999999' | sha256sum | cut -c1-64)"
done
echo "3. 1,000,000 entries and fingerprints: similar $(cut -d' ' -f1 "$DIR/similar1m.times" | median) s" \
     "($(($(cut -d' ' -f2 "$DIR/similar1m.times" | median) / 1024)) MiB)," \
     "check $(cut -d' ' -f1 "$DIR/check1m.times" | median) s" \
     "($(($(cut -d' ' -f2 "$DIR/check1m.times" | median) / 1024)) MiB)"
# The corpora and ledgers take ~1.5 GB: removed unless PROV_BENCH_KEEP is set.
[ -n "${PROV_BENCH_KEEP:-}" ] || rm -rf "$DIR"
