#!/usr/bin/env python3
"""Times the real `prov` binary; see bench/run.sh. Prints one table, and the same figures
as JSON to bench/last-run.json. Ratios are taken within this one run so machine noise cancels."""

import hashlib, json, os, platform, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROV = os.path.join(ROOT, "target/release/prov")
LIMITS = os.path.join(ROOT, "target/release/examples/limits")
WORK = os.environ.get("PROV_BENCH_DIR", "/tmp/prov-bench")
QUICK = len(sys.argv) > 1 and sys.argv[1] == "quick"
N_FILES = 10_000 if QUICK else 100_000
N_BIG = (256 << 20) if QUICK else (2 << 30)
N_LEDGER = 50_000 if QUICK else 1_000_000
N_GIT = 500 if QUICK else 10_000


def run(cmd, cwd=WORK, env=None, stdin=None, out=subprocess.DEVNULL):
    """Runs a command; returns (wall seconds, peak RSS in MiB). Fails loudly on non-zero exit.
    Peak memory comes from GNU time, not from this process's wait4: a child forked from
    Python counts the interpreter's pages until it execs."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, cmd)], cwd=cwd, env=env, stdin=stdin, stdout=out, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    err = p.stderr.decode(errors="replace").strip().splitlines()
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} exited {p.returncode}: {' '.join(err)}")
    return wall, int(err[-1]) / 1024


def prov(ledger, *args, **kw):
    return run([PROV, "--ledger", ledger, "-q", *args], **kw)


def fresh(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rows, figures = [], {}

    def row(name, value, target, ok):
        rows.append((name, value, target, "yes" if ok else "NO"))

    limits = json.loads(subprocess.check_output([LIMITS]))
    figures["limits"] = limits
    log(f"limits {limits}")

    # 1. Bulk ingest: N_FILES files of 1 KiB, durable when the command returns.
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
    wall, rss = prov(ledger, "add", corpus, "--source", "bench")
    eps = N_FILES / wall
    r = eps / limits["sign_per_s"]
    figures["bulk"] = {"files": N_FILES, "seconds": wall, "entries_per_s": eps, "peak_mib": rss, "ratio_to_signing": r}
    row(f"1. ingest {N_FILES} x 1 KiB files", f"{eps:,.0f} entries/s ({wall:.1f} s, {rss:.0f} MiB)", f">= 0.6 x signing ({limits['sign_per_s']:,}/s)", r >= 0.6)
    rows[-1] = rows[-1][:2] + (rows[-1][2] + f"; ratio {r:.2f}",) + rows[-1][3:]

    # 2. One large file, against openssl on the same (cached) file.
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
    row(f"2. ingest one {N_BIG >> 20} MiB file", f"{N_BIG / t_prov / 2**20:,.0f} MiB/s vs openssl {N_BIG / t_ssl / 2**20:,.0f} MiB/s; ratio {r:.2f}", ">= 0.9 x openssl dgst -sha256", r >= 0.9)
    row("   peak memory of that ingest", f"{rss_big:.0f} MiB", "<= 64 MiB", rss_big <= 64)
    os.remove(big)

    # 3. Audit of an N_LEDGER-entry ledger (built from a manifest: hashes alone).
    probe = os.path.join(WORK, "probe.txt")
    with open(probe, "wb") as f:
        f.write(b"the document an auditor checks\n")
    manifest = os.path.join(WORK, "manifest.txt")
    with open(manifest, "w") as f:
        for i in range(N_LEDGER - 1):
            h = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
            f.write(f"{h} {1000 + i % 5000} document-{i:07}.pdf\n")
        f.write(f"{hashlib.sha256(open(probe, 'rb').read()).hexdigest()} 31 probe.txt\n")
    ledger = fresh("l-million")
    prov(ledger, "init", "--origin", "bench.example/million")
    t_build, rss_build = prov(ledger, "add", "--manifest", manifest, "--source", "bench")
    figures["million_build"] = {"entries": N_LEDGER, "seconds": t_build, "entries_per_s": N_LEDGER / t_build, "peak_mib": rss_build}
    log(f"{N_LEDGER} entries recorded from a manifest in {t_build:.1f} s")
    t_audit, rss_audit = prov(ledger, "audit")
    aps = N_LEDGER / t_audit
    r = aps / limits["verify_strict_per_s"]
    figures["audit"] = {"entries": N_LEDGER, "seconds": t_audit, "entries_per_s": aps, "ratio": r, "peak_mib": rss_audit}
    row(f"3. audit {N_LEDGER:,} entries", f"{aps:,.0f} entries/s ({t_audit:.1f} s); ratio {r:.2f}", f">= 1.5 x strict verify ({limits['verify_strict_per_s']:,}/s)", r >= 1.5)
    row("   peak memory of that audit", f"{rss_audit:.0f} MiB", "<= 256 MiB", rss_audit <= 256)

    # 4. Lookups and proofs on that ledger, whole processes.
    t_check = statistics.median(prov(ledger, "check", probe)[0] for _ in range(21)) * 1000
    mid = str(N_LEDGER // 2)
    t_prove = statistics.median(prov(ledger, "prove", mid)[0] for _ in range(21)) * 1000
    proof = subprocess.check_output([PROV, "--ledger", ledger, "prove", mid])
    extra = next(l for l in proof.split(b"\n") if l.startswith(b"extra "))
    overhead = len(proof) - len(extra)
    figures["lookups"] = {"check_ms": t_check, "prove_ms": t_prove, "proof_bytes": len(proof), "proof_bytes_without_entry": overhead}
    row("4. prov check FILE, median of 21", f"{t_check:.1f} ms", "<= 50 ms", t_check <= 50)
    row("   prov prove SEQ, median of 21", f"{t_prove:.1f} ms", "<= 50 ms", t_prove <= 50)
    row("   .tlog-proof size", f"{len(proof)} bytes, {overhead} without the entry line", "<= 1536 bytes + the entry", overhead <= 1536)

    # 5. Storage per entry.
    du = int(subprocess.check_output(["du", "-sb", ledger]).split()[0])
    log_bytes = os.path.getsize(os.path.join(ledger, "entries.log"))
    entry_bytes = statistics.mean(
        len(__import__("base64").b64decode(json.loads(subprocess.check_output([PROV, "--ledger", ledger, "prove", str(i), "--json"]))["entry"]))
        for i in range(0, N_LEDGER, N_LEDGER // 10)
    )
    per = du / N_LEDGER
    figures["storage"] = {"dir_bytes": du, "log_bytes": log_bytes, "per_entry": per, "entry_bytes": entry_bytes}
    row("5. ledger bytes per entry", f"{per:,.0f} (log {log_bytes / N_LEDGER:,.0f}; entry {entry_bytes:.0f})", "<= 2 x the encoded entry", per <= 2 * entry_bytes)
    shutil.rmtree(ledger)

    # 6. Against git, one SSH-signed commit per document, on the same N_GIT files.
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
    row(f"6. record {N_GIT} files: git / prov", f"{t_git_add / t_prov_add:,.0f}x ({t_git_add:.1f} s vs {t_prov_add:.2f} s)", "report", True)
    row(f"   verify them: git verify-commit / prov audit", f"{t_git_verify / t_prov_audit:,.0f}x ({t_git_verify:.1f} s vs {t_prov_audit:.2f} s)", "report", True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    figures["machine"] = {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "date": time.strftime("%Y-%m-%d"), "quick": QUICK}
    with open(os.path.join(ROOT, "bench/last-run.json"), "w") as f:
        json.dump(figures, f, indent=2)
    widths = [max(len(r[i]) for r in rows + [("target", "measured", "target", "met")]) for i in range(4)]
    print(f"prov benchmark, {figures['machine']['date']}, {cpu}, {os.cpu_count()} cores, Linux {platform.release()}{' (quick)' if QUICK else ''}")
    header = ("figure", "measured", "target", "met")
    for r in [header] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
