//! `prov`: a signed provenance ledger for leaked and archived documents.
//!
//! Archivists `add` documents with their source; anyone can `check` a document; auditors
//! `prove`, `verify-proof`, check `consistency` and `audit` without trusting the operator.
#![forbid(unsafe_code)]

mod add;
mod add_report;
mod admin;
mod bundle;
mod check;
mod claim;
mod consistency;
mod cosign;
mod crash_point;
mod demo;
mod dkim;
mod dkim_verify;
mod entries;
mod export_lists;
mod failure;
mod fields;
mod note;
mod output;
mod passphrase;
mod proof;
mod publish;
mod quorum;
mod remote;
mod said;
mod serve;
mod similar;
mod stamped;
mod timestamp;
mod topics;
mod usage;
mod witness;

use clap::{Args, CommandFactory, Parser, Subcommand};
use failure::Result;
use output::Out;
use std::path::PathBuf;
use std::process::ExitCode;

/// prov: a signed provenance ledger. It records when it first saw each document and from
/// where, in a signed, hash-chained, Merkle-committed log that auditors verify offline.
#[derive(Parser)]
#[command(name = "prov", version, about, long_about = None, disable_help_subcommand = true, after_help = "\
Examples:
  prov init --origin archive.example.org/leaks-2026
  prov add ./dump --source https://leak.example/dump-1
  prov check suspicious.pdf
  prov prove suspicious.pdf -o suspicious.tlog-proof

