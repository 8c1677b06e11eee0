//! `prov witness init` and `prov witness serve`: run a C2SP tlog-witness (the `prov-witness`
//! crate) for other people's ledgers. A partner newsroom or a university runs it, not the
//! archive: it cosigns a ledger's checkpoint only when it extends the last one it cosigned.

use crate::failure::{Failure, Result};
use crate::note::Kind;
use crate::output::{Out, stderr_line};
use crate::proof::parse_key;
use clap::{Args, Subcommand};
use prov_witness::{Answer, Limits, Witness, WitnessDir};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct WitnessArgs {
    #[command(subcommand)]
    command: WitnessCommand,
}

impl WitnessArgs {
    /// Whether this serves (its address line, then a record per answer: JSON Lines).
    pub fn is_serve(&self) -> bool {
        matches!(self.command, WitnessCommand::Serve(_))
    }
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Create a witness folder and key; print the witness's verifier key (publish it)
    #[command(
        after_help = "Example:\n  prov witness init --dir /srv/witness --name witness.example.org/w1 > witness.vkey"
    )]
    Init(InitArgs),
    /// Serve C2SP tlog-witness POST /add-checkpoint for the given ledgers' keys
    #[command(
        after_help = "Example:\n  prov witness serve --dir /srv/witness --addr 0.0.0.0:8443 --log \"$(cat ledger.vkey)\"\n\nPrints `listening on http://ADDR` on stdout once it accepts requests; one line per\nrequest on stderr (unless -q)."
    )]
    Serve(ServeArgs),
}

#[derive(Args)]
struct InitArgs {
    /// The witness folder to create (new or empty)
    #[arg(long)]
    dir: PathBuf,
    /// The witness's name: a schema-less URL that identifies it, e.g. witness.example.org/w1
    #[arg(long)]
    name: String,
}

#[derive(Args)]
struct ServeArgs {
    /// The witness folder (from `prov witness init`)
    #[arg(long)]
    dir: PathBuf,
    /// Address to listen on, HOST:PORT (port 0 picks a free one; the line on stdout says which)
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// A ledger (log) to witness: its verifier key from `prov key`, or a file holding it
    /// (repeatable; at least one)
    #[arg(long = "log", value_name = "VKEY", required = true)]
    logs: Vec<String>,
}

fn witness_failure(e: prov_witness::Error) -> Failure {
    use prov_witness::Error as E;
    match e {
        E::InUse(_) => Failure::ledger(e.to_string()),
        E::Io { .. } | E::Server(_) => Failure::environment(e.to_string()),
        _ => Failure::input(e.to_string()),
    }
}

pub fn witness(a: WitnessArgs, out: Out) -> Result<()> {
    match a.command {
        WitnessCommand::Init(a) => init(a, out),
        WitnessCommand::Serve(a) => serve(a, out),
    }
}

fn init(a: InitArgs, out: Out) -> Result<()> {
    let vkey = WitnessDir::init(&a.dir, &a.name).map_err(witness_failure)?;
    if out.json {
        return out
            .json(&json!({"vkey": vkey, "name": a.name, "dir": a.dir.display().to_string()}));
    }
    out.line(&vkey)?;
    out.words(format!(
        "created witness {} in {}: publish the key above; give it to ledgers as `prov witnesses add URL KEY`",
        prov_report::escape::text(&a.name),
        prov_report::escape::path(&a.dir)
    ));
    Ok(())
}

fn serve(a: ServeArgs, out: Out) -> Result<()> {
    let logs = a
        .logs
        .iter()
        .map(|k| parse_key(k))
        .collect::<Result<Vec<_>>>()?;
    let dir = WitnessDir::open(&a.dir).map_err(witness_failure)?;
    let vkey = dir.verifier().to_vkey();
    let mut witness = Witness::new(dir, logs);
    witness.set_after_persist(crash_point());
    let listener = std::net::TcpListener::bind(&a.addr).map_err(|e| {
        Failure::environment(format!(
            "cannot listen on {}: {e}: give another --addr",
            a.addr
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::environment(format!("cannot listen on {}: {e}", a.addr)))?;
    // The line a supervisor or a test waits for: the socket is bound and accepting.
    if out.json {
        out.json(
            &json!({"listening": addr.to_string(), "url": format!("http://{addr}"), "vkey": vkey}),
        )?;
    } else {
        out.line(format!("listening on http://{addr}"))?;
    }
    // With --json, each answer is a record in the stream on stdout; a reader gone or a full
    // stdout never stops the witness.
    let log = Arc::new(move |answer: &Answer| {
        if out.json {
            let status = serde_json::json!({"status": answer.status});
            let _ = out.note_with(Kind::WitnessAnswer, &answer.summary, status);
        } else if !out.quiet {
            stderr_line(&format!("witness: {}", answer.summary));
        }
    });
    prov_witness::serve(Arc::new(witness), listener, Limits::default(), log)
        .map_err(witness_failure)
}

/// The crash point of the witness's crash test: with `PROV_TEST_STOP_AT=WitnessPersisted`,
/// after storing a checkpoint and before answering, the server stops itself (SIGSTOP); if it
/// is continued, it says so on stderr and that request is still never answered. A test
/// SIGKILLs it there. Nothing else reads the variable here.
fn crash_point() -> Option<prov_witness::AfterPersist> {
    if std::env::var("PROV_TEST_STOP_AT").ok()? != "WitnessPersisted" {
        return None;
    }
    Some(Box::new(|| {
        let _ = std::process::Command::new("kill")
            .args(["-STOP", &std::process::id().to_string()])
            .status();
        // Said after the stop, once the `kill` helper is gone (it held the folder's lock
        // between its fork and its exec).
        stderr_line("witness: stopping at WitnessPersisted (test crash point)");
        // Should the process be continued (a SIGCONT), this request is still never answered:
        // the test kills the process here.
        loop {
            std::thread::park();
        }
    }))
}
