//! `prov publish DIR`: the ledger as a static C2SP tlog-tiles tree for any web server.

use crate::failure::{Failure, Result};
use crate::output::{Out, count};
use clap::Args;
use prov_ledger::Ledger;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct PublishArgs {
    /// The folder to publish into (created if missing; the folder a web server serves as the
    /// log's URL prefix)
    dir: PathBuf,
}

pub fn publish(ledger: &Path, a: PublishArgs, out: Out) -> Result<()> {
    // Reads only the committed log and tiles: runs while an `add` is in progress.
    let l = Ledger::open_read_only(ledger)?;
    let r = l.publish(&a.dir).map_err(|e| match e {
        // The folder given is the user's input; writing into it is the output.
        e @ prov_ledger::Error::PublishRefused { .. } => Failure::input(e.to_string()),
        prov_ledger::Error::Io { op, path, source } if path.starts_with(&a.dir) => {
            Failure::environment(format!(
                "cannot {op} {}: {source}: check that {} is a folder you can write to (the ledger is unchanged)",
                path.display(),
                a.dir.display()
            ))
        }
        e => Failure::from(e),
    })?;
    if out.json {
        return out.json(&json!({
            "dir": a.dir.display().to_string(),
            "size": r.size,
            "previous": r.previous,
            "tiles": r.tiles,
            "bundles": r.bundles,
            "checkpoint": r.checkpoint,
        }));
    }
    out.human(format!(
        "published {} to {} ({}, {}; {} published before)",
        count(r.size, "entry", "entries"),
        a.dir.display(),
        count(r.tiles, "new tile", "new tiles"),
        count(r.bundles, "new entry bundle", "new entry bundles"),
        match r.previous {
            1 => "1 was".to_owned(),
            n => format!("{n} were"),
        }
    ))
}