Exit codes: 0 success, 1 negative answer, 2 usage, 3 bad input, 4 ledger unavailable,
5 environment (output cannot be written, unusable clock; what was reported stays recorded),
6 the signing key's passphrase is wrong or missing.
More: `prov help COMMAND`, `prov help formats`, `prov help exit-codes`, `prov man`.")]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct Global {
    /// The ledger directory [default: $PROV_LEDGER, else ./.prov]
    #[arg(
        long,
        global = true,
        env = "PROV_LEDGER",
        default_value = ".prov",
        hide_default_value = true,
        hide_env = true
    )]
    ledger: PathBuf,
    /// Machine-readable output: one JSON object, or JSON Lines for streams
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars, notes or human summaries
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Work through a ledger server (`prov serve`) at this URL instead of a local ledger:
    /// add, check, show and prove [env: PROV_SERVER]
    #[arg(
        long,
        global = true,
        env = "PROV_SERVER",
        hide_env = true,
        value_name = "URL"
    )]
    server: Option<String>,
    /// The archivist's token for --server (from `prov archivist add`); better given in
    /// $PROV_TOKEN, which other users cannot read in the process list
    #[arg(
        long,
        global = true,
        env = "PROV_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// For an https:// --server whose certificate a private CA issued: trust the CA
    /// certificates in this PEM file (instead of the public roots) [env: PROV_CA_CERT]
    #[arg(
        long,
        global = true,
        env = "PROV_CA_CERT",
        hide_env = true,
        value_name = "FILE"
    )]
    ca_cert: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new ledger and its signing key; print the verifier key
    #[command(
        after_help = "Examples:\n  prov --ledger /srv/ledger init --origin archive.example.org/leaks-2026\n  prov --ledger /srv/ledger init --key-file /secure/acme.key   (the key kept apart)\n  PROV_KEY_PASSPHRASE=... prov init --encrypt-key   (or --passphrase-file FILE, or asked on a terminal)"
    )]
    Init(admin::InitArgs),
    /// Record documents (files, folders, or - for stdin) with their source
    #[command(
        after_help = "Examples:\n  prov add ./dump --source https://leak.example/dump-1 --meta case=2026-17\n  prov add EMLEAKS-3.zip --source https://4chan.example/thread/1   (every email and attachment too)\n  cat memo.pdf | prov add - --name memo.pdf --source mailto:tips@news.example\n  prov add --sha256 5891b5b5...be03 --size 6 --source 'court exhibit 12'\n  prov add --manifest SHA256SUMS --source https://leak.example/dump-1   (sha256sum output; or a BagIt manifest-sha256.txt, or JSON Lines)"
    )]
    Add(Box<add::AddArgs>),
    /// Tell whether documents are known: first seen when, from where, every sighting, the
    /// claims about them and what links to them
    #[command(
        after_help = "Example:\n  prov check contract.pdf invoices/\n  prov check --json altered.pdf   (claims, related, linked_from: the links both ways)\n\nBesides every sighting and its containers, it lists the claims about the document (with\ntheir retractions) and the entries that link to it (an altered copy, members, evidence),\nfound by one pass over the whole log (FORMAT.md 6.7).\n\nExit 0 when every document is known, 1 when any is not."
    )]
    Check(check::CheckArgs),
    /// Record a signed claim about an entry: authentic, forged, altered, disputed,
    /// unverified, or retracted (of an earlier claim)
    #[command(
        after_help = "Examples:\n  prov claim 152 --verdict forged --by 'verification desk' --reason 'fonts postdate the date' --evidence 140\n  prov claim 160 --verdict retracted --by 'verification desk' --reason 'wrong file'   (160 is the claim)\n\nA claim is an entry (FORMAT.md 6.7): `prove` proves it, `check` and `show` list it. The same\nclaim again (entry, verdict, --by, --reason) is already recorded and adds nothing. A SEQ the\nledger does not hold is refused (exit 8). The first claim moves the ledger to format 3."
    )]
    Claim(claim::ClaimArgs),
    /// Show one entry by sequence number, or every entry for a SHA-256 (or its first digits)
    #[command(
        after_help = "Examples:\n  prov show 42\n  prov show 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n  prov show 5891b5b522d5df08   (the start that `prov log` prints)\n\nEach entry is followed by the claims about it and the entries that link to it, found by\none pass over the whole log (FORMAT.md 6.7)."
    )]
    Show(entries::ShowArgs),
    /// List recorded documents that look like a file or an entry (TLSH of bytes and text),
    /// closest first, with each one's first sighting
    #[command(
        after_help = "Examples:\n  prov similar altered-contract.docx\n  prov similar 152 --threshold 60 --json\n\nBytes are compared with bytes, and the text of emails, Office files, PDFs and HTML with\ntext (one edit changes the zipped bytes of an Office file entirely, its text by one edit).\nThe distance is TLSH's: 0 for the same fingerprint; altered copies of a text measure about\n5 to 30, unrelated documents mostly above 100. Default threshold 40 (FORMAT.md 6.9).\nDocuments under 50 bytes, too uniform, or recorded by hash alone have no fingerprint.\n\nExit 0 when some recorded document is within the threshold, 1 when none is."
    )]
    Similar(similar::SimilarArgs),
    /// List entries in order
    #[command(after_help = "Example:\n  prov log --from 100 --limit 20 --json")]
    Log(entries::LogArgs),
    /// Print the latest signed checkpoint (the C2SP note text)
    #[command(after_help = "Example:\n  prov checkpoint > checkpoint-$(date +%F).txt")]
    Checkpoint(consistency::CheckpointArgs),
    /// List every checkpoint the ledger issued: size, last entry's time, root
    #[command(
        after_help = "Examples:\n  prov checkpoints\n  prov checkpoints --json | tail -1\n  prov prove memo.pdf --at 4096   (a size from the list)"
    )]
    Checkpoints(consistency::CheckpointsArgs),
    /// Print the ledger's verifier key (one line)
    #[command(after_help = "Example:\n  prov key > ledger.vkey")]
    Key,
    /// Write an offline proof that an entry is in the ledger (a C2SP .tlog-proof)
    #[command(
        after_help = "Examples:\n  prov prove memo.pdf -o memo.tlog-proof\n  prov prove 42 --json -o entry42.json"
    )]
    Prove(proof::ProveArgs),
    /// Verify a proof offline, with no ledger: checkpoint signature, inclusion, entry signature
    #[command(
        name = "verify-proof",
        after_help = "Example:\n  prov verify-proof memo.tlog-proof --key \"$(cat ledger.vkey)\" --document memo.pdf"
    )]
    VerifyProof(proof::VerifyProofArgs),
    /// Prove that the latest checkpoint extends an older one (nothing rewritten)
    #[command(
        after_help = "Example:\n  prov consistency checkpoint-2026-01-01.txt -o since-jan.txt"
    )]
    Consistency(consistency::ConsistencyArgs),
    /// Verify a consistency proof offline against an old checkpoint you saved
    #[command(
        name = "verify-consistency",
        after_help = "Example:\n  prov verify-consistency checkpoint-2026-01-01.txt since-jan.txt --key \"$(cat ledger.vkey)\""
    )]
    VerifyConsistency(consistency::VerifyConsistencyArgs),
    /// Check the whole ledger: every signature, link, checkpoint, and the index
    #[command(
        after_help = "Example:\n  prov audit --key \"$(cat ledger.vkey)\"\n  prov audit --key \"$(cat ledger.vkey)\" --witness w1.vkey --witness w2.vkey --tsa-cert tsa.pem\n\nThe stored cosignatures and timestamps are checked against the keys and certificates given, else witnesses.json's and tsas.json's.\nExit 0 when clean, 1 with the first fault located."
    )]
    Audit(admin::AuditArgs),
    /// Rebuild the derived files (tiles, offsets, content index) from the entry log
    #[command(
        after_help = "Examples:\n  prov reindex\n  prov reindex --key-file /secure/prov.key   (a key kept outside the ledger)"
    )]
    Reindex(admin::ReindexArgs),
    /// Write the ledger as a static C2SP tlog-tiles tree (checkpoint, tiles, entry bundles)
    /// that any web server serves and any tlog-tiles client verifies; incremental
    #[command(
        after_help = "Example:\n  prov publish /var/www/ledger\n  (then serve /var/www/ledger, e.g. python3 -m http.server -d /var/www/ledger)"
    )]
    Publish(publish::PublishArgs),
    /// Export every entry as JSON Lines, CSV, sha256sum lines or a BagIt bag, or write an
    /// audit bundle for an auditor
    #[command(
        after_help = "Examples:\n  prov export --format csv > ledger.csv\n  prov export --format sha256sum > SHA256SUMS   (then, where the files are: sha256sum -c SHA256SUMS)\n  prov export --format bagit bag/   (then: bagit.py --validate bag/ once the files are in bag/data/)\n  prov export --audit-bundle for-auditor/   (then: prov --ledger for-auditor audit --key KEY)"
    )]
    Export(entries::ExportArgs),
    /// Archive DKIM key records (DNS TXT text) as entries, for `prov verify-dkim`
    #[command(
        name = "dkim-key",
        subcommand,
        after_help = "Example:\n  prov dkim-key add --domain mail.example.org --selector may2017 --txt 'v=DKIM1; k=rsa; p=MIIB...' \\\n      --source dns:may2017._domainkey.mail.example.org\n\nMore: `prov dkim-key add --help`; docs/DKIM.md (what a key entry holds)."
    )]
    DkimKey(dkim::DkimKeyCommand),
    /// Verify an email's DKIM signatures offline with archived keys (RFC 6376)
    #[command(
        name = "verify-dkim",
        after_help = "Example:\n  prov verify-dkim message.eml\n  prov verify-dkim message.eml --json\n  prov verify-dkim message.eml --record --by 'verification desk'   (the result as a claim)\n\nExit 0 when a signature verifies, 1 when none does. Each signature is checked with the\nkeys `prov dkim-key add` archived for its d= and s= (found by reading every entry), and\nsaid to be archived before or after the ledger first saw the email (an x= expiry is\njudged then). It needs the email file: the ledger keeps hashes, not bytes."
    )]
    VerifyDkim(dkim_verify::VerifyDkimArgs),
    /// Ask the ledger's witnesses to cosign its latest checkpoint (C2SP tlog-witness)
    #[command(
        after_help = "Examples:\n  prov cosign   (the witnesses of `prov witnesses list`)\n  prov cosign --witness https://witness.example.org=\"$(cat witness.vkey)\"\n\nExit 1 when a witness refuses the ledger's history (an alarm), 5 when one cannot be reached."
    )]
    Cosign(cosign::CosignArgs),
    /// Configure the witnesses `prov cosign` and `prov add --cosign` ask
    #[command(
        after_help = "Examples:\n  prov witnesses add https://witness.example.org \"$(cat witness.vkey)\"\n  prov witnesses list"
    )]
    Witnesses(cosign::WitnessesArgs),
    /// Get RFC 3161 timestamp tokens over the latest checkpoint from timestamp authorities
    #[command(
        after_help = "Examples:\n  prov timestamp   (the TSAs of `prov tsas list`)\n  prov timestamp --tsa https://tsa.example.org/tsr --tsa-cert tsa.pem\n\nExit 1 when a token does not verify (nothing is stored), 5 when a TSA cannot be reached."
    )]
    Timestamp(timestamp::TimestampArgs),
    /// List the RFC 3161 timestamp tokens the ledger holds: size, TSA, genTime, serial
    #[command(after_help = "Example:\n  prov timestamps --json")]
    Timestamps,
    /// Configure the timestamp authorities `prov timestamp` and `prov add --timestamp` ask
    #[command(
        after_help = "Examples:\n  prov tsas add https://tsa.example.org/tsr --cert tsa.pem\n  prov tsas list"
    )]
    Tsas(timestamp::TsasArgs),
    /// Run a witness for other ledgers: `init` its key, `serve` C2SP tlog-witness over HTTP
    #[command(
        after_help = "Examples:\n  prov witness init --dir /srv/witness --name witness.example.org/w1 > witness.vkey\n  prov witness serve --dir /srv/witness --addr 0.0.0.0:8080 --log \"$(cat ledger.vkey)\""
    )]
    Witness(witness::WitnessArgs),
    /// Serve the ledger over HTTP: archivists append at once, anyone reads and verifies
    #[command(
        after_help = "Examples:\n  prov archivist add alice@newsroom.example > alice.token\n  prov serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --web web/dist\n  curl -H \"Authorization: Bearer $(cat alice.token)\" --data-binary @memo.pdf \\\n      'https://ledger.example/v1/documents?source=https://leak.example/dump&name=memo.pdf'\n\nRoutes: POST /v1/documents (the bytes, with ?source=S[&name=N or &name_hex=HEX][&media_type=T]\n[&meta=K=V][&related=R=SEQ][&extract=false]; several as multipart/form-data parts, each named by its\nfilename, as `curl -F d=@a.pdf -F d=@b.eml` sends them; or Content-Type: application/json and\n{\"sha256\", \"size\", \"source\", \"name\", \"media_type\", \"meta\", \"related\"} by hash alone), answered once\ndurable with what `prov add --json` prints; POST /v1/claims ({\"about\", \"verdict\", \"by\", \"reason\",\n\"evidence\", \"meta\"}, as `prov claim --json`); GET /v1/documents/SHA256 (as `prov check --json`; 404\nwhen unknown), /v1/entries/SEQ, /v1/proofs/SEQ, /v1/consistency?old=N; and the C2SP\ntlog-tiles tree: GET /checkpoint, /tile/...; with --web, the browser verifier at\n/verify/. HEAD is GET without the body. Writes need an archivist's token (401, 403\nrevoked); the entry's agent is the archivist. Errors are JSON {\"error\", \"hint\"}.\n\nPrints `listening on http://ADDR` on stdout once bound; one line per request on stderr."
    )]
    Serve(serve::ServeArgs),
    /// Manage who may write through `prov serve`: add (prints a token once), list, revoke
    #[command(
        after_help = "Examples:\n  prov archivist add alice@newsroom.example > alice.token\n  prov archivist list\n  prov archivist revoke alice@newsroom.example"
    )]
    Archivist(serve::ArchivistArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "Examples:\n  prov completions bash > /etc/bash_completion.d/prov\n  prov completions zsh > /usr/local/share/zsh/site-functions/_prov\n  prov completions fish > ~/.config/fish/completions/prov.fish"
    )]
    Completions(admin::CompletionsArgs),
    /// Print help for a command, or a topic: formats, exit-codes
    #[command(
        after_help = "Examples:\n  prov help add\n  prov help formats\n  prov help exit-codes"
    )]
    Help(topics::HelpArgs),
    /// Print the manual page (roff), generated from the same definitions as --help
    #[command(
        after_help = "Examples:\n  prov man | man -l -\n  prov man --dir /usr/local/share/man/man1   (prov.1 and prov-COMMAND.1)"
    )]
    Man(topics::ManArgs),
    /// Run a self-contained scenario in a temporary ledger, printing each step
    #[command(after_help = "Example:\n  prov demo")]
    Demo,
}

