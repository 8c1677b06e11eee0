//! What a message's DKIM signatures claim, as ledger metadata: each signature's `d=`, `s=`,
//! `t=`, `a=`, `h=`, `bh=`, and whether the body hash recomputed here matches (`body_hash`),
//! which needs no key.

use crate::error::Error;
use crate::message;
use crate::signature::BodySpec;
use crate::tags::TagList;
use crate::verify::signature_fields;

/// The tags claimed, in this order.
const TAGS: [&str; 6] = ["d", "s", "t", "a", "h", "bh"];

/// Longest value kept, in bytes: the ledger's limit for a metadata value.
const MAX_VALUE: usize = 4096;

/// The claims of `message`'s DKIM-Signature fields (at most
/// [`MAX_SIGNATURES`](crate::MAX_SIGNATURES), top first), as (key, value) pairs in order.
///
/// The first signature's keys are `dkim.d`, `dkim.s`, `dkim.t`, `dkim.a`, `dkim.h`,
/// `dkim.bh`, `dkim.body_hash`; the second's `dkim.2.d` and so on. A tag the signature lacks
/// gives no key. Values are the tag's value with its folding whitespace removed (RFC 6376
/// section 3.5 ignores whitespace in each of these). `body_hash` is `pass` when the body,
/// canonicalized per `c=` and cut to `l=`, hashes to `bh=`, and `fail` otherwise; when it
/// could not even be computed (an unknown `a=` or `c=`, a malformed `bh=`), `error` says why.
/// A signature whose tag list does not parse gives only `error`.
///
/// A value that is not UTF-8, or holds a control character or a bidirectional control, is
/// given under `KEY.hex` as lowercase hex instead; a value over 4,096 bytes is cut there (at
/// a character boundary) and `KEY.truncated` gives its whole length in bytes.
pub fn claims(message: &[u8]) -> Vec<(String, String)> {
    let m = message::parse(message);
    let mut out = Vec::new();
    for (n, field) in signature_fields(&m) {
        let prefix = match n {
            1 => "dkim".to_owned(),
            n => format!("dkim.{n}"),
        };
        let tags = match TagList::parse(m.fields[field].value()) {
            Ok(tags) => tags,
            Err(e) => {
                push(
                    &mut out,
                    format!("{prefix}.error"),
                    e.to_string().as_bytes(),
                );
                continue;
            }
        };
        for name in TAGS {
            if let Some(tag) = tags.get(name) {
                push(&mut out, format!("{prefix}.{name}"), &tag.compact());
            }
        }
        let body = BodySpec::from_tags(&tags).and_then(|spec| spec.check(m.body));
        let verdict = if body.is_ok() { "pass" } else { "fail" };
        out.push((format!("{prefix}.body_hash"), verdict.to_owned()));
        if let Err(e) = body
            && e != Error::BodyHashMismatch
        {
            push(
                &mut out,
                format!("{prefix}.error"),
                e.to_string().as_bytes(),
            );
        }
    }
    out
}

/// Whether `c` may stand in recorded text: no control character but tab, no bidirectional
/// control or line separator (the ledger's rule for what a person reads).
fn readable(c: char) -> bool {
    (!c.is_control() || c == '\t')
        && !matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// Adds `key` = `value`: as text when it is readable UTF-8, else as `key.hex`; cut to
/// [`MAX_VALUE`] bytes with `key.truncated` when longer.
fn push(out: &mut Vec<(String, String)>, key: String, value: &[u8]) {
    let (key, mut text) = match std::str::from_utf8(value) {
        Ok(s) if s.chars().all(readable) => (key, s.to_owned()),
        _ => (format!("{key}.hex"), hex(value)),
    };
    if text.len() > MAX_VALUE {
        let mut cut = MAX_VALUE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        // Hex is cut at a whole byte.
        if key.ends_with(".hex") {
            cut -= cut % 2;
        }
        text.truncate(cut);
        out.push((key.clone(), text));
        out.push((format!("{key}.truncated"), value.len().to_string()));
        return;
    }
    out.push((key, text));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
