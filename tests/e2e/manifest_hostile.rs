//! Hash lists that lie, on the real binary: a `sha256sum` list written into the folder it
//! lists (the README's own command), which names itself with the hash of a half-written
//! file; a BagIt manifest whose paths leave `data/` through `..`; a `bag-info.txt` whose
//! `Payload-Oxum` cannot be read or is given twice; a JSON Lines manifest whose links name
//! entries that do not exist, past the first batch. Each is refused whole (exit 3, the line
//! named, the ledger unchanged) or, for the list that names itself, that line alone is
//! passed over with a note.

use prov_tests::Workspace;
use std::process::Command;

/// Every entry's name, from `prov export`.
fn names(w: &Workspace) -> Vec<String> {
    w.run(&["export"])
        .jsonl()
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_hash_list_written_into_the_folder_it_lists_passes_over_its_own_line() {
    let w = Workspace::new();
    w.init();
    w.write("dump/a.txt", "first\n");
    w.write("dump/b.txt", "second\n");
    // As the README shows it: the shell creates SHA256SUMS before sha256sum lists the
    // folder, so the list names itself, hashed while it was being written.
    let made = Command::new("sh")
        .args(["-c", "(cd dump && sha256sum -b -- *) > dump/SHA256SUMS"])
        .current_dir(w.path(""))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        return prov_tests::skip("sha256sum is not installed");
    }
    let sums = std::fs::read_to_string(w.path("dump/SHA256SUMS")).unwrap();
    let own = sums
        .lines()
        .position(|l| l.ends_with("*SHA256SUMS"))
        .expect("the list names itself")
        + 1;
    let r = w.run(&[
        "add",
        "--manifest",
        "dump/SHA256SUMS",
        "--source",
        "s",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let note = r
        .jsonl()
        .into_iter()
        .find(|v| v["kind"] == "manifest_itself")
        .unwrap_or_else(|| panic!("no note: {}", r.stdout));
    assert_eq!(note["line"], own as u64, "{note}");
    assert_eq!(r.documents().len(), 2, "{}", r.stdout);
    assert_eq!(names(&w), ["a.txt", "b.txt"]);
    // For people, the note names the line.
    let r = w.run(&["add", "--manifest", "dump/SHA256SUMS", "--source", "t"]);
    assert!(
        r.stderr
            .contains(&format!("dump/SHA256SUMS:{own} names the manifest itself")),
        "{}",
        r.stderr
    );
}

/// A bag by hand, as an attacker writes one: `bagit.txt`, the manifest and `bag-info.txt`.
fn bag(w: &Workspace, manifest: &str, info: &str) {
    w.write(
        "bag/bagit.txt",
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    );
    w.write("bag/manifest-sha256.txt", manifest);
    w.write("bag/bag-info.txt", info);
}

#[test]
fn a_bag_whose_paths_leave_data_or_whose_oxum_cannot_be_read_is_refused_whole() {
    let w = Workspace::new();
    w.init();
    w.write("bag/data/a.txt", "hi\n");
    // A file outside the bag, whose size a `..` path would read and record.
    w.write("private.txt", "not the bag's\n");
    let a = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4";
    let state = w.ledger_state();
    let add = || {
        w.run(&[
            "add",
            "--manifest",
            "bag/manifest-sha256.txt",
            "--source",
            "s",
        ])
    };
    bag(
        &w,
        &format!("{a}  data/a.txt\n{a}  data/../../private.txt\n"),
        "Payload-Oxum: 17.2\n",
    );
    add().fails(
        3,
        "bag/manifest-sha256.txt:2: the path leaves the bag's data/ folder",
    );
    for (info, says) in [
        (
            "Payload-Oxum: lots\n",
            "Payload-Oxum \"lots\" is not BYTES.FILES",
        ),
        ("Payload-Oxum: -3.1\n", "is not BYTES.FILES"),
        (
            "Payload-Oxum: 3.1\nPayload-Oxum: 9.9\n",
            "two Payload-Oxum values that differ",
        ),
        ("Payload-Oxum: 4.1\n", "Payload-Oxum says 4 bytes in 1 file"),
    ] {
        bag(&w, &format!("{a}  data/a.txt\n"), info);
        add().fails(3, says);
        assert_eq!(w.ledger_state(), state, "{info:?}");
    }
    // The same bag with a true Payload-Oxum (given once, or twice alike) is recorded.
    bag(
        &w,
        &format!("{a}  data/a.txt\n"),
        "Payload-Oxum: 3.1\npayload-oxum: 3.1\n",
    );
    add().ok();
    assert_eq!(names(&w), ["a.txt"]);
}

#[test]
fn a_json_lines_link_to_an_entry_that_does_not_exist_is_refused_before_any_batch() {
    let w = Workspace::new();
    w.init();
    w.write("x.txt", "x\n");
    w.run(&["add", "x.txt", "--source", "s"]).ok();
    let state = w.ledger_state();
    let line = |i: u64, related: &str| {
        format!(
            "{{\"sha256\":\"{:064x}\",\"size\":2,\"name\":\"m{i}\",\"related\":[{related}]}}\n",
            i + 1
        )
    };
    for forged in ["1", "500", "18446744073709551615"] {
        // Three good lines in batches of two, then the forged one: nothing is recorded.
        let mut text: String = (0..3).map(|i| line(i, "")).collect();
        text += &line(
            3,
            &format!("{{\"relation\":\"reply_to\",\"seq\":{forged}}}"),
        );
        w.write("m.jsonl", &text);
        let r = w.run(&[
            "add",
            "--manifest",
            "m.jsonl",
            "--source",
            "t",
            "--batch",
            "2",
        ]);
        r.fails(
            3,
            &format!("m.jsonl:4: it links to entry {forged}, which the ledger does not hold (it holds 1 entry)"),
        );
        assert_eq!(w.ledger_state(), state, "seq {forged}");
    }
    // A link to an entry the ledger holds is recorded.
    w.write("m.jsonl", line(0, "{\"relation\":\"reply_to\",\"seq\":0}"));
    w.run(&["add", "--manifest", "m.jsonl", "--source", "t"])
        .ok();
    let e = w.run(&["show", "1", "--json"]).jsonl();
    assert_eq!(e[0]["related"][0]["seq"], 0, "{:?}", e);
}

#[test]
fn an_endless_line_is_refused_by_its_number_with_the_limit_of_its_kind() {
    let w = Workspace::new();
    w.init();
    let state = w.ledger_state();
    // A JSON Lines line whose metadata runs past 1 MiB, after a good line.
    let good = format!("{{\"sha256\":\"{:064x}\",\"size\":1}}\n", 1);
    let long = format!(
        "{{\"sha256\":\"{:064x}\",\"size\":1,\"meta\":{{\"k\":\"{}\"}}}}\n",
        2,
        "x".repeat(2 << 20)
    );
    w.write("long.jsonl", format!("{good}{long}"));
    let r = w.run(&["add", "--manifest", "long.jsonl", "--source", "s"]);
    r.fails(3, "long.jsonl:2: the line is longer than 1048576 bytes");
    assert!(
        r.stderr
            .contains("a JSON Lines line, metadata and all, at most 1 MiB"),
        "{}",
        r.stderr
    );
    // A line of prov's own form with no end: refused at its limit, never read whole.
    w.write(
        "endless.txt",
        format!("{} 1 {}", "a".repeat(64), "n".repeat(64 << 20)),
    );
    w.run(&["add", "--manifest", "endless.txt", "--source", "s"])
        .fails(3, "endless.txt:1: the line is longer than 8281 bytes");
    assert_eq!(w.ledger_state(), state);
}

#[test]
fn links_that_the_ledger_records_itself_cannot_be_given_by_hand() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "a\n");
    w.write("b.txt", "b\n");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let state = w.ledger_state();
    // `contained_in` would make `check` tell b.txt as found inside a.txt; `evidence` is a
    // claim's link.
    for relation in ["contained_in", "evidence"] {
        w.run(&[
            "add",
            "b.txt",
            "--source",
            "s",
            "--related",
            &format!("{relation}=0"),
        ])
        .fails(3, &format!("'{relation}' is "));
        w.write(
            "m.jsonl",
            format!(
                "{{\"sha256\":\"{:064x}\",\"size\":2,\"related\":[{{\"relation\":\"{relation}\",\"seq\":0}}]}}\n",
                7
            ),
        );
        w.run(&["add", "--manifest", "m.jsonl", "--source", "s"])
            .fails(3, &format!("m.jsonl:1: invalid related: '{relation}' is "));
        assert_eq!(w.ledger_state(), state, "{relation}");
    }
    // A relation of one's own is recorded, and `check` does not tell it as a container.
    w.run(&["add", "b.txt", "--source", "s", "--related", "found_in=0"])
        .ok();
    let r = w.run(&["check", "b.txt"]);
    assert!(!r.ok().contains(" in a.txt"), "{}", r.stdout);
}