fn run(cli: Cli) -> Result<()> {
    let g = cli.global;
    let out = Out {
        json: g.json,
        quiet: g.quiet,
        stream: json_lines(&cli.command),
    };
    let offline = matches!(
        cli.command,
        Command::VerifyProof(_)
            | Command::VerifyConsistency(_)
            | Command::Witness(_)
            | Command::Completions(_)
            | Command::Help(_)
            | Command::Man(_)
            | Command::Demo
    );
    if g.json {
        refuse_json(&cli.command)?;
    }
    if !offline {
        // A clock before 1970 is refused before the ledger is opened: the index store
        // cannot even start with one.
        output::now_ms()?;
    }
    if let Some(url) = g.server.clone() {
        let remote = remote::Remote::new(url, g.token.clone(), g.ca_cert.as_deref())?;
        return match cli.command {
            Command::Add(a) => remote::add(&remote, *a, out),
            Command::Check(a) => remote::check(&remote, a, out),
            Command::Show(a) => remote::show(&remote, a, out),
            Command::Prove(a) => remote::prove(&remote, a, out),
            _ => Err(failure::Failure::usage(
                "--server works with add, check, show and prove; run the other commands where the ledger is",
            )),
        };
    }
    match cli.command {
        Command::Init(a) => admin::init(&g.ledger, a, out),
        Command::Add(a) => add::add(&g.ledger, *a, out),
        Command::Check(a) => check::check(&g.ledger, a, out),
        Command::Claim(a) => claim::claim(&g.ledger, a, out),
        Command::Show(a) => entries::show(&g.ledger, a, out),
        Command::Similar(a) => similar::similar(&g.ledger, a, out),
        Command::Log(a) => entries::log(&g.ledger, a, out),
        Command::Checkpoint(a) => consistency::checkpoint(&g.ledger, a, out),
        Command::Checkpoints(a) => consistency::checkpoints(&g.ledger, a, out),
        Command::Key => consistency::key(&g.ledger, out),
        Command::Prove(a) => proof::prove(&g.ledger, a, out),
        Command::VerifyProof(a) => proof::verify_proof(a, out),
        Command::Consistency(a) => consistency::consistency(&g.ledger, a, out),
        Command::VerifyConsistency(a) => consistency::verify_consistency(a, out),
        Command::Audit(a) => admin::audit(&g.ledger, a, out),
        Command::Reindex(a) => admin::reindex(&g.ledger, a, out),
        Command::Publish(a) => publish::publish(&g.ledger, a, out),
        Command::Export(a) => entries::export(&g.ledger, a, out),
        Command::DkimKey(c) => dkim::dkim_key(&g.ledger, c, out),
        Command::VerifyDkim(a) => dkim_verify::verify_dkim(&g.ledger, a, out),
        Command::Cosign(a) => cosign::cosign(&g.ledger, a, out),
        Command::Witnesses(a) => cosign::witnesses(&g.ledger, a, out),
        Command::Witness(a) => witness::witness(a, out),
        Command::Serve(a) => serve::serve(&g.ledger, a, out),
        Command::Archivist(a) => serve::archivist(&g.ledger, a, out),
        Command::Timestamp(a) => timestamp::timestamp(&g.ledger, a, out),
        Command::Timestamps => timestamp::timestamps(&g.ledger, out),
        Command::Tsas(a) => timestamp::tsas(&g.ledger, a, out),
        Command::Completions(a) => {
            // Generated in memory: clap_complete panics when its writer fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut Cli::command(), "prov", &mut script);
            out.raw(&String::from_utf8_lossy(&script))
        }
        Command::Help(a) => topics::help(a, out),
        Command::Man(a) => topics::man(a, out),
        Command::Demo => demo::demo(out),
    }
}

