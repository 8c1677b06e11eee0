//! How recorded values are shown to a person: times as UTC dates, and recorded text escaped
//! the way `prov` escapes its human output (README, "For archivists"), so that no name or
//! source can draw a fake line or reverse the text around it on the page.

/// Milliseconds since 1970-01-01T00:00:00Z as `2026-01-01 00:00:00.123 UTC`.
///
/// The civil date comes from the count of days by the proleptic Gregorian calendar (days
/// to year, month and day in 400-year eras of 146,097 days).
pub fn utc_time(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Year, month (1..12) and day (1..31) of the day `days` after 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so that a leap day is the last day of its year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    (year, month, day)
}

/// Bidirectional controls and line or paragraph separators (FORMAT.md 6.1).
fn is_bidi_or_separator(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Recorded text as a person should see it: a backslash as `\\`; newline, CR and tab as
/// `\n`, `\r`, `\t`; other control characters as `\xNN`; bidirectional controls and
/// separators as `\u{202e}`.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)))
            }
            c if c.is_control() || is_bidi_or_separator(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out
}

/// Raw bytes (a file name): the UTF-8 runs escaped as text, other bytes as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape_text(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A count with thousands separators, as a person reads it: `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes, with a rounded unit for large ones: `2,147,483,648 bytes (2.0 GiB)`.
pub fn bytes(n: u64) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = None;
    for u in units {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(u);
    }
    let word = if n == 1 { "byte" } else { "bytes" };
    match unit {
        Some(u) => format!("{} {word} ({value:.1} {u})", count(n)),
        None => format!("{} {word}", count(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00.000 UTC");
        // FORMAT.md 6.5: 2026-01-01T00:00:00.123Z.
        assert_eq!(utc_time(1_767_225_600_123), "2026-01-01 00:00:00.123 UTC");
        // FORMAT.md 6.6: 2026-01-02T00:00:00.000Z.
        assert_eq!(utc_time(1_767_312_000_000), "2026-01-02 00:00:00.000 UTC");
        // A leap day, and the last millisecond of a century year that is a leap year.
        assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(utc_time(978_307_199_999), "2000-12-31 23:59:59.999 UTC");
    }

    #[test]
    fn recorded_text_cannot_draw_lines_or_turn_text_around() {
        assert_eq!(escape_text("a\nb\\c\u{1b}[31m"), "a\\nb\\\\c\\x1b[31m");
        assert_eq!(escape_text("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(escape_text("\u{85}"), "\\x85");
        assert_eq!(escape_bytes(b"r\xe9p.txt"), "r\\xe9p.txt");
    }

    #[test]
    fn counts_and_sizes() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(6), "6 bytes");
        assert_eq!(bytes(2 << 30), "2,147,483,648 bytes (2.0 GiB)");
    }
}
