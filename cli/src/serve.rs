//! `prov serve`: the ledger as an HTTP server for a newsroom (the `prov-server` crate), and
//! `prov archivist add|list|revoke`: who may write through it.

use crate::failure::{Failure, Result};
use crate::output::{Out, rfc3339, stderr_line};
use crate::passphrase::PassphraseArgs;
use clap::{Args, Subcommand};
use prov_ledger::Ledger;
use prov_server::{Archivists, Config, Limits};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free one; the line on stdout says which)
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// The folder the tlog-tiles tree is published in and served from, outside the ledger
    /// folder [default: LEDGER.public, beside the ledger folder]
    #[arg(long, value_name = "DIR")]
    publish: Option<PathBuf>,
    /// Read the signing key from this file instead of the ledger folder's key.pem
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// The largest upload taken, in bytes (larger: 413)
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    max_body: u64,
    /// Time allowed for a request's headers, and the longest a connection is kept idle
    /// (before its first request, and between requests)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    header_timeout: Duration,
    /// Time allowed for a request's body (slower: 408)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    body_timeout: Duration,
    /// Time an answer may wait for the client to read it (no byte taken for this long: the
    /// connection is closed)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    write_timeout: Duration,
    /// Uploads waiting for the writer, at most (more: 503 with Retry-After)
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    queue: u32,
    /// Connections served at once (more wait in the kernel's backlog until a slot is free)
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve the browser verifier at /verify/ from this folder, as web/build.sh builds it
    /// (web/dist): readers check a document and its proof in their browser, which sends
    /// nothing back
    #[arg(long, value_name = "DIR", env = "PROV_WEB_DIR")]
    web: Option<PathBuf>,
}

#[derive(Args)]
pub struct ArchivistArgs {
    #[command(subcommand)]
    command: ArchivistCommand,
}

#[derive(Subcommand)]
enum ArchivistCommand {
    /// Add an archivist and print its bearer token (shown this once; only its hash is kept)
    #[command(after_help = "Example:\n  prov archivist add alice@newsroom.example > alice.token")]
    Add {
        /// Its name: the agent of every entry it records (letters, digits, @ . _ + -)
        name: String,
    },
    /// List the archivists: name, when added, when revoked
    #[command(after_help = "Example:\n  prov archivist list --json")]
    List,
    /// Revoke an archivist: its token is refused from now on (403), with no restart
    #[command(after_help = "Example:\n  prov archivist revoke alice@newsroom.example")]
    Revoke {
        /// The archivist's name
        name: String,
    },
}

pub fn server_failure(e: prov_server::Error) -> Failure {
    use prov_server::Error as E;
    match e {
        E::Ledger(e) => Failure::from(e),
        E::Io { .. } | E::Server(_) => Failure::environment(e.to_string()),
        E::Archivists { .. } => Failure::ledger(e.to_string()),
        _ => Failure::input(e.to_string()),
    }
}

