//! `prov publish DIR`: the ledger as a static C2SP tlog-tiles tree for any web server.

use crate::failure::Result;
use crate::output::Out;
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
    let r = l.publish(&a.dir)?;
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
        "published {} entries to {} ({} new tiles, {} new entry bundles; {} were published before)",
        r.size,
        a.dir.display(),
        r.tiles,
        r.bundles,
        r.previous
    ))
}
