//! Values as `--json` shows them: times in RFC 3339, names and paths that may not be UTF-8.

use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

/// A count with its noun: `1 entry`, `2 entries`, `0 entries`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: u64) -> String {
    // RFC 3339 ends at 9999-12-31T23:59:59.999Z; beyond it (only a signer could write such
    // an entry) say the raw number rather than overflow.
    const MAX_MS: u64 = 253_402_300_799_999;
    match UNIX_EPOCH.checked_add(Duration::from_millis(ms)) {
        Some(t) if ms <= MAX_MS => humantime::format_rfc3339_millis(t).to_string(),
        _ => format!("{ms} ms after 1970-01-01T00:00:00Z"),
    }
}

/// A file name for JSON: UTF-8 as is, anything else lossily with its hex alongside.
pub fn name_json(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// A path for JSON: its text (lossy where it is not UTF-8) in `path`, and, when it is not
/// UTF-8, its exact bytes in hex in `path_hex` (as `name_hex` beside an entry's `name`).
pub fn set_path(v: &mut Value, path: &[u8]) {
    set_path_as(v, "path", path);
}

/// [`set_path`] under another key (`dir`, with `dir_hex`).
pub fn set_path_as(v: &mut Value, key: &str, path: &[u8]) {
    v[key] = Value::String(String::from_utf8_lossy(path).into_owned());
    if std::str::from_utf8(path).is_err() {
        v[format!("{key}_hex")] = Value::String(hex::encode(path));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_say_one_thing_in_the_singular() {
        assert_eq!(super::count(1, "entry", "entries"), "1 entry");
        assert_eq!(super::count(0, "entry", "entries"), "0 entries");
        assert_eq!(super::count(2, "byte", "bytes"), "2 bytes");
    }

    #[test]
    fn times_format_as_rfc3339_and_never_overflow() {
        assert_eq!(
            super::rfc3339(1_767_225_600_123),
            "2026-01-01T00:00:00.123Z"
        );
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert!(super::rfc3339(u64::MAX).starts_with("18446744073709551615 ms"));
    }
}