pub fn serve(ledger: &Path, a: ServeArgs, out: Out) -> Result<()> {
    let passphrase = a.passphrase.for_writer()?;
    let l = Ledger::open_writer_unlocking(ledger, a.key_file.as_deref(), &passphrase)?;
    // What opening it repaired, said to the operator as `add` says it.
    crate::admin::recovery_notes(&l, out)?;
    let listener = std::net::TcpListener::bind(&a.addr).map_err(|e| {
        Failure::environment(format!(
            "cannot listen on {}: {e}: give another --addr",
            a.addr
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::environment(format!("cannot listen on {}: {e}", a.addr)))?;
    let tls = a.tls_cert.zip(a.tls_key);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let config = Config {
        ledger_dir: ledger.to_owned(),
        public_dir: match a.publish {
            Some(p) => p,
            None => beside_ledger(ledger)?,
        },
        limits: Limits {
            max_body: a.max_body,
            header_timeout: a.header_timeout,
            body_timeout: a.body_timeout,
            write_timeout: a.write_timeout,
            max_connections: a.max_connections as usize,
            queue: a.queue as usize,
            ..Limits::default()
        },
        tls,
        web: a
            .web
            .as_deref()
            .map(prov_server::VerifyPage::load)
            .transpose()
            .map_err(server_failure)?,
        hold: hold_writer(),
    };
    let quiet = out.quiet;
    if config.hold.is_some() {
        // Said so that a test knows the hold is honoured (a release build has none).
        stderr_line("serve: the writer waits on PROV_TEST_HOLD_WRITER (a debug build's test hook)");
    }
    let log = Arc::new(move |line: &str| {
        if !quiet {
            stderr_line(&format!("serve: {line}"));
        }
    });
    let url = format!("{scheme}://{addr}");
    // Said once bound, before the first publish: a supervisor or a test waits for it, and
    // connections made meanwhile wait in the backlog.
    if out.json {
        out.json(&json!({"listening": addr.to_string(), "url": url, "origin": l.origin()}))?;
    } else {
        out.line(format!("listening on {url}"))?;
    }
    prov_server::serve(l, config, listener, log).map_err(server_failure)
}

/// The default published folder: `LEDGER.public` beside the ledger folder, named from its
/// absolute path, so that `ledger/`, `ledger` and `.` (run from inside it) all give a
/// folder beside it, never inside it.
fn beside_ledger(ledger: &Path) -> Result<PathBuf> {
    let ledger = std::fs::canonicalize(ledger).map_err(|e| {
        Failure::environment(format!(
            "cannot resolve the ledger folder {}: {e}: give --publish DIR",
            ledger.display()
        ))
    })?;
    let mut beside = ledger.into_os_string();
    beside.push(".public");
    Ok(PathBuf::from(beside))
}

pub fn archivist(ledger: &Path, a: ArchivistArgs, out: Out) -> Result<()> {
    // Only a ledger folder holds archivists.
    Ledger::open_read_only(ledger)?;
    let archivists = Archivists::new(ledger);
    match a.command {
        ArchivistCommand::Add { name } => {
            let token = archivists.add(&name).map_err(server_failure)?;
            if out.json {
                return out.json(&json!({"name": name, "token": token}));
            }
            out.line(&token)?;
            out.note(
                crate::note::Kind::ArchivistAdded,
                format!(
                    "added archivist {name}: give it the token above (shown this once), for `Authorization: Bearer TOKEN` or `prov --server URL --token TOKEN`"
                ),
            )?;
            Ok(())
        }
        ArchivistCommand::List => {
            for x in archivists.list().map_err(server_failure)? {
                if out.json {
                    out.json(&json!({
                        "name": x.name,
                        "added": rfc3339(x.added_ms),
                        "revoked": x.revoked_ms.map(rfc3339),
                    }))?;
                } else {
                    out.line(format!(
                        "{}  added {}{}",
                        x.name,
                        rfc3339(x.added_ms),
                        x.revoked_ms
                            .map(|t| format!("  revoked {}", rfc3339(t)))
                            .unwrap_or_default()
                    ))?;
                }
            }
            Ok(())
        }
        ArchivistCommand::Revoke { name } => {
            let x = archivists.revoke(&name).map_err(server_failure)?;
            let when = rfc3339(x.revoked_ms.unwrap_or_default());
            if out.json {
                return out.json(&json!({"name": x.name, "revoked": when}));
            }
            out.human(format!(
                "revoked archivist {name} (at {when}): its token is refused from now on"
            ))
        }
    }
}

/// The writer's hold of the server tests: with `PROV_TEST_HOLD_WRITER=PATH`, before each
/// group the writer writes the number of uploads waiting to `PATH.queued` and waits while
/// `PATH` exists, so a test can fill the queue and then let it go. Only a debug build (the
/// tests' binary) reads it: no environment can hold a release build's writer.
#[cfg(debug_assertions)]
fn hold_writer() -> Option<prov_server::Hold> {
    let path = PathBuf::from(std::env::var_os("PROV_TEST_HOLD_WRITER")?);
    let mut queued = path.as_os_str().to_owned();
    queued.push(".queued");
    let queued = PathBuf::from(queued);
    Some(Arc::new(move |waiting: usize| {
        let _ = std::fs::write(&queued, waiting.to_string());
        path.exists()
    }))
}

/// A release build has no hold: `PROV_TEST_HOLD_WRITER` is not read.
#[cfg(not(debug_assertions))]
fn hold_writer() -> Option<prov_server::Hold> {
    None
}
