//! The shell habits: `prov help TOPIC`, the manual page, completions, and a README that says
//! what the binary does (its exit codes, its minimum Rust, how to install each page).

use prov_tests::Workspace;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

/// Every command, as `prov --help` lists them.
fn commands(w: &Workspace) -> Vec<String> {
    let help = w.run(&["--help"]).ok().to_owned();
    let list = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap();
    list.lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_has_help_with_an_example() {
    let w = Workspace::new();
    let commands = commands(&w);
    assert!(commands.len() >= 20, "{commands:?}");
    for c in ["checkpoints", "help", "man", "completions"] {
        assert!(
            commands.iter().any(|n| n == c),
            "{c} missing from {commands:?}"
        );
    }
    for c in &commands {
        let help = w.run(&[c, "--help"]).ok().to_owned();
        assert!(
            help.contains("Example"),
            "`prov {c} --help` has no example:\n{help}"
        );
        assert_eq!(
            w.run(&["help", c]).ok(),
            help,
            "`prov help {c}` differs from --help"
        );
    }
    w.run(&["help", "nosuch"])
        .fails(2, "give a command (init, add,");
}

#[test]
fn the_exit_codes_page_is_the_readmes_table() {
    let w = Workspace::new();
    let page = w.run(&["help", "exit-codes"]).ok().to_owned();
    let readme = readme();
    let rows: Vec<(String, String)> = readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() == 4 && cells[1].parse::<u8>().is_ok())
                .then(|| (cells[1].to_owned(), cells[2].to_owned()))
        })
        .collect();
    assert_eq!(rows.len(), 9, "README's exit code table");
    for (code, meaning) in rows {
        assert!(
            page.contains(&format!("  {code}  {meaning}\n")),
            "{code} {meaning}:\n{page}"
        );
    }
}

#[test]
fn the_formats_page_names_each_format_and_its_command() {
    let w = Workspace::new();
    let page = w.run(&["help", "formats"]).ok().to_owned();
    for needle in [
        "verifier key",
        "`prov key`",
        "checkpoint",
        "c2sp.org/tlog-proof@v1",
        "`old <size>`",
        "`<sha256 hex> <size> <name>`",
        "JSON Lines",
        "docs/FORMAT.md",
    ] {
        assert!(page.contains(needle), "{needle:?} missing:\n{page}");
    }
    // What it says of a checkpoint is what `prov checkpoint` prints.
    w.init();
    let cp = w.run(&["checkpoint"]).ok().to_owned();
    assert!(cp.contains("\n\n\u{2014} e2e.example/ledger "), "{cp}");
}

#[test]
fn the_manual_page_renders_and_names_every_command() {
    let w = Workspace::new();
    let commands = commands(&w);
    let roff = w.run(&["man"]).ok().to_owned();
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH prov 1"),
        "{roff}"
    );
    for c in &commands {
        assert!(
            roff.contains(&format!("prov\\-{}", c.replace('-', "\\-"))),
            "{c} not in the page"
        );
    }
    // The page renders (groff, as `man` uses it): every command is in the text a reader sees.
    w.write("prov.1", &roff);
    let rendered = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-rLL=300n", "-P-cbou"])
        .arg(w.path("prov.1"))
        .output();
    match rendered {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            for section in ["NAME", "SYNOPSIS", "SUBCOMMANDS", "EXAMPLES", "EXIT STATUS"] {
                assert!(
                    text.contains(&format!("\n{section}\n")),
                    "no {section}:\n{text}"
                );
            }
            assert!(!text.contains("EXTRA"), "{text}");
            for c in &commands {
                assert!(
                    text.contains(&format!("prov-{c}(1)")),
                    "{c} not rendered:\n{text}"
                );
            }
        }
        _ => prov_tests::skip("groff is not installed"),
    }
    // One page per command, for a man1 folder.
    let r = w.run(&["man", "--dir", "man1"]);
    assert!(
        r.ok()
            .starts_with(&format!("wrote {} pages", commands.len() + 1)),
        "{}",
        r.stdout
    );
    assert!(w.path("man1/prov.1").exists());
    for c in &commands {
        assert!(
            w.path(&format!("man1/prov-{c}.1")).exists(),
            "no page for {c}"
        );
    }
    // A folder whose name holds a newline and an escape is named in one escaped line.
    let r = w.run(&["man", "--dir", "odd\nname\x1b[31m"]);
    assert_eq!(
        r.ok(),
        "wrote 30 pages into odd\\nname\\x1b[31m: prov.1 and prov-COMMAND.1\n"
            .replace("30", &(commands.len() + 1).to_string())
    );
    assert!(w.path("odd\nname\x1b[31m/prov.1").exists());
}

#[test]
fn completions_and_the_readme_install_lines_match_the_binary() {
    let w = Workspace::new();
    let readme = readme();
    for shell in ["bash", "zsh", "fish"] {
        let script = w.run(&["completions", shell]).ok().to_owned();
        assert!(
            script.contains("checkpoints") && script.contains("verify-consistency"),
            "{shell}"
        );
        assert!(
            readme.contains(&format!("prov completions {shell} >")),
            "README: {shell}"
        );
    }
    for line in [
        "prov help exit-codes",
        "prov help formats",
        "prov man --dir",
        "prov checkpoints",
    ] {
        assert!(readme.contains(line), "README lacks {line:?}");
    }
    // The minimum Rust the README names is the workspace's rust-version.
    let toml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
        .unwrap();
    let msrv = toml
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .unwrap()
        .trim_end_matches('"');
    assert!(
        readme.contains(&format!("Rust {msrv} or later")),
        "README lacks the MSRV {msrv}"
    );
}
