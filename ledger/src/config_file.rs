//! What `witnesses.json` and `tsas.json` share (`docs/FORMAT.md` sections 9 and 10): a
//! JSON object `{"format": 1, "<list>": [...]}` in the ledger folder, read with a size cap
//! and never through a link, rewritten whole (a temporary file, fsync'd, renamed, the folder
//! fsync'd) under the ledger's writer lock, so that two changes at once never lose one; and
//! the check of the URLs they hold.

use crate::error::{Error, Result};
use crate::fsys;
use crate::ledger::Ledger;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// How long a change waits for the writer lock before saying the ledger is in use (as a
/// writer does).
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Checks an HTTP URL of a configuration file: `http://` or `https://`, a host, no
/// whitespace or control characters. `what` names it in the error.
///
/// # Errors
/// [`Error::Invalid`] naming what is wrong.
pub(crate) fn check_url(what: &'static str, url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| Error::invalid(what, "must start with http:// or https://"))?;
    // The authority ends at the first `/`, `?` or `#` (RFC 3986 section 3.2).
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(Error::invalid(what, "has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            what,
            "contains spaces or control characters",
        ));
    }
    Ok(())
}

/// The items of the list `list` of the configuration file at `path`; none when it is absent.
///
/// # Errors
/// [`Error::Damaged`] when it is not a format 1 object with that list of items.
pub(crate) fn load<T: DeserializeOwned>(path: &Path, list: &str) -> Result<Vec<T>> {
    if !fsys::exists(path) {
        return Ok(Vec::new());
    }
    let damaged = |reason: String| Error::Damaged {
        path: path.to_owned(),
        offset: None,
        reason,
    };
    let bytes = fsys::read_small(path, fsys::MAX_CONFIG_BYTES)?;
    let mut value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_u64()) {
        Some(1) => {}
        Some(n) => return Err(damaged(format!("format {n} (this prov reads 1)"))),
        None => return Err(damaged("no format number".into())),
    }
    let items = value
        .get_mut(list)
        .map(serde_json::Value::take)
        .ok_or_else(|| damaged(format!("no `{list}` list")))?;
    serde_json::from_value(items).map_err(|e| damaged(format!("{list}: {e}")))
}

impl Ledger {
    /// Changes the configuration file `name` (list `list`) under the writer lock: `change`
    /// gets the items read under the lock and returns the items to write and its result.
    ///
    /// # Errors
    /// [`Error::InUse`] when a writer holds the ledger for longer than a moment; `change`'s
    /// errors (nothing is written then); as [`load`]; [`Error::Io`].
    pub(crate) fn change_config<T, R>(
        &self,
        name: &'static str,
        list: &str,
        change: impl FnOnce(Vec<T>) -> Result<(Vec<T>, R)>,
    ) -> Result<R>
    where
        T: DeserializeOwned + Serialize,
    {
        // A writer of this process already holds the lock (a second flock on the folder
        // would wait for itself).
        let _lock = match self.dir_handle {
            Some(_) => None,
            None => Some(fsys::lock_dir_patient(&self.dir, PATIENCE)?),
        };
        let path = self.dir.join(name);
        let (items, result) = change(load(&path, list)?)?;
        let mut file = serde_json::Map::new();
        file.insert("format".into(), 1.into());
        file.insert(
            list.into(),
            serde_json::to_value(items).map_err(|e| Error::invalid(name, e.to_string()))?,
        );
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| Error::invalid(name, e.to_string()))?
            + "\n";
        fsys::replace_durably(&path, text.as_bytes())?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn a_url_needs_a_host_before_its_path_query_or_fragment() {
        for bad in [
            "http://",
            "https:///x",
            "http://?x",
            "http://#a",
            "ftp://h",
            "http://h x",
        ] {
            assert!(check_url("witness", bad).is_err(), "{bad}");
        }
        for good in ["http://h", "https://h:8080/w?a#b", "http://10.0.0.1/"] {
            assert!(check_url("witness", good).is_ok(), "{good}");
        }
    }
}