/// Whether the command's `--json` output is JSON Lines (records in a stream, where its notes
/// are records too) rather than one JSON object (its notes then go to stderr).
fn json_lines(command: &Command) -> bool {
    match command {
        Command::Add(_)
        | Command::Check(_)
        | Command::Show(_)
        | Command::Log(_)
        | Command::Checkpoints(_)
        | Command::Cosign(_)
        | Command::Timestamp(_)
        | Command::Timestamps => true,
        Command::Export(a) => a.is_jsonl(),
        Command::Witnesses(a) => a.is_list(),
        Command::Tsas(a) => a.is_list(),
        Command::Witness(a) => a.is_serve(),
        _ => false,
    }
}

/// The commands whose output is for people or for another program's own format refuse
/// `--json` rather than ignore it: a script that asked for JSON must not get text.
fn refuse_json(command: &Command) -> Result<()> {
    let (name, what) = match command {
        Command::Completions(_) => ("completions", "a shell script"),
        Command::Help(_) => ("help", "a help page"),
        Command::Man(_) => ("man", "manual pages (roff)"),
        Command::Demo => ("demo", "a walkthrough for people"),
        Command::Export(a) => match a.text_format() {
            Some(format) => format,
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    Err(failure::Failure::usage(format!(
        "`prov {name}` writes {what}, not JSON: leave out --json"
    )))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::from(
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        failure::USAGE
                    } else {
                        0
                    },
                );
            }
            // One line: what is wrong, the arguments it names, the usage, where to look.
            let args: Vec<_> = std::env::args_os().collect();
            let (line, hint) = usage::with_hint(&e, Cli::command(), &args);
            let json = said::wants_json(std::env::args_os());
            said::error(&line, failure::USAGE, Some(&hint), json);
            return ExitCode::from(failure::USAGE);
        }
    };
    // A panic is a bug, never an answer: say so in one line with what to do, as any other
    // failure, rather than print a backtrace. A panic on
    // another thread, which this process may never see unwind, still goes to the default
    // hook, so that it is never silent.
    let panicked = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let seen = panicked.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some("main") {
            default_hook(info);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        if let Ok(mut p) = seen.lock() {
            p.get_or_insert(format!("{what}{at}").replace('\n', " "));
        }
    }));
    let json = cli.global.json;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)));
    let result = result.unwrap_or_else(|_| {
        let what = panicked.lock().ok().and_then(|p| p.clone()).unwrap_or_default();
        Err(failure::Failure::ledger(format!(
            "internal failure ({what}): the command stopped; what was reported as recorded is kept; check the disk, then run `prov audit`"
        )))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.is_quiet_stop() => ExitCode::SUCCESS,
        Err(f) => {
            said::error(&f.msg, f.code, said::hint_of(&f.msg), json);
            ExitCode::from(f.code)
        }
    }
}
