//! `prov export --audit-bundle DIR`: what to hand an auditor, written by the library
//! ([`prov_ledger::Ledger::write_audit_bundle`]) from the last committed state, so that it
//! runs beside an `add`.

use crate::failure::{Failure, Result};
use crate::output::{Out, count};
use prov_ledger::{BUNDLE_FILES, Ledger};
use serde_json::json;
use std::path::Path;

pub fn audit_bundle(l: &Ledger, dir: &Path, out: Out) -> Result<()> {
    let b = l.write_audit_bundle(dir).map_err(|e| match e {
        // The folder given is the user's input; writing into it is the output.
        e @ prov_ledger::Error::BundleRefused { .. } => Failure::input(e.to_string()),
        prov_ledger::Error::Io { op, path, source } if path.starts_with(dir) => {
            Failure::environment(format!(
                "cannot {op} {}: {source}: check that {} is a folder you can write to, then remove what was written and run the same command again (the ledger is unchanged)",
                path.display(),
                dir.display()
            ))
        }
        e => Failure::from(e),
    })?;
    if out.json {
        return out.json(&json!({
            "dir": b.dir.display().to_string(),
            "size": b.size,
            "log_bytes": b.log_bytes,
            "vkey": b.vkey,
            "checkpoint": b.checkpoint,
            "files": BUNDLE_FILES,
        }));
    }
    out.human(format!(
        "wrote an audit bundle of {} to {} ({}; no key.pem)",
        count(b.size, "entry", "entries"),
        crate::escape::path(dir),
        BUNDLE_FILES.join(", ")
    ))?;
    out.human(format!(
        "  the auditor runs: prov --ledger {} audit --key \"$(cat ledger.vkey)\"   (the key as published, not the bundle's own copy)",
        crate::escape::path(dir)
    ))
}
