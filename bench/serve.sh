#!/usr/bin/env bash
# The ledger server's benchmark (`prov serve`, issue 15's targets), on the loopback:
#   1. the CLI's own ingest of N 1 KiB documents (`prov add DIR`) on a fresh ledger;
#   2. the same documents uploaded to a fresh server by 1 client, then by 16 clients at
#      once, one document per request (each upload answered only once durable and
#      published), p50/p99 latency;
#   3. the same documents dealt out into 16 folders, each added at once by its own
#      `prov --server URL add` process: with --hash-only (many files per JSON list), then
#      with the bytes (many files per multipart request), each on a fresh server;
#   4. GET /v1/documents/{sha256} by 32 clients for 10 s while 2 clients keep appending.
# Load comes from server/examples/serve_load.rs (real HTTP clients, one keep-alive
# connection each). Prints one table and writes bench/serve-last.json.
#
#   bench/serve.sh                 # N = 2000
#   PROV_SERVE_DOCS=500 bench/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${PROV_SERVE_DOCS:-2000}
cargo build --release --locked -p prov
cargo build --release --locked -p prov-server --example serve_load
PROV=$PWD/target/release/prov
LOAD=$PWD/target/release/examples/serve_load
D=$(mktemp -d "${PROV_BENCH_DIR:-/tmp}/prov-serve.XXXXXX")
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT

python3 - "$D" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for set_ in ("docs", "extra"):
    os.makedirs(f"{d}/{set_}")
    for i in range(n):
        with open(f"{d}/{set_}/{i:06d}.bin", "wb") as f:
            f.write(os.urandom(1024))
PY
(cd "$D/docs" && sha256sum -- * | cut -c1-64) > "$D/shas"
# The 16 archivists' shares: the same files (hard links), dealt out in turn.
i=0
for f in "$D"/docs/*; do
    s=$(printf '%02d' $((i % 16))); mkdir -p "$D/shares/$s"; ln "$f" "$D/shares/$s/"; i=$((i + 1))
done

now() { date +%s.%N; }

# 1. The CLI's own ingest of the same documents.
L=$D/cli
$PROV --ledger "$L" init --origin bench.example/cli >/dev/null 2>&1
t0=$(now); $PROV --ledger "$L" add "$D/docs" --source bench -q; t1=$(now)
CLI=$(python3 -c "print(f'{$N/($t1-$t0):.1f}')")

start_server() { # ledger
    $PROV --ledger "$1" init --origin bench.example/srv >/dev/null 2>&1
    TOKEN=$($PROV --ledger "$1" archivist add bench 2>/dev/null)
    rm -f "$D/url"
    $PROV --ledger "$1" serve --addr 127.0.0.1:0 -q > "$D/url" &
    SERVER=$!
    until [ -s "$D/url" ]; do sleep 0.05; done
    URL=$(sed 's/^listening on //' "$D/url")
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }

# 2. One client, then sixteen, each on a fresh ledger.
start_server "$D/one"
ONE=$($LOAD append "$URL" "$TOKEN" "$D/docs" 1)
stop_server
# 3. Sixteen `prov --server add` processes, one share each, all at once.
sixteen_cli() { # extra add arguments...
    local pids=() t0 t1 k
    t0=$(now)
    for k in "$D"/shares/*; do
        PROV_TOKEN=$TOKEN $PROV --server "$URL" add "$k" --source bench -q "$@" >/dev/null &
        pids+=($!)
    done
    for k in "${pids[@]}"; do wait "$k" || { echo "a prov --server add failed" >&2; exit 1; }; done
    t1=$(now)
    python3 -c "print(f'{$N/($t1-$t0):.1f}')"
}
start_server "$D/hashes"
HASHES=$(sixteen_cli --hash-only)
HASH_CPS=$($PROV --ledger "$D/hashes" checkpoints --json | wc -l)
stop_server
start_server "$D/bytes"
BYTES=$(sixteen_cli)
BYTES_CPS=$($PROV --ledger "$D/bytes" checkpoints --json | wc -l)
stop_server
start_server "$D/many"
MANY=$($LOAD append "$URL" "$TOKEN" "$D/docs" 16)
# 4. Reads while appends run (the ledger holds the N documents).
READS=$($LOAD read "$URL" "$D/shas" 32 10 "$TOKEN" "$D/extra" 2 2>"$D/appended")
CPS=$($PROV --ledger "$D/many" checkpoints --json | wc -l)
stop_server

python3 - "$N" "$CLI" "$ONE" "$MANY" "$READS" "$CPS" "$(cat "$D/appended")" \
    "$HASHES" "$HASH_CPS" "$BYTES" "$BYTES_CPS" <<'PY'
import json, sys, platform, os, datetime
n, cli = int(sys.argv[1]), float(sys.argv[2])
one, many, reads = (json.loads(a) for a in sys.argv[3:6])
cps, appended = int(sys.argv[6]), sys.argv[7]
hashes, hash_cps, bytes_, bytes_cps = float(sys.argv[8]), int(sys.argv[9]), float(sys.argv[10]), int(sys.argv[11])
print(f"{n} documents of 1 KiB, {os.cpu_count()} cores, {datetime.date.today()}")
print(f"{'':38} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8}")
print(f"{'CLI ingest (prov add DIR)':38} {cli:9.1f}")
print(f"{'server, 1 client':38} {one['per_second']:9.1f} {one['p50_ms']:8.2f} {one['p99_ms']:8.2f}")
print(f"{'server, 16 clients':38} {many['per_second']:9.1f} {many['p50_ms']:8.2f} {many['p99_ms']:8.2f}")
print(f"{'16 x prov --server add --hash-only':38} {hashes:9.1f}   ({hash_cps} checkpoints)")
print(f"{'16 x prov --server add (bytes)':38} {bytes_:9.1f}   ({bytes_cps} checkpoints)")
print(f"{'reads, 32 clients, appends running':38} {reads['per_second']:9.1f} {reads['p50_ms']:8.2f} {reads['p99_ms']:8.2f}")
print(f"16 clients / 1 client: {many['per_second']/one['per_second']:.1f}x (target 5x); "
      f"16 clients / CLI: {many['per_second']/cli:.2f}x (target 0.5x); "
      f"16 hash-only adds / CLI: {hashes/cli:.2f}x, / 1 client: {hashes/one['per_second']:.1f}x; "
      f"16 bytes adds / CLI: {bytes_/cli:.2f}x, / 1 client: {bytes_/one['per_second']:.1f}x; "
      f"reads target 5000/s; checkpoints after the 16-client run and the reads: {cps}; {appended}")
json.dump({"documents": n, "cli_per_second": cli, "one_client": one, "sixteen_clients": many,
           "sixteen_hash_only_adds_per_second": hashes, "hash_only_checkpoints": hash_cps,
           "sixteen_bytes_adds_per_second": bytes_, "bytes_checkpoints": bytes_cps,
           "reads_32_clients": reads, "checkpoints": cps},
          open("bench/serve-last.json", "w"), indent=1)
PY
