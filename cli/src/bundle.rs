//! `prov export --audit-bundle DIR`: what to hand an auditor, written by the library
//! ([`prov_ledger::Ledger::write_audit_bundle`]) from the last committed state, so that it
//! runs beside an `add`.

use crate::failure::Result;
use crate::output::{Out, count};
use prov_ledger::{BUNDLE_FILES, Ledger};
use serde_json::json;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub fn audit_bundle(l: &Ledger, dir: &Path, out: Out) -> Result<()> {
    let b = l.write_audit_bundle(dir).map_err(|e| {
        let then = ", then remove what was written and run the same command again";
        crate::failure::output_dir_failure(e, dir, then)
    })?;
    if out.json {
        let mut v = json!({
            "size": b.size,
            "log_bytes": b.log_bytes,
            "vkey": b.vkey,
            "checkpoint": b.checkpoint,
            "files": BUNDLE_FILES,
        });
        crate::output::set_path_as(&mut v, "dir", b.dir.as_os_str().as_bytes());
        return out.json(&v);
    }
    out.human(format!(
        "wrote an audit bundle of {} to {} ({}; no key.pem)",
        count(b.size, "entry", "entries"),
        prov_report::escape::path(dir),
        BUNDLE_FILES.join(", ")
    ))?;
    out.human(format!(
        "  the auditor runs: prov --ledger {} audit --key \"$(cat ledger.vkey)\"   (the key as published, not the bundle's own copy)",
        prov_report::escape::path(dir)
    ))
}
