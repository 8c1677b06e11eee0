#!/usr/bin/env bash
# `prov add` of containers (issue 12's targets), with the release binary, on corpora made by
# real tools (bench/corpora.sh):
#   (a) a 1 GiB zip of 10,000 emails with attachments, recorded member by member, against the
#       same emails recorded as loose files (unzipped by `unzip`; each email is then looked
#       into as well, so both record the same documents): documents per second, both ways,
#       and the peak memory of each;
#   (b) a 4 GiB .tar.gz: peak memory.
# Prints one line per measurement and a JSON summary (bench/containers-last.json). Needs about
# 8 GiB free under $PROV_BENCH_DIR (default /tmp/prov-containers-bench), deleted at the end
# (PROV_BENCH_KEEP=1 keeps it). About 10 minutes on the project's 2-core machine.
#
#   bench/containers.sh          # full size
#   bench/containers.sh quick    # a tenth of the size
set -euo pipefail
cd "$(dirname "$0")/.."
scale=1
[ "${1:-}" = quick ] && scale=10
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
dir=${PROV_BENCH_DIR:-/tmp/prov-containers-bench}
rm -rf "$dir" && mkdir -p "$dir"
[ -n "${PROV_BENCH_KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
cargo build --release --locked -q -p prov
prov=$PWD/target/release/prov
. bench/corpora.sh

# Runs `prov add` on a fresh ledger; prints "SECONDS DOCUMENTS PEAK_KIB".
add() {
    local ledger=$1; shift
    "$prov" --ledger "$ledger" init --origin bench.example/containers >/dev/null 2>&1
    sync
    /usr/bin/time -f '%e %M' -o "$dir/time" "$prov" --ledger "$ledger" -q add --source bench "$@"
    local n
    n=$("$prov" --ledger "$ledger" checkpoint --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
    read -r secs kib < "$dir/time"
    echo "$secs $n $kib"
}

make_mail_zip "$dir/mail.zip" "$scale"
mkdir -p "$dir/loose" && unzip -q "$dir/mail.zip" -d "$dir/loose"
echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d); zip $(du -h "$dir/mail.zip" | cut -f1)"
read -r zs zn zk < <(add "$dir/l-zip" "$dir/mail.zip")
rm -rf "$dir/l-zip"
read -r ls ln lk < <(add "$dir/l-loose" "$dir/loose")
rm -rf "$dir/l-loose" "$dir/loose"
echo "zip:   $zn documents in $zs s, peak $((zk / 1024)) MiB"
echo "loose: $ln documents in $ls s, peak $((lk / 1024)) MiB"
rm -f "$dir/mail.zip"

make_tree_tgz "$dir" "$scale"
echo "tar.gz $(du -h "$dir/tree.tar.gz" | cut -f1)"
read -r ts tn tk < <(add "$dir/l-tgz" "$dir/tree.tar.gz")
echo "tgz:   $tn documents in $ts s, peak $((tk / 1024)) MiB"

python3 - "$zs" "$zn" "$zk" "$ls" "$ln" "$lk" "$ts" "$tn" "$tk" "$scale" <<'EOF' | tee bench/containers-last.json
import json, sys
zs, zn, zk, ls, ln, lk, ts, tn, tk, scale = sys.argv[1:]
zip_rate, loose_rate = int(zn) / float(zs), int(ln) / float(ls)
print(json.dumps({
    "scale": int(scale),
    "zip": {"documents": int(zn), "seconds": float(zs), "peak_mib": int(zk) // 1024},
    "loose": {"documents": int(ln), "seconds": float(ls), "peak_mib": int(lk) // 1024},
    "zip_speed_vs_loose": round(zip_rate / loose_rate, 2),
    "tgz": {"documents": int(tn), "seconds": float(ts), "peak_mib": int(tk) // 1024},
}, indent=1))
EOF
