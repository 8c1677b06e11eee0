//! How a failed command says so on stderr: one escaped line for people, or, with `--json`,
//! one JSON object for scripts: `{"error": MESSAGE, "exit": CODE, "hint": WHAT_TO_DO}`.
//!
//! `error` is the whole message, exactly (the human line is the same text, escaped); `exit`
//! is the exit code; `hint` is the part of the message that says what to do (from its first
//! clause that starts with an instruction: "check the path", "run `prov reindex`"), or
//! `null` when it has none (a negative answer such as an unknown document says none).

use crate::output::stderr_line;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::io::Write;

/// The words an instruction in a message starts with.
const DO: [&str; 24] = [
    "check", "run", "give", "use", "choose", "restore", "free", "fix", "create", "point", "wait",
    "upgrade", "leave", "publish", "say", "see", "try", "pass", "remove", "delete", "put", "prove",
    "cut", "rebuild",
];

/// The part of `msg` that says what to do: from the first `: ` or `; ` that an instruction
/// follows, to the end.
pub fn hint_of(msg: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = msg[from..].find([':', ';']).map(|i| i + from) {
        let rest = &msg[i + 1..];
        from = i + 1;
        let Some(rest) = rest.strip_prefix(' ') else {
            continue;
        };
        let word = rest
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default();
        if DO.contains(&word) {
            return Some(rest);
        }
    }
    None
}

/// The `--json` form of an error.
pub fn error_json(msg: &str, code: u8, hint: Option<&str>) -> Value {
    json!({"error": msg, "exit": code, "hint": hint})
}

/// Says an error on stderr: one line, or one JSON object with `--json`. A stderr that cannot
/// be written is ignored, as for [`stderr_line`]: the exit code still tells.
pub fn error(msg: &str, code: u8, hint: Option<&str>, json: bool) {
    if json {
        let line = format!("{}\n", error_json(msg, code, hint));
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    } else {
        stderr_line(msg);
    }
}

/// Whether a command line that did not parse asked for `--json` (before any `--`, after
/// which arguments are operands).
pub fn wants_json(args: impl IntoIterator<Item = OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_the_instruction_and_a_plain_answer_has_none() {
        assert_eq!(
            hint_of(
                "no ledger at x: create one with `prov init` or point --ledger at an existing one"
            ),
            Some("create one with `prov init` or point --ledger at an existing one")
        );
        assert_eq!(
            hint_of("cannot read proof p: No such file or directory (os error 2): check the path"),
            Some("check the path")
        );
        assert_eq!(
            hint_of("x; nothing of this batch was recorded; check the disk, then run it again"),
            Some("check the disk, then run it again")
        );
        assert_eq!(hint_of("1 of 2 documents is unknown to this ledger"), None);
        assert_eq!(hint_of("a: checked: b"), None);
    }

    #[test]
    fn json_is_asked_for_before_the_operands_only() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(wants_json(args(&["prov", "add", "--json", "--bogus"])));
        assert!(!wants_json(args(&["prov", "add", "--", "--json"])));
        assert!(!wants_json(args(&["prov", "--jsonx"])));
    }

    #[test]
    fn the_error_object_has_the_three_fields() {
        let v = error_json("bad", 3, None);
        assert_eq!(v["error"], "bad");
        assert_eq!(v["exit"], 3);
        assert!(v["hint"].is_null());
    }
}
