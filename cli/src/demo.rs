//! `prov demo`: a self-contained scenario in a fresh temporary ledger. It runs this very
//! binary, step by step, printing each command as a user would type it.

use crate::failure::{Failure, Result};
use crate::output::Out;
use std::path::Path;
use std::process::{Command, Stdio};

const EMAILS: [(&str, &str); 3] = [
    (
        "2025-11-03-board.eml",
        "From: cfo@acme.example\nTo: board@acme.example\nDate: Mon, 3 Nov 2025 09:12:00 +0000\nSubject: Q3 numbers\n\nThe Q3 loss is 4.1M; we will report it as 1.2M.\n",
    ),
    (
        "2025-11-04-auditor.eml",
        "From: auditor@firm.example\nTo: cfo@acme.example\nDate: Tue, 4 Nov 2025 16:40:00 +0000\nSubject: Re: Q3 numbers\n\nWe cannot sign off on these figures.\n",
    ),
    (
        "2025-11-05-legal.eml",
        "From: legal@acme.example\nTo: cfo@acme.example\nDate: Wed, 5 Nov 2025 08:05:00 +0000\nSubject: Retention\n\nPlease keep every draft of the Q3 report.\n",
    ),
];
const CONTRACT: &str = "SUPPLY CONTRACT\nBetween ACME Corp and Shell Holdings Ltd\nTotal value: EUR 2,400,000\nSigned: 2025-10-01\n";
const ACCOUNTS: &str = "account,q3_2025\nrevenue,18400000\ncosts,22500000\nloss,-4100000\n";

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(dir.join(name), text))
        .map_err(|e| Failure::input(format!("demo: cannot write {name}: {e}")))
}

/// The leaked files: the emails and the contract, and with `accounts` the spreadsheet.
fn write_leak(dir: &Path, accounts: bool) -> Result<()> {
    for (name, text) in EMAILS {
        write(dir, name, text)?;
    }
    write(dir, "contract.txt", CONTRACT)?;
    if accounts {
        write(dir, "accounts-q3.csv", ACCOUNTS)?;
    }
    Ok(())
}

struct Runner<'a> {
    exe: &'a Path,
    dir: &'a Path,
    out: Out,
}

impl Runner<'_> {
    /// Runs `prov ARGS` in the demo folder, shows it, and checks its exit code.
    fn run(&self, args: &[&str], want: i32, capture: bool) -> Result<String> {
        self.say(&format!("\n$ prov {}", args.join(" ")))?;
        let mut cmd = Command::new(self.exe);
        cmd.args(["--ledger", "ledger"])
            .args(args)
            .current_dir(self.dir)
            // The demo's own ledger and key, whatever the user's environment names.
            .env_remove("PROV_LEDGER")
            .env_remove("PROV_KEY_FILE");
        cmd.stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .stderr(Stdio::inherit());
        let output = cmd
            .output()
            .map_err(|e| Failure::input(format!("demo: cannot run {}: {e}", self.exe.display())))?;
        let code = output.status.code().unwrap_or(-1);
        if code != want {
            return Err(Failure::negative(format!(
                "demo: `prov {}` exited {code}, expected {want}",
                args.join(" ")
            )));
        }
        if want != 0 {
            self.say(&format!("(exit {code}, as expected)"))?;
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// One line of narration. A reader that went away (`prov demo | head`) stops the demo
    /// quietly: the error carries exit code 0.
    fn say(&self, line: &str) -> Result<()> {
        self.out.line(line)
    }
}

pub fn demo(out: Out) -> Result<()> {
    let tmp = tempfile::tempdir()
        .map_err(|e| Failure::input(format!("demo: cannot create a temporary folder: {e}")))?;
    let dir = tmp.path();
    let exe = std::env::current_exe()
        .map_err(|e| Failure::input(format!("demo: cannot find the prov binary: {e}")))?;
    let r = Runner {
        exe: &exe,
        dir,
        out,
    };
    r.say(&format!(
        "prov demo: a leak arrives, mirrors spread it, a forgery appears. Working in {}",
        dir.display()
    ))?;

    write_leak(&dir.join("dump"), true)?;

    r.say("\n== 1. An archive creates a ledger and publishes its verifier key.")?;
    let vkey = r.run(
        &["init", "--origin", "demo.prov.example/acme-leak"],
        0,
        true,
    )?;
    let vkey = vkey.trim().to_owned();
    r.say(&vkey)?;

    r.say("\n== 2. The leak is ingested from where it was found.")?;
    r.run(
        &[
            "add",
            "dump",
            "--source",
            "https://leaks.example/acme-dump",
            "--agent",
            "archivist@newsroom.example",
        ],
        0,
        false,
    )?;
    let saved = r.run(&["checkpoint"], 0, true)?;
    write(dir, "checkpoint-day1.txt", &saved)?;
    r.out.raw(&saved)?;
    r.say("(saved as checkpoint-day1.txt)")?;

    std::thread::sleep(std::time::Duration::from_millis(1100));
    r.say("\n== 3. Later, a mirror re-publishes the same files, and someone posts an altered contract.")?;
    write_leak(&dir.join("mirror"), false)?;
    write(
        &dir.join("pastebin"),
        "contract.txt",
        &CONTRACT.replace("2,400,000", "240,000"),
    )?;
    r.run(
        &["add", "mirror", "--source", "https://mirror.example/acme"],
        0,
        false,
    )?;
    r.run(
        &[
            "add",
            "pastebin/contract.txt",
            "--source",
            "https://paste.example/x7Kq",
        ],
        0,
        false,
    )?;

    r.say("\n== 4. Which contract circulated first, and from where?")?;
    r.run(
        &["check", "dump/contract.txt", "pastebin/contract.txt"],
        0,
        false,
    )?;

    r.say(
        "\n== 5. An offline proof for the authentic contract, checked with nothing but the key.",
    )?;
    r.run(
        &["prove", "dump/contract.txt", "-o", "contract.tlog-proof"],
        0,
        false,
    )?;
    r.run(
        &[
            "verify-proof",
            "contract.tlog-proof",
            "--key",
            &vkey,
            "--document",
            "dump/contract.txt",
        ],
        0,
        false,
    )?;
    r.say("\nThe same proof does not cover the altered copy:")?;
    r.run(
        &[
            "verify-proof",
            "contract.tlog-proof",
            "--key",
            &vkey,
            "--document",
            "pastebin/contract.txt",
        ],
        1,
        false,
    )?;

    r.say("\n== 6. The ledger only appended since day 1, and audits clean.")?;
    r.run(
        &["consistency", "checkpoint-day1.txt", "-o", "since-day1.txt"],
        0,
        false,
    )?;
    r.run(
        &[
            "verify-consistency",
            "checkpoint-day1.txt",
            "since-day1.txt",
            "--key",
            &vkey,
        ],
        0,
        false,
    )?;
    r.run(&["audit"], 0, false)?;

    r.say("\n== 7. The ledger published as a static C2SP tlog-tiles tree: any web server serves it, any tlog-tiles client verifies it.")?;
    r.run(&["publish", "www"], 0, false)?;
    r.say("(www/checkpoint, www/tile/0/..., www/tile/entries/...: serve www/ as the log's URL prefix)")?;
    r.say(
        "\nDone. Everything above ran against a real ledger in a temporary folder, now removed.",
    )?;
    Ok(())
}
