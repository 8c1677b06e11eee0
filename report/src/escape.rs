//! Names, sources, agents, origins and metadata as people see them: escaped, so that text
//! recorded from untrusted input can neither forge output lines nor drive the terminal.
//!
//! The scheme (README, "Output"): printable text is shown as is; a backslash is doubled;
//! newline, carriage return and tab are shown as `\n`, `\r`, `\t`; every other ASCII control
//! character (ESC included) as `\xNN`; C1 controls, Unicode bidirectional controls (U+061C,
//! U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and the line and paragraph separators
//! (U+2028, U+2029) as `\u{NNNN}`; bytes that are not UTF-8 as `\xNN`. The result is one line
//! of plain text that reads back to exactly one byte string. JSON output is never escaped this
//! way: `serde_json` escapes what JSON needs and keeps the text exact.

use prov_ledger::is_display_control;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_ascii_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if c.is_control() || is_display_control(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// UTF-8 text for a human line.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_char(&mut out, c);
    }
    out
}

/// Raw bytes (a file name) for a human line: UTF-8 runs escaped as [`text`], other bytes
/// as `\xNN`.
pub fn bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// A path for a human line, byte for byte.
pub fn path(p: &Path) -> String {
    bytes(p.as_os_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        for s in [
            "report.pdf",
            "https://leaks.example/a?b=c",
            "Zürich ✓ 東京",
            "a b",
        ] {
            assert_eq!(text(s), s);
        }
    }

    #[test]
    fn controls_separators_and_bidi_are_escaped() {
        assert_eq!(text("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(text("\u{1b}]0;owned\u{7}"), "\\x1b]0;owned\\x07");
        assert_eq!(text("\u{7f}\u{85}"), "\\x7f\\u{85}");
        assert_eq!(text("evil\u{202e}fdp.exe"), "evil\\u{202e}fdp.exe");
        assert_eq!(text("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(
            text("\u{200e}\u{2066}\u{2069}"),
            "\\u{200e}\\u{2066}\\u{2069}"
        );
    }

    #[test]
    fn backslashes_are_doubled_so_the_escaping_is_unambiguous() {
        assert_eq!(text("a\\nb"), "a\\\\nb");
        assert_ne!(text("a\\nb"), text("a\nb"));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_hex() {
        assert_eq!(bytes(b"r\xe9sum\xe9.txt"), "r\\xe9sum\\xe9.txt");
        assert_eq!(bytes("é\n".as_bytes()), "é\\n");
        assert_eq!(path(Path::new("dir/x\u{1b}y")), "dir/x\\x1by");
    }

    #[test]
    fn the_result_is_one_line_without_terminal_controls() {
        let nasty: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let shown = text(&nasty);
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() || is_display_control(c))
        );
    }
}
