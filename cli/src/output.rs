//! Results on stdout (human lines or JSON), progress on stderr, time and entry rendering.

use crate::failure::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use prov_report::escape;
pub use prov_report::{claim_line, count, entry_json, name_json, rfc3339, set_path, set_path_as};
use serde_json::{Value, json};
use std::io::Write;

/// Global output settings.
#[derive(Clone, Copy)]
pub struct Out {
    pub json: bool,
    pub quiet: bool,
    /// With `json`: the command's output is JSON Lines, so notes are records in it (see
    /// `note.rs`); otherwise it is one JSON object and notes go to stderr.
    pub stream: bool,
}

impl Out {
    /// One result line on stdout (a broken pipe ends the command quietly).
    pub fn line(&self, s: impl AsRef<str>) -> Result<()> {
        let mut o = std::io::stdout().lock();
        o.write_all(s.as_ref().as_bytes())?;
        o.write_all(b"\n")?;
        Ok(())
    }

    /// Raw text on stdout, as is.
    pub fn raw(&self, s: &str) -> Result<()> {
        std::io::stdout().lock().write_all(s.as_bytes())?;
        Ok(())
    }

    /// One JSON object on one line.
    pub fn json(&self, v: &Value) -> Result<()> {
        self.line(v.to_string())
    }

    /// A human line, unless --json or -q.
    pub fn human(&self, s: impl AsRef<str>) -> Result<()> {
        if self.json || self.quiet {
            return Ok(());
        }
        self.line(s)
    }

    /// A progress bar on stderr: drawn only on a terminal, never with -q or --json (whose
    /// stderr holds only JSON objects, even on a terminal).
    pub fn progress(&self, total: u64, template: &str) -> ProgressBar {
        if self.quiet || self.json {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }
}

/// `prov: LINE` on stderr, escaped as one line. A stderr that cannot be written (closed,
/// full) is ignored: there is nowhere left to say anything, and the exit code still tells.
pub fn stderr_line(s: &str) {
    let line = format!("prov: {}\n", escape::text(s));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The current time in ms since the Unix epoch: the time `add` records.
///
/// # Errors
/// A clock before 1970 (exit 5): no time it gives can be recorded.
pub fn now_ms() -> Result<u64> {
    Ok(prov_ledger::system_time_ms()?)
}

/// What a walk passed over, said where its documents are: with `--json`, a record in the
/// stream on stdout (`{"path": ..., "skipped": WHY}`, and `path_hex` when the path is not
/// UTF-8); otherwise a note on stderr.
pub fn skipped(out: &Out, skipped: &[(std::path::PathBuf, &str)]) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    for (p, why) in skipped {
        if out.json {
            let mut v = json!({"skipped": why});
            set_path(&mut v, p.as_os_str().as_bytes());
            out.json(&v)?;
        } else {
            out.words(format!("skipped {}: {why}", p.display()));
        }
    }
    Ok(())
}
