//! `prov publish DIR`: the ledger as a static C2SP tlog-tiles tree for any web server.

use crate::failure::Result;
use crate::output::{Out, count};
use clap::Args;
use prov_ledger::Ledger;
use serde_json::json;
use std::os::unix::ffi::OsStrExt;
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
    let r = l
        .publish(&a.dir)
        .map_err(|e| crate::failure::output_dir_failure(e, &a.dir, ""))?;
    if out.json {
        let mut v = json!({
            "size": r.size,
            "previous": r.previous,
            "tiles": r.tiles,
            "bundles": r.bundles,
            "checkpoint": r.checkpoint,
        });
        crate::output::set_path_as(&mut v, "dir", a.dir.as_os_str().as_bytes());
        return out.json(&v);
    }
    out.human(format!(
        "published {} to {} ({}, {}; {} published before)",
        count(r.size, "entry", "entries"),
        prov_report::escape::path(&a.dir),
        count(r.tiles, "new tile", "new tiles"),
        count(r.bundles, "new entry bundle", "new entry bundles"),
        match r.previous {
            1 => "1 was".to_owned(),
            n => format!("{n} were"),
        }
    ))
}
