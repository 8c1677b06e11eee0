//! The reference pages: `prov help [COMMAND|TOPIC]` (a command's help, or a short page on
//! the formats `prov` reads and writes, or its exit codes) and `prov man` (manual pages
//! generated from the same clap definitions as `--help`, so they cannot drift apart).

use crate::Cli;
use crate::failure::{EXIT_CODES, Failure, Result};
use crate::output::{Out, count};
use clap::{Args, CommandFactory};
use clap_mangen::roff::{Roff, bold, roman};
use std::path::PathBuf;

#[derive(Args)]
pub struct HelpArgs {
    /// A command (add, check, ...) or a topic: formats, exit-codes
    topic: Option<String>,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write prov.1 and a page per command (prov-add.1, ...) into this folder instead of
    /// printing prov.1
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The topics `prov help` knows besides the commands.
const TOPICS: [&str; 2] = ["formats", "exit-codes"];

const FORMATS: &str = "\
Formats prov reads and writes (byte for byte: docs/FORMAT.md)

verifier key       one line from `prov key`: <origin>+<key id, 8 hex>+<base64 key>
                   (a C2SP signed-note verifier key, Ed25519)
signing key        key.pem (or --key-file): PEM PKCS#8 Ed25519; with `init --encrypt-key`, an
                   ENCRYPTED PRIVATE KEY (PBES2: scrypt N=2^14 r=8 p=1, AES-256-CBC) that
                   `openssl pkey -passin` reads; its passphrase from $PROV_KEY_PASSPHRASE,
                   --passphrase-file or the terminal, never the command line
checkpoint         `prov checkpoint`: a C2SP signed note: the origin, the size, the base64
                   Merkle root (RFC 6962), a blank line, then signature lines `— <origin> <base64>`
inclusion proof    `prov prove`: a C2SP tlog-proof (`c2sp.org/tlog-proof@v1`; `extra` = the
                   entry, `index`, the audit path, a blank line, the checkpoint); --json: one object
consistency proof  `prov consistency`: `old <size>`, the base64 proof lines, a blank line, the
                   new checkpoint (the C2SP tlog-witness body); --json: one object
manifest           `prov add --manifest FILE`, told from its first line (or --manifest-format):
                   prov: `<sha256 hex> <size> <name>` per line, LF or CRLF, the name may be empty;
                   sha256sum: `HEX  NAME`, `HEX *NAME`, `SHA256 (NAME) = HEX`, `\\` escapes;
                   bagit: a bag's manifest-sha256.txt, `HEX  data/PATH` (names without data/);
                   jsonl: {\"sha256\", \"size\", \"name\" or \"name_hex\", \"media_type\",
                   \"meta\": {..}, \"related\": [{\"relation\", \"seq\"}]}: its fields over the command's;
                   sizes not given are read from the files, beside the manifest
export             `prov export`: JSON Lines, one entry each; --format csv: seq, kind,
                   first_seen_seq, time, sha256, size, name, media_type, source, agent,
                   name_hex, claim_about, claim_verdict, metadata (JSON), related
                   (RELATION:SEQ ...), digests (JSON), prev, leaf_hash, key_id, signature (hex)
                   --format sha256sum: `HEX  NAME` per named entry (coreutils escapes);
                   --format bagit DIR: a holey BagIt bag (manifest-sha256.txt of data/SEQ/NAME,
                   fetch.txt for URL sources, bag-info.txt, prov/checkpoint, prov/proofs/)
claim              `prov claim`: an entry of kind 2 (FORMAT.md 6.7): about SEQ, a verdict, by
                   (its source), claim.reason, evidence links; the ledger becomes format 3
--json             one JSON object, or JSON Lines (one object a line) for streams: add, check,
                   show, log, export, checkpoints, cosign, timestamp(s), witnesses and tsas
                   list, witness serve; add and check add a record with `path` and `skipped`
                   (why) for what a walk passed over, and `path_hex` for a path that is not
                   UTF-8; a note is {\"note\": TEXT, \"kind\": KIND, ...}, in the stream on stdout
                   for JSON Lines, on stderr for one object; an error is one object on stderr,
                   last: `error`, `exit`, `hint` (null when there is nothing to do);
                   completions, help, man, demo and export --format csv|sha256sum refuse it
audit bundle       `prov export --audit-bundle DIR`: entries.log, COMMIT, ledger.json,
                   ledger.vkey, checkpoint (never key.pem); `prov --ledger DIR audit` reads it
times              RFC 3339, UTC, milliseconds: 2026-01-01T00:00:00.000Z
human output       recorded text escaped to one line: \\\\ \\n \\r \\t, \\xNN for other controls and
                   bytes that are not UTF-8, \\u{202e} for bidirectional controls; --json is exact
ledger folder      ledger.json, key.pem, entries.log, COMMIT (the signed log and its commit
                   point); tile/, offsets, content/ (derived: `prov reindex` rebuilds them);
                   fingerprints (TLSH of documents' bytes and text, written by add, not
                   signed and not rebuildable: FORMAT.md 7.6)
similar_to         the link add records to the earlier document a new one resembles most,
                   with metadata similar_to.distance (TLSH) and similar_to.fingerprint (text
                   or bytes), signed with the entry (FORMAT.md 6.9); `prov similar` lists all
";

/// The exit-codes page, made from the table the binary exits by.
fn exit_codes() -> String {
    let mut s = String::from("Exit codes of prov\n\n");
    for (code, meaning) in EXIT_CODES {
        s += &format!("  {code}  {meaning}\n");
    }
    s += "\nAn error is one line on stderr (`prov: ...`) that names what is wrong and what to do;\n\
with --json, one JSON object: {\"error\": ..., \"exit\": CODE, \"hint\": WHAT TO DO or null}.\n\
A failed command writes nothing to the ledger, but for exit 5 when the output fails after a\n\
batch was recorded: the error then says how many documents are recorded.\n";
    s
}

pub fn help(a: HelpArgs, out: Out) -> Result<()> {
    let page = match a.topic.as_deref() {
        None => rendered_help(&["prov", "--help"]),
        Some("formats") => FORMATS.to_owned(),
        Some("exit-codes") => exit_codes(),
        Some(name) if Cli::command().find_subcommand(name).is_some() => {
            rendered_help(&["prov", name, "--help"])
        }
        Some(other) => {
            let commands: Vec<String> = Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_owned())
                .collect();
            return Err(Failure::usage(format!(
                "no help on '{other}': give a command ({}) or a topic ({})",
                commands.join(", "),
                TOPICS.join(", ")
            )));
        }
    };
    out.raw(&page)
}

/// What `prov ARGS` prints for `--help`, rendered the way the parser renders it.
fn rendered_help(args: &[&str]) -> String {
    match Cli::command().try_get_matches_from(args) {
        Err(e) => e.render().to_string(),
        Ok(_) => String::new(),
    }
}

pub fn man(a: ManArgs, out: Out) -> Result<()> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = &a.dir else {
        let page = page(&cmd, true)?;
        return out.raw(&String::from_utf8_lossy(&page));
    };
    let cannot = |e: std::io::Error| {
        Failure::environment(format!(
            "cannot write the manual pages into {}: {e}: check that it is a folder you can write to",
            dir.display()
        ))
    };
    // Something other than a folder where the folder is asked for is the user's to fix.
    if let Ok(m) = dir.symlink_metadata()
        && !m.is_dir()
        && !(m.file_type().is_symlink() && dir.is_dir())
    {
        return Err(Failure::input(format!(
            "{} is not a folder: give a folder for the manual pages (made if missing)",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let mut written = 0u64;
    for (c, main) in std::iter::once((&cmd, true)).chain(cmd.get_subcommands().map(|c| (c, false)))
    {
        let name = c.get_display_name().unwrap_or(c.get_name());
        // Each page replaces whatever stood at its name (a link is replaced, never written
        // through): written beside it, then renamed over it. The file beside it is created
        // new (never opened through a link someone put there in a shared folder such as
        // /tmp since it was removed).
        let path = dir.join(format!("{name}.1"));
        let tmp = dir.join(format!(".{name}.1.tmp"));
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &page(c, main)?))
            .map_err(cannot)?;
        std::fs::rename(&tmp, &path).map_err(cannot)?;
        written += 1;
    }
    out.human(format!(
        "wrote {} into {}: prov.1 and prov-COMMAND.1",
        count(written, "page", "pages"),
        prov_report::escape::path(dir)
    ))
}

/// One manual page: clap_mangen's sections, then the command's examples kept as lines (its
/// `--help` epilogue), and on the main page the exit status.
fn page(cmd: &clap::Command, main: bool) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut w = Vec::new();
    man.render_title(&mut w)?;
    man.render_name_section(&mut w)?;
    man.render_synopsis_section(&mut w)?;
    man.render_description_section(&mut w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut w)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut w)?;
    }
    let mut roff = Roff::new();
    if let Some(text) = cmd.get_after_help() {
        roff.control("SH", ["EXAMPLES"]).control("nf", []);
        for line in text.to_string().lines() {
            if !matches!(line, "Example:" | "Examples:") {
                roff.text([roman(line)]);
            }
        }
        roff.control("fi", []);
    }
    if main {
        roff.control("SH", ["EXIT STATUS"]);
        for (code, meaning) in EXIT_CODES {
            roff.control("TP", [])
                .text([bold(code.to_string())])
                .text([roman(meaning)]);
        }
        roff.control("SH", ["SEE ALSO"]).text([roman(
            "prov help formats (the files prov reads and writes, in short); docs/FORMAT.md in the source (byte for byte); README.md.",
        )]);
    }
    roff.to_writer(&mut w)?;
    if cmd.get_version().is_some() {
        man.render_version_section(&mut w)?;
    }
    Ok(w)
}
