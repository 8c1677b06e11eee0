//! A full disk: `prov add` fails with one clear line, keeps everything it reported, and the
//! same command completes once there is room. Uses a 1 MiB tmpfs, so it needs root (CI and
//! the project's machines run as root); elsewhere it says so and passes nothing off as tested.

use prov_tests::Workspace;
use std::collections::HashMap;
use std::process::Command;

/// seq -> sha256 of each JSON line (`add --json` or `export`).
fn by_seq(r: &prov_tests::Run) -> HashMap<u64, String> {
    r.jsonl()
        .into_iter()
        .map(|v| {
            (
                v["seq"].as_u64().unwrap(),
                v["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_loses_nothing_reported() {
    let w = Workspace::new();
    let mnt = w.path("small-disk");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        prov_tests::skip("mounting a tmpfs for a_full_disk_loses_nothing_reported needs root");
        return;
    }
    let _guard = Mount(mnt.clone());
    let ledger = mnt.join("ledger");
    let run = |args: &[&str]| w.run_at(&ledger, args);
    run(&["init", "--origin", "full.example/disk"]).ok();
    for i in 0..4000 {
        w.write(
            &format!("docs/{:02}/{i}.txt", i % 40),
            format!("document {i} {}", "y".repeat(i % 300)),
        );
    }
    let r = run(&[
        "add",
        "docs",
        "--source",
        "a source with a long name to fill the disk sooner",
        "--json",
        "--batch",
        "50",
    ]);
    assert_ne!(r.code, 0, "1 MiB held 4000 entries and their index?");
    r.fails_json(4, "the disk is full");
    let reported = by_seq(&r);
    assert!(
        !reported.is_empty(),
        "nothing was recorded before the disk filled"
    );
    // Room again: the ledger opens, audits clean, kept every reported entry, and the same
    // command completes.
    assert!(
        Command::new("mount")
            .args(["-o", "remount,size=64m"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success()
    );
    run(&["audit"]).ok();
    let after = by_seq(&run(&["export"]));
    for (seq, sha) in &reported {
        assert_eq!(
            after.get(seq),
            Some(sha),
            "reported entry {seq} lost or changed"
        );
    }
    run(&[
        "add",
        "docs",
        "--source",
        "a source with a long name to fill the disk sooner",
    ])
    .ok();
    assert_eq!(run(&["export"]).jsonl().len(), 4000);
    run(&["audit"]).ok();
}
