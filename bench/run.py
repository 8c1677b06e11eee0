#!/usr/bin/env python3
"""Times the real `prov` binary; see bench/run.sh. Prints one table, and the same figures
as JSON to bench/last-run.json (rewritten after every stage, so a failed run keeps what it
measured). Ratios are taken within this one run so machine noise cancels; latencies that are
compared are measured interleaved, round by round."""

import hashlib, json, os, platform, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROV = os.path.join(ROOT, "target/release/prov")
LIMITS = os.path.join(ROOT, "target/release/examples/limits")
WORK = os.environ.get("PROV_BENCH_DIR", "/tmp/prov-bench")
OUT_JSON = os.path.join(ROOT, "bench/last-run.json")
QUICK = len(sys.argv) > 1 and sys.argv[1] == "quick"
# Stages that can be left out: PROV_BENCH_SKIP=10m,git,large (comma-separated).
SKIP = {s.strip() for s in os.environ.get("PROV_BENCH_SKIP", "").split(",") if s.strip()}
N_FILES = 10_000 if QUICK else 100_000
N_BIG = (256 << 20) if QUICK else (2 << 30)
N_LEDGER = 50_000 if QUICK else 1_000_000
N_HUGE = 10 * N_LEDGER  # the scale stage: 10,000,000 entries (500,000 in quick)
HUGE_BATCH = 100_000
N_GIT = 500 if QUICK else 10_000
ROUNDS = 21 if QUICK else 51  # lookups on the million ledger: medians of this many
ROUNDS_HUGE = 11 if QUICK else 31  # the 10x ledger against the 1x one, interleaved
READER_ROUNDS = 10  # readers timed while an add runs (fewer if the add ends first)
STARTED = time.time()


