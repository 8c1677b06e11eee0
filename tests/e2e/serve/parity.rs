//! `prov --server URL check|show` print what `prov check|show` print on the ledger itself,
//! line for line, for people and with `--json`: the first sighting and the others, the
//! containers a document was found in, a look-alike's `similar_to` link with its distance,
//! the claims about it and the entries that link to it.

use super::{Serve, archivist, post_json};
use prov_tests::{Run, Workspace};

/// Forty sentences; `changed` replaces the eighteenth (an altered copy).
fn article(changed: Option<&str>) -> String {
    let nouns = [
        "minister", "contract", "ledger", "harbour", "council", "invoice",
    ];
    let verbs = ["approved", "questioned", "signed", "delayed", "published"];
    (0..40)
        .map(|i| match (i, changed) {
            (17, Some(c)) => c.to_owned(),
            _ => format!(
                "The {} {} the {} on day {}, and the {} {} it.",
                nouns[i % 6],
                verbs[i % 5],
                nouns[(i * 7 + 3) % 6],
                i % 28 + 1,
                nouns[(i * 5 + 1) % 6],
                verbs[(i * 3 + 2) % 5]
            ),
        })
        .collect::<Vec<_>>()
        .join(" ")
        + "\n"
}

#[test]
fn check_and_show_through_the_server_print_what_they_print_locally() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "ada@news.example");
    w.write("pack/article.txt", article(None));
    w.write("pack/note.txt", "a short note\n");
    let tarred = std::process::Command::new("tar")
        .current_dir(w.path(""))
        .args(["cf", "pack.tar", "pack/article.txt", "pack/note.txt"])
        .status()
        .unwrap();
    assert!(tarred.success());
    w.write(
        "altered.txt",
        article(Some(
            "No one at the port ever saw the second shipment arrive.",
        )),
    );
    // Recorded on the ledger itself, then served.
    w.run(&["add", "pack.tar", "--source", "https://leak.example/"])
        .ok();
    w.run(&["add", "altered.txt", "--source", "tips"]).ok();
    let s = Serve::start(&w, &[], &[]);
    let through = |args: &[&str]| super::remote(&w, &s, &token, args);
    // Entries 0 (the tar), 1 and 2 (its members), 3 (the altered copy, a look-alike of 1).
    let shown = w.run(&["show", "3", "--json"]).jsonl();
    assert!(
        shown[0]["related"].to_string().contains("similar_to"),
        "no look-alike link: {shown:?}"
    );
    let claim = r#"{"about": 1, "verdict": "altered", "by": "desk", "reason": "the port log says otherwise", "evidence": [3]}"#;
    let r = post_json(&s, Some(&token), "/v1/claims", claim);
    assert_eq!(r.status, 200, "{}", r.body);
    let mut compared = 0;
    for args in [
        &["check", "pack/article.txt"][..],
        &["check", "altered.txt"],
        &["check", "pack.tar"],
        &["check", "pack/note.txt", "pack/article.txt"],
        &["show", "0"],
        &["show", "1"],
        &["show", "3"],
        &["show", "4"],
    ] {
        for json in [false, true] {
            let args = [args, if json { &["--json"][..] } else { &[] }].concat();
            let (local, remote) = (w.run(&args), through(&args));
            assert_eq!(local.code, 0, "{args:?}: {}", local.stderr);
            assert_eq!(remote.code, 0, "{args:?}: {}", remote.stderr);
            assert_eq!(local.stdout, remote.stdout, "{args:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, 16);
    // The lines that were missing through the server are there.
    let checked = through(&["check", "pack/article.txt"]).stdout;
    for needle in [
        "as pack/article.txt in pack.tar (entry 0, from https://leak.example/",
        "claim     altered, by desk (recorded by ada@news.example)",
        "linked    entry 3 altered.txt is similar_to entry 1 (distance ",
    ] {
        assert!(checked.contains(needle), "{needle:?} not in:\n{checked}");
    }
    let shown = through(&["show", "1"]).stdout;
    assert!(shown.contains("  claim     altered"), "{shown}");
}

/// `-q` through a server is `-q` on the ledger: `add` prints no result lines and no
/// summary (the exit code tells), `check` only the unknown documents.
#[test]
fn quiet_through_the_server_prints_what_it_prints_locally() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "bo@news.example");
    w.write("a.txt", "alpha\n");
    w.write("b.txt", "beta\n");
    w.write("new.txt", "never recorded\n");
    let local = w.run(&["add", "a.txt", "b.txt", "--source", "s", "-q"]);
    assert_eq!(
        (local.code, local.stdout.as_str()),
        (0, ""),
        "{}",
        local.stderr
    );
    let s = Serve::start(&w, &[], &[]);
    let through = |args: &[&str]| super::remote(&w, &s, &token, args);
    for extra in [&[][..], &["--hash-only"], &["-v"]] {
        let args = [&["add", "a.txt", "b.txt", "--source", "t", "-q"][..], extra].concat();
        let r = through(&args);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, ""),
            "{args:?}: {}",
            r.stderr
        );
    }
    for args in [
        &["check", "a.txt", "new.txt", "-q"][..],
        &["show", "0", "-q"],
    ] {
        let (local, remote) = (w.run(args), through(args));
        assert_eq!(
            (local.code, &local.stdout),
            (remote.code, &remote.stdout),
            "{args:?}"
        );
    }
    // An unknown document in JSON: what the ledger says, from one request.
    let asked = |log: &str| log.matches("GET /v1/documents/").count();
    let before = asked(&s.log());
    let args = ["check", "new.txt", "--json"];
    let (local, remote) = (w.run(&args), through(&args));
    assert_eq!((local.code, &local.stdout), (remote.code, &remote.stdout));
    assert_eq!(asked(&s.log()) - before, 1, "{}", s.log());
}

