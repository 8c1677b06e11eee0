//! `prov demo`: a self-contained scenario in a fresh temporary ledger. It runs this very
//! binary, step by step, printing each command as a user would type it.

use crate::failure::{Failure, Result};
use crate::output::Out;
use std::path::Path;
use std::process::{Command, Stdio};

const EMAILS: [&str; 2] = [
    "From: cfo@acme.example\nTo: board@acme.example\nDate: Mon, 3 Nov 2025 09:12:00 +0000\nSubject: Q3 numbers\nMessage-ID: <q3@acme.example>\n\nThe Q3 loss is 4.1M; we will report it as 1.2M.\n",
    "From: auditor@firm.example\nTo: cfo@acme.example\nDate: Tue, 4 Nov 2025 16:40:00 +0000\nSubject: Re: Q3 numbers\nMessage-ID: <re-q3@firm.example>\n\nWe cannot sign off on these figures.\n",
];
const CONTRACT: &str = "SUPPLY CONTRACT\nBetween ACME Corp and Shell Holdings Ltd\nTotal value: EUR 2,400,000\nSigned: 2025-10-01\n";
const ACCOUNTS: &str = "account,q3_2025\nrevenue,18400000\ncosts,22500000\nloss,-4100000\n";

/// The email from legal, with the contract attached (base64, as mail clients send it).
fn legal_email() -> String {
    use base64::Engine;
    let attached = base64::engine::general_purpose::STANDARD.encode(CONTRACT);
    format!(
        "From: legal@acme.example\nTo: cfo@acme.example\nDate: Wed, 5 Nov 2025 08:05:00 +0000\nSubject: Retention\nMessage-ID: <keep@acme.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nPlease keep every draft of the Q3 report. The signed contract is attached.\n--b1\nContent-Type: text/plain; name=\"contract.txt\"\nContent-Disposition: attachment; filename=\"contract.txt\"\nContent-Transfer-Encoding: base64\n\n{attached}\n--b1--\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(dir.join(name), text))
        .map_err(|e| Failure::input(format!("demo: cannot write {name}: {e}")))
}

/// The leaked files: the CFO's mailbox (an mbox of three emails, the contract attached to
/// the last), and with `accounts` the spreadsheet.
fn write_leak(dir: &Path, accounts: bool) -> Result<()> {
    let mut mbox = String::new();
    for email in EMAILS.iter().map(|e| e.to_string()).chain([legal_email()]) {
        mbox.push_str("From cfo@acme.example Wed Nov  5 09:00:00 2025\n");
        mbox.push_str(&email);
        mbox.push('\n');
    }
    write(&dir.join("cfo"), "inbox.mbox", &mbox)?;
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

    r.say("\n== 2. The leak is ingested from where it was found: the mailbox, each email in it, and each attachment, every one linked to what held it.")?;
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
    r.say("\n== 3. Later, a mirror re-publishes the same mailbox, and someone posts an altered contract.")?;
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

    r.say("\n(`add` found the posted contract to look like the one attached to the email, and linked it: similar_to, with the distance, signed.) What else looks like it?")?;
    r.run(&["similar", "pastebin/contract.txt"], 0, false)?;

    r.say("\n== 4. A reporter saved the contract from the email. Which contract circulated first, and from where?")?;
    write(&dir.join("saved"), "contract.txt", CONTRACT)?;
    r.run(
        &["check", "saved/contract.txt", "pastebin/contract.txt"],
        0,
        false,
    )?;

    r.say(
        "\n== 5. An offline proof for the authentic contract, checked with nothing but the key.",
    )?;
    r.run(
        &["prove", "saved/contract.txt", "-o", "contract.tlog-proof"],
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
            "saved/contract.txt",
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