def run(cmd, cwd=WORK, env=None, stdin=None, out=subprocess.DEVNULL, cpu=False):
    """Runs a command; returns (wall seconds, peak RSS in MiB), and with `cpu` the CPU
    seconds (user + system) too. Fails loudly on non-zero exit. Peak memory comes from GNU
    time, not from this process's wait4: a child forked from Python counts the interpreter's
    pages until it execs."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *map(str, cmd)], cwd=cwd, env=env, stdin=stdin, stdout=out, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    err = p.stderr.decode(errors="replace").strip().splitlines()
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} exited {p.returncode}: {' '.join(err)}")
    rss, user, system = err[-1].split()
    return (wall, int(rss) / 1024, float(user) + float(system)) if cpu else (wall, int(rss) / 1024)


def timed(cmd, expect=0):
    """Wall seconds of one whole process, spawned directly (no GNU time in between, which
    would add its own exec to short commands). Fails loudly unless it exits `expect`."""
    cmd = list(map(str, cmd))
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=WORK, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if p.returncode != expect:
        sys.exit(f"bench: {' '.join(cmd)} exited {p.returncode} (expected {expect}): {p.stderr.decode(errors='replace').strip()}")
    return wall


def prov(ledger, *args, **kw):
    return run([PROV, "--ledger", ledger, "-q", *args], **kw)


def pcmd(ledger, *args):
    return [PROV, "--ledger", ledger, "-q", *map(str, args)]


def fresh(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def log(msg):
    print(f"bench: [{time.time() - STARTED:6.0f} s] {msg}", file=sys.stderr, flush=True)


def ms(seconds):
    return seconds * 1000


def tree_size(path):
    """(apparent bytes, allocated bytes, files) of a file or a folder tree, folders included."""
    st = os.lstat(path)
    apparent, allocated, files = st.st_size, st.st_blocks * 512, 0 if os.path.isdir(path) else 1
    for dp, dns, fns in os.walk(path):
        for n in dns + fns:
            st = os.lstat(os.path.join(dp, n))
            apparent += st.st_size
            allocated += st.st_blocks * 512
            files += n in fns
    return apparent, allocated, files


def log_records(ledger):
    """Walks the committed part of entries.log (FORMAT.md 7.1): (entries, sum of entry
    payloads, checkpoints, sum of checkpoint payloads)."""
    commit = open(os.path.join(ledger, "COMMIT")).read().split("\n")
    end = int(commit[1].split()[1])
    with open(os.path.join(ledger, "entries.log"), "rb") as f:
        data = f.read(end)
    assert data[:8] == b"PROVLOG\x01", "unexpected log header"
    pos, n, payload, cps, cp_bytes = 8, 0, 0, 0, 0
    while pos < end:
        kind, length = data[pos], int.from_bytes(data[pos + 1:pos + 5], "big")
        if kind == 1:
            n, payload = n + 1, payload + length
        else:
            cps, cp_bytes = cps + 1, cp_bytes + length
        pos += 9 + length
    assert pos == end, "log records do not end at COMMIT's log_length"
    return n, payload, cps, cp_bytes


def ledger_storage(ledger, entries):
    parts = {}
    for name in ("entries.log", "tile", "offsets", "content"):
        parts[name] = tree_size(os.path.join(ledger, name))
    total = tree_size(ledger)
    other = tuple(t - sum(p[i] for p in parts.values()) for i, t in enumerate(total))
    return {
        "entries": entries,
        "dir_bytes": total[0],
        "dir_bytes_allocated": total[1],
        "files": total[2],
        "per_entry": total[0] / entries,
        "per_entry_allocated": total[1] / entries,
        "parts": {k: {"bytes": v[0], "allocated": v[1], "files": v[2], "per_entry": v[0] / entries} for k, v in parts.items()},
        "other_bytes": other[0],
    }


def write_manifest(path, n, probe_sha):
    """n lines `<sha256 hex> <size> <name>`: n-1 made-up documents, then the probe."""
    with open(path, "w") as f:
        chunk = []
        for i in range(n - 1):
            chunk.append(f"{hashlib.sha256(i.to_bytes(8, 'big')).hexdigest()} {1000 + i % 5000} document-{i:08}.pdf\n")
            if len(chunk) == 100_000:
                f.writelines(chunk)
                chunk.clear()
        f.writelines(chunk)
        f.write(f"{probe_sha} 31 probe.txt\n")


def lookup_rounds(ledgers, rounds, probe):
    """Times `prov key`, `prov prove SEQ` and `prov check FILE` on each ledger, interleaved:
    each round runs every command on every ledger (order rotated by round), so drift in the
    machine's speed falls on all of them alike; a warm-up round is dropped. SEQ walks the
    ledger by the golden ratio, at the same relative positions on every ledger. Also times
    /bin/true, the floor of spawning any process from here. Returns
    {label: {command: [seconds]}}."""
    out = {label: {"key": [], "prove": [], "check": []} for label in ledgers}
    out["spawn"] = {"true": []}
    for r in range(rounds + 1):
        frac = (r * 0.6180339887498949) % 1.0
        jobs = [("spawn", "true", ["/bin/true"])]
        for label, (ledger, n) in ledgers.items():
            jobs += [(label, "key", pcmd(ledger, "key")),
                     (label, "prove", pcmd(ledger, "prove", int(frac * n))),
                     (label, "check", pcmd(ledger, "check", probe))]
        k = r % len(jobs)
        for label, name, cmd in jobs[k:] + jobs[:k]:
            w = timed(cmd)
            if r > 0:
                out[label][name].append(w)
    return out


def med(xs):
    return statistics.median(xs)


def summary(xs):
    return {"median_ms": ms(med(xs)), "min_ms": ms(min(xs)), "max_ms": ms(max(xs)), "n": len(xs)}


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    need_gb = (1 if QUICK else 3) + (0 if "10m" in SKIP else 1 if QUICK else 5)
    free_gb = shutil.disk_usage(WORK).free / 1e9
    if free_gb < need_gb:
        sys.exit(f"bench: {WORK} has {free_gb:.1f} GB free; this run needs about {need_gb} GB (PROV_BENCH_DIR to use another place, PROV_BENCH_SKIP=10m to need less)")
    rows, figures = {}, {}

    def row(section, name, value, target, ok):
        rows.setdefault(section, []).append((name, value, target, "report" if ok is None else ("yes" if ok else "NO")))

    def save():
        figures["elapsed_s"] = time.time() - STARTED
        figures["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().split()[:3]
        with open(OUT_JSON, "w") as f:
            json.dump(figures, f, indent=2)

    head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem_gib = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 2**20
    figures["machine"] = {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem_gib, 1), "kernel": platform.release(),
                          "date": time.strftime("%Y-%m-%d %H:%M %Z"), "quick": QUICK, "skipped": sorted(SKIP),
                          "commit": head + (" (with uncommitted changes)" if dirty else ""),
                          "loadavg_at_start": open("/proc/loadavg").read().split()[:3]}

    # The machine's single-core limits, measured at the start and again just before each
    # figure compared with them, so that the ratio compares like with like on a machine
    # whose load changes during the run.
    def measure_limits(when):
        lim = json.loads(subprocess.check_output([LIMITS]))
        figures.setdefault("limits_measured", {})[when] = lim
        log(f"limits {when}: {lim}")
        return lim

    limits = figures["limits"] = measure_limits("start")

    # Ingest: N_FILES files of 1 KiB, durable when the command returns.
    corpus = os.path.join(WORK, "corpus")
    for i in range(N_FILES):
        d = os.path.join(corpus, f"{i % 100:02}")
        if i < 100:
            os.makedirs(d)
        with open(os.path.join(d, f"{i:06}.bin"), "wb") as f:
            f.write(os.urandom(1024))
    log(f"corpus of {N_FILES} files written")
    ledger = fresh("l-bulk")
    prov(ledger, "init", "--origin", "bench.example/bulk")
    lim = measure_limits("before ingest")
    wall, rss, cpu_s = prov(ledger, "add", corpus, "--source", "bench", cpu=True)
    eps = N_FILES / wall
    r = eps / lim["sign_per_s"]
    figures["bulk"] = {"files": N_FILES, "seconds": wall, "entries_per_s": eps, "peak_mib": rss, "cpu_s": cpu_s, "sign_per_s": lim["sign_per_s"], "ratio_to_signing": r}
    row(4, f"4. ingest {N_FILES:,} x 1 KiB files", f"{eps:,.0f} entries/s ({wall:.1f} s, {cpu_s / wall:.1f} cores, {rss:.0f} MiB); ratio {r:.2f}", f">= 0.6 x signing ({lim['sign_per_s']:,}/s)", r >= 0.6)
    shutil.rmtree(ledger)
    save()
    log(f"ingest: {eps:,.0f} entries/s")

    # Readers while an add of the same N_FILES files runs: they take no lock and must answer
    # from the last committed state at once, not after the add.
    ledger = fresh("l-readers")
    prov(ledger, "init", "--origin", "bench.example/readers")
    some_file = os.path.join(corpus, "00", "000000.bin")
    t0 = time.perf_counter()
    add = subprocess.Popen(pcmd(ledger, "add", corpus, "--source", "bench"), cwd=WORK, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first_size = 0
    while first_size == 0:
        if add.poll() is not None:
            sys.exit(f"bench: the add ended (exit {add.returncode}) before any checkpoint was seen")
        time.sleep(0.02)
        p = subprocess.run(pcmd(ledger, "--json", "checkpoint"), capture_output=True)
        if p.returncode != 0:
            sys.exit(f"bench: prov checkpoint during the add exited {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
        first_size = json.loads(p.stdout)["size"]
    t_first = time.perf_counter() - t0
    # The first file walked is in the first batch, committed before the readers start.
    readers = [("prove 0", pcmd(ledger, "prove", "0")), ("checkpoint", pcmd(ledger, "checkpoint")), ("key", pcmd(ledger, "key")),
               ("check FILE", pcmd(ledger, "check", some_file))]
    during = {name: [] for name, _ in readers}
    all_while_running = True
    for rnd in range(READER_ROUNDS):
        for name, cmd in readers:
            w = timed(cmd)
            if add.poll() is not None:
                all_while_running = False
                break
            during[name].append(w)
        if not all_while_running:
            break
    t_last_reader = time.perf_counter() - t0
    p = subprocess.run(pcmd(ledger, "--json", "checkpoint"), capture_output=True)
    size_after_readers = json.loads(p.stdout)["size"] if p.returncode == 0 else None
    _, add_err = add.communicate()
    t_add = time.perf_counter() - t0
    if add.returncode != 0:
        sys.exit(f"bench: the add under readers exited {add.returncode}: {add_err.decode(errors='replace').strip()}")
    complete_rounds = min(len(v) for v in during.values())
    idle = {name: [] for name, _ in readers}
    for _ in range(max(complete_rounds, 3)):
        for name, cmd in readers:
            idle[name].append(timed(cmd))
    figures["readers_during_add"] = {
        "files": N_FILES, "add_s": t_add, "first_commit_s": t_first, "first_commit_size": first_size,
        "size_after_readers": size_after_readers, "last_reader_done_s": t_last_reader,
        "all_readers_finished_while_add_ran": all_while_running and complete_rounds > 0,
        "rounds": complete_rounds,
        "during": {k: summary(v) for k, v in during.items() if v},
        "idle_after": {k: summary(v) for k, v in idle.items()},
    }
    if complete_rounds == 0:
        row(6, "6. readers during a running add", f"the add ended ({t_add:.1f} s) before a round of readers finished", "answers while the add runs", False)
    else:
        lat = ", ".join(f"{k} {ms(med(v)):.1f}" for k, v in during.items())
        lat_idle = ", ".join(f"{ms(med(v)):.1f}" for v in idle.values())
        row(6, f"6. readers during an add of {N_FILES:,} files", f"{lat} ms (idle: {lat_idle}); median of {complete_rounds}, add ran {t_add - t_last_reader:.1f} s more",
            "answer while the add still runs", all_while_running)
    shutil.rmtree(ledger)
    save()
    log(f"readers during add: first commit after {t_first:.1f} s, {complete_rounds} rounds, add {t_add:.1f} s")

    # One large file, against openssl on the same (cached) file.
    if "large" not in SKIP:
        big = os.path.join(WORK, "big.bin")
        with open(big, "wb") as f:
            chunk = os.urandom(64 << 20)
            for _ in range(N_BIG // len(chunk)):
                f.write(chunk)
        run(["cat", big], out=subprocess.DEVNULL)
        t_ssl = min(run(["openssl", "dgst", "-sha256", big])[0] for _ in range(2))
        ledger = fresh("l-big")
        prov(ledger, "init", "--origin", "bench.example/big")
        t_prov, rss_big = prov(ledger, "add", big, "--source", "bench")
        r = t_ssl / t_prov
        figures["large_file"] = {"bytes": N_BIG, "prov_s": t_prov, "openssl_s": t_ssl, "ratio": r, "peak_mib": rss_big}
        row(7, f"7. ingest one {N_BIG >> 20} MiB file", f"{N_BIG / t_prov / 2**20:,.0f} MiB/s vs openssl {N_BIG / t_ssl / 2**20:,.0f} MiB/s; ratio {r:.2f}", ">= 0.9 x openssl dgst -sha256", r >= 0.9)
        row(7, "   peak memory of that ingest", f"{rss_big:.0f} MiB", "<= 64 MiB", rss_big <= 64)
        os.remove(big)
        shutil.rmtree(ledger)
        save()
        log("large file done")

    # The N_LEDGER-entry ledger, built from a manifest (hashes alone), default batch.
    probe = os.path.join(WORK, "probe.txt")
    with open(probe, "wb") as f:
        f.write(b"the document an auditor checks\n")
    probe_sha = hashlib.sha256(open(probe, "rb").read()).hexdigest()
    manifest = os.path.join(WORK, "manifest.txt")
    write_manifest(manifest, N_LEDGER, probe_sha)
    million = fresh("l-million")
    prov(million, "init", "--origin", "bench.example/million")
    t_build, rss_build = prov(million, "add", "--manifest", manifest, "--source", "bench")
    os.remove(manifest)
    figures["million_build"] = {"entries": N_LEDGER, "seconds": t_build, "entries_per_s": N_LEDGER / t_build, "peak_mib": rss_build, "batch": 4096}
    log(f"{N_LEDGER:,} entries recorded from a manifest in {t_build:.1f} s ({rss_build:.0f} MiB)")

    # Disk per entry, as the add left the ledger.
    n, payload, cps, cp_bytes = log_records(million)
    assert n == N_LEDGER, f"log holds {n} entries, expected {N_LEDGER}"
    entry = payload / n
    st = ledger_storage(million, N_LEDGER)
    st.update({"entry_payload_mean": entry, "entry_payload_bytes": payload, "checkpoint_records": cps, "checkpoint_bytes": cp_bytes,
               "log_per_entry": st["parts"]["entries.log"]["bytes"] / N_LEDGER})
    per = st["per_entry_allocated"]
    r = per / entry
    st["ratio_to_entry"] = r
    figures["storage"] = st
    parts = ", ".join(f"{k.replace('entries.', '')} {v['per_entry']:,.0f}" for k, v in st["parts"].items())
    row(3, f"3. ledger disk per entry, {N_LEDGER:,} entries", f"{per:,.0f} B = {r:.2f} x the entry ({entry:.0f} B); {parts}", "<= 2.5 x the encoded entry", r <= 2.5)

    # Lookups: key, prove SEQ, check FILE as whole processes, interleaved.
    lk = lookup_rounds({"1x": (million, N_LEDGER)}, ROUNDS, probe)
    t_key, t_prove, t_check, t_true = med(lk["1x"]["key"]), med(lk["1x"]["prove"]), med(lk["1x"]["check"]), med(lk["spawn"]["true"])
    rss_l = {name: run(pcmd(million, *args))[1] for name, args in (("key", ["key"]), ("prove", ["prove", N_LEDGER // 2]), ("check", ["check", probe]))}
    proof = subprocess.check_output(pcmd(million, "prove", N_LEDGER // 2))
    extra = next(l for l in proof.split(b"\n") if l.startswith(b"extra "))
    overhead = len(proof) - len(extra)
    figures["lookups"] = {
        "entries": N_LEDGER, "rounds": ROUNDS,
        **{k: summary(v) for k, v in lk["1x"].items()}, "spawn_true": summary(lk["spawn"]["true"]),
        "prove_to_key": t_prove / t_key, "check_to_key": t_check / t_key,
        "peak_mib": rss_l, "proof_bytes": len(proof), "proof_bytes_without_entry": overhead,
        "index_bytes_after_lookups": tree_size(os.path.join(million, "content"))[0],
    }
    row(1, f"1. prov prove SEQ, {N_LEDGER:,} entries", f"{ms(t_prove):.1f} ms = {t_prove / t_key:.2f} x prov key ({ms(t_key):.1f} ms); median of {ROUNDS}", "<= 3 x prov key", t_prove <= 3 * t_key)
    row(1, f"   prov check FILE, {N_LEDGER:,} entries", f"{ms(t_check):.1f} ms = {t_check / t_key:.2f} x prov key; median of {ROUNDS}", "<= 3 x prov key", t_check <= 3 * t_key)
    row(1, "   peak memory: key / prove / check", f"{rss_l['key']:.0f} / {rss_l['prove']:.0f} / {rss_l['check']:.0f} MiB; spawning /bin/true takes {ms(t_true):.1f} ms", "report", None)
    row(1, "   .tlog-proof size", f"{len(proof)} bytes, {overhead} without the entry line", "<= 1536 bytes + the entry", overhead <= 1536)
    save()
    log(f"lookups: key {ms(t_key):.1f} ms, prove {ms(t_prove):.1f} ms, check {ms(t_check):.1f} ms")

    # The published static tree, its own size.
    pub = os.path.join(WORK, "published")
    t_pub, rss_pub = prov(million, "publish", pub)
    p_app, p_alloc, p_files = tree_size(pub)
    bundles = tree_size(os.path.join(pub, "tile", "entries"))
    figures["published"] = {"entries": N_LEDGER, "seconds": t_pub, "peak_mib": rss_pub, "bytes": p_app, "bytes_allocated": p_alloc, "files": p_files,
                            "bundle_bytes": bundles[0], "per_entry_allocated": p_alloc / N_LEDGER, "ratio_to_entry": p_alloc / N_LEDGER / entry}
    row(3, "   published tree (prov publish DIR)", f"{p_alloc / N_LEDGER:,.0f} B/entry = {p_alloc / N_LEDGER / entry:.2f} x the entry; {p_alloc / 2**20:,.0f} MiB in {p_files:,} files; {t_pub:.1f} s, {rss_pub:.0f} MiB", "report", None)
    shutil.rmtree(pub)
    save()

    # Audit of that ledger.
    lim = measure_limits("before audit")
    t_audit, rss_audit, cpu_audit = prov(million, "audit", cpu=True)
    aps = N_LEDGER / t_audit
    r = aps / lim["verify_strict_per_s"]
    figures["audit"] = {"entries": N_LEDGER, "seconds": t_audit, "entries_per_s": aps, "cpu_s": cpu_audit, "verify_strict_per_s": lim["verify_strict_per_s"], "ratio": r, "peak_mib": rss_audit}
    row(5, f"5. audit {N_LEDGER:,} entries", f"{aps:,.0f} entries/s ({t_audit:.1f} s, {cpu_audit / t_audit:.1f} cores); ratio {r:.2f}", f">= 2.5 x strict verify ({lim['verify_strict_per_s']:,}/s)", r >= 2.5)
    row(5, "   peak memory of that audit", f"{rss_audit:.0f} MiB", "<= 256 MiB", rss_audit <= 256)
    save()
    log(f"audit: {aps:,.0f} entries/s, {rss_audit:.0f} MiB")

    # Scale: the same lookups at 10x the entries, built from a manifest in batches of
    # HUGE_BATCH, timed interleaved with the 1x ledger.
    if "10m" in SKIP:
        row(2, f"2. {N_HUGE:,} entries", "skipped (PROV_BENCH_SKIP=10m)", "<= 1.5 x the 1x figures", None)
    else:
        manifest = os.path.join(WORK, "manifest-10x.txt")
        write_manifest(manifest, N_HUGE, probe_sha)
        log(f"manifest of {N_HUGE:,} lines written")
        huge = fresh("l-huge")
        prov(huge, "init", "--origin", "bench.example/huge")
        t_hb, rss_hb = prov(huge, "add", "--manifest", manifest, "--source", "bench", "--batch", HUGE_BATCH)
        os.remove(manifest)
        log(f"{N_HUGE:,} entries recorded in {t_hb:.1f} s ({rss_hb:.0f} MiB)")
        st10 = ledger_storage(huge, N_HUGE)
        lk = lookup_rounds({"1x": (million, N_LEDGER), "10x": (huge, N_HUGE)}, ROUNDS_HUGE, probe)
        m = {lab: {k: med(v) for k, v in lk[lab].items()} for lab in ("1x", "10x")}
        rss10 = {name: run(pcmd(huge, *args))[1] for name, args in (("key", ["key"]), ("prove", ["prove", N_HUGE // 2]), ("check", ["check", probe]))}
        figures["scale"] = {
            "entries": N_HUGE, "batch": HUGE_BATCH, "build_s": t_hb, "build_entries_per_s": N_HUGE / t_hb, "build_peak_mib": rss_hb,
            "rounds": ROUNDS_HUGE, "storage": st10, "peak_mib": rss10,
            "huge": {k: summary(v) for k, v in lk["10x"].items()}, "million_interleaved": {k: summary(v) for k, v in lk["1x"].items()},
            "ratios_to_million": {k: m["10x"][k] / m["1x"][k] for k in ("key", "prove", "check")},
            "ratios_to_key": {k: m["10x"][k] / m["10x"]["key"] for k in ("prove", "check")},
        }
        for k, label in (("prove", "prove SEQ"), ("check", "check FILE")):
            rr = m["10x"][k] / m["1x"][k]
            row(2, f"{'2.' if k == 'prove' else '  '} prov {label}, {N_HUGE:,} entries", f"{ms(m['10x'][k]):.1f} ms = {rr:.2f} x at {N_LEDGER:,} ({ms(m['1x'][k]):.1f} ms); {m['10x'][k] / m['10x']['key']:.2f} x prov key", "<= 1.5 x the 1x figure", rr <= 1.5)
        row(2, f"   prov key, {N_HUGE:,} entries", f"{ms(m['10x']['key']):.1f} ms = {m['10x']['key'] / m['1x']['key']:.2f} x at {N_LEDGER:,}; median of {ROUNDS_HUGE}, interleaved", "report", None)
        row(2, "   peak memory: key / prove / check", f"{rss10['key']:.0f} / {rss10['prove']:.0f} / {rss10['check']:.0f} MiB", "report", None)
        row(2, f"   build {N_HUGE:,} from a manifest", f"{t_hb:.0f} s ({N_HUGE / t_hb:,.0f} entries/s, {rss_hb:.0f} MiB, --batch {HUGE_BATCH:,}); {st10['per_entry_allocated']:,.0f} B/entry on disk", "report", None)
        shutil.rmtree(huge)
        save()
        log(f"scale: ratios {figures['scale']['ratios_to_million']}")
    shutil.rmtree(million)

    # Against git, one SSH-signed commit per document, on the same N_GIT files.
    if "git" not in SKIP:
        files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(corpus) for f in fs)[:N_GIT]
        subset = os.path.join(WORK, "subset")
        os.makedirs(subset)
        for p in files:
            shutil.copy(p, subset)
        ledger = fresh("l-git")
        prov(ledger, "init", "--origin", "bench.example/git")
        t_prov_add, _ = prov(ledger, "add", subset, "--source", "bench")
        t_prov_audit, _ = prov(ledger, "audit")
        repo = os.path.join(WORK, "repo")
        os.makedirs(repo)
        key = os.path.join(WORK, "git_ed25519")
        subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        with open(os.path.join(WORK, "allowed_signers"), "w") as f:
            f.write("bench@example " + open(key + ".pub").read())
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example", "-c", "gpg.format=ssh",
               "-c", f"user.signingkey={key}", "-c", "commit.gpgsign=true",
               "-c", f"gpg.ssh.allowedSignersFile={os.path.join(WORK, 'allowed_signers')}"]
        subprocess.check_call(["git", "init", "-q", repo])
        script = os.path.join(WORK, "git-add.sh")
        with open(script, "w") as f:
            f.write("set -e\ncd " + repo + "\nfor p in \"$@\"; do cp \"$p\" .; n=$(basename \"$p\"); "
                    + " ".join(git) + " add \"$n\"; " + " ".join(git) + " commit -q -m \"record $n\"; done\n")
        t_git_add, _ = run(["bash", script, *files])
        vscript = os.path.join(WORK, "git-verify.sh")
        with open(vscript, "w") as f:
            f.write("set -e\ncd " + repo + "\nfor c in $(git rev-list HEAD); do " + " ".join(git) + " verify-commit \"$c\" 2>/dev/null; done\n")
        t_git_verify, _ = run(["bash", vscript])
        figures["git"] = {"files": N_GIT, "prov_add_s": t_prov_add, "git_add_s": t_git_add, "prov_audit_s": t_prov_audit, "git_verify_s": t_git_verify}
        row(8, f"8. record {N_GIT:,} files: git / prov", f"{t_git_add / t_prov_add:,.0f}x ({t_git_add:.1f} s vs {t_prov_add:.2f} s)", "report", None)
        row(8, "   verify them: git verify-commit / prov audit", f"{t_git_verify / t_prov_audit:,.0f}x ({t_git_verify:.1f} s vs {t_prov_audit:.2f} s)", "report", None)
    save()

    table = [r for k in sorted(rows) for r in rows[k]]
    header = ("figure", "measured", "target", "met")
    widths = [max(len(r[i]) for r in table + [header]) for i in range(4)]
    mach = figures["machine"]
    print(f"prov benchmark, {mach['date']}, {cpu}, {mach['cores']} cores, {mach['mem_gib']:.0f} GiB, Linux {platform.release()}{' (quick)' if QUICK else ''}")
    print(f"load average {' '.join(mach['loadavg_at_start'])} at the start, {' '.join(mach['loadavg_at_end'])} at the end (other processes on the machine)")
    print(f"commit {mach['commit']}; limits at the start: signing {limits['sign_per_s']:,}/s, strict verify {limits['verify_strict_per_s']:,}/s, SHA-256 {limits['sha256_mib_per_s']:,} MiB/s (one core); {figures['elapsed_s'] / 60:.0f} min")
    for r in [header] + table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