/// The server links a look-alike as `prov add` does (`similar_to`, signed in the entry):
/// across groups, which keep the look-alike index between them, and after a claim, an
/// append outside the groups after which the index is read again.
#[test]
fn the_server_links_look_alikes_as_add_does() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "ada@news.example");
    w.write("first/article.txt", article(None));
    w.write(
        "second/altered.txt",
        article(Some(
            "No one at the port ever saw the second shipment arrive.",
        )),
    );
    w.write("second/other.txt", "an unrelated short note\n");
    w.write(
        "third/again.txt",
        article(Some("The harbour master kept a second, secret ledger.")),
    );
    let s = Serve::start(&w, &[], &[]);
    let add = |dir: &str| {
        let mut c = w.cmd(&["--server", &s.url, "add", dir, "--source", "tips", "--json"]);
        c.env("PROV_TOKEN", &token);
        let r = Run::from(c.output().unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.documents()
    };
    let first = add("first");
    assert!(first[0]["similar_to"].is_null());
    let second = add("second");
    let altered = second.iter().find(|v| v["name"] == "altered.txt").unwrap();
    assert_eq!(altered["similar_to"]["seq"], 0, "{second:?}");
    let other = second.iter().find(|v| v["name"] == "other.txt").unwrap();
    assert!(other["similar_to"].is_null(), "{other}");
    // A claim is appended between two groups.
    let claim = r#"{"about": 1, "verdict": "altered", "by": "desk", "reason": "checked"}"#;
    let r = post_json(&s, Some(&token), "/v1/claims", claim);
    assert_eq!(r.status, 200, "{}", r.body);
    let third = add("third");
    assert!(
        third[0]["similar_to"]["seq"].as_u64().is_some(),
        "{third:?}"
    );
    // Signed in the entry, and the audit holds.
    let shown = w
        .run(&["show", &third[0]["seq"].to_string(), "--json"])
        .jsonl();
    assert!(
        shown[0]["related"].to_string().contains("similar_to"),
        "{shown:?}"
    );
    drop(s);
    w.run(&["audit"]).ok();
}

/// A container some of whose members were not recorded (here a name the zip repeats) is
/// said through the server as on the ledger: the note, and `members_not_recorded` in JSON.
#[test]
fn members_not_recorded_are_said_through_the_server_as_locally() {
    // The same bytes in both (dated, not stamped with the time each was made).
    let make = |w: &Workspace| {
        w.init();
        let zipped = std::process::Command::new("python3")
            .current_dir(w.path(""))
            .args([
                "-c",
                "import zipfile, warnings\nwarnings.simplefilter('ignore')\nat = lambda n: zipfile.ZipInfo(n, date_time=(2024, 1, 1, 0, 0, 0))\nwith zipfile.ZipFile('d.zip', 'w') as z:\n    z.writestr(at('x.txt'), 'one')\n    z.writestr(at('x.txt'), 'two')\n    z.writestr(at('y.txt'), 'three')",
            ])
            .status()
            .unwrap();
        assert!(zipped.success());
    };
    let (local, w, token, s) = super::local_and_served(make);
    let through = |args: &[&str]| super::remote(&w, &s, &token, args);
    let args = ["add", "d.zip", "--source", "s"];
    let (l, r) = (local.run(&args), through(&args));
    assert_eq!((l.code, r.code), (0, 0), "{}", r.stderr);
    assert!(
        l.stderr
            .contains("1 member in 1 container was not recorded"),
        "{}",
        l.stderr
    );
    assert_eq!(l.stderr, r.stderr);
    for (source, extra) in [("t", None), ("u", Some("--hash-only"))] {
        let args = ["add", "d.zip", "--source", source, "--json"];
        let l = local.run(&args);
        let r = through(&[&args[..], extra.as_slice()].concat());
        let lines = |run: &Run| -> Vec<String> {
            run.stdout
                .lines()
                .map(|line| {
                    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
                    v["first_seen"]["time"] = serde_json::Value::Null;
                    v.to_string()
                })
                .collect()
        };
        assert_eq!(lines(&l), lines(&r), "{extra:?}");
        let zip = l.documents()[0].clone();
        assert_eq!(zip["members_not_recorded"], 1, "{zip}");
        assert!(
            l.stdout.contains("\"kind\":\"members_not_recorded\""),
            "{}",
            l.stdout
        );
    }
    // Recorded already from this source: the entry keeps its first recording's counts, so
    // the record gives none of this walk's, and no note is said.
    let args = ["add", "d.zip", "--source", "s", "--json"];
    for run in [local.run(&args), through(&args)] {
        let zip = run.documents()[0].clone();
        assert_eq!(zip["status"], "already_recorded", "{zip}");
        assert!(zip["members_not_recorded"].is_null(), "{zip}");
        assert!(
            !run.stdout.contains("members_not_recorded"),
            "{}",
            run.stdout
        );
    }
}
