//! What an email claims: its `Message-ID`, `Date`, `From`, `To` and `Subject` header fields
//! (RFC 5322 3.6), exactly as written.
//!
//! The header section (RFC 5322 2.1: up to the first empty line) is kept while the message
//! streams through [`Capture`] on its way to the MIME parser, so the claims cost no second
//! read and exist even for a message too large to be parsed. A field's value is its body as in
//! the message, unfolded (RFC 5322 2.2.3: each CRLF or LF followed by a space or tab is
//! removed) and trimmed of leading and trailing spaces and tabs. Encoded words (RFC 2047,
//! `=?utf-8?b?...?=`) are not decoded: the value is what the message holds. The first
//! occurrence of each field counts.

use super::Claims;
use std::io::{self, Read};

/// The most header bytes kept. Fields past it are not read (a note says so).
const MAX_HEADER: usize = 256 << 10;

/// The fields read, and their keys.
const FIELDS: &[(&str, &str)] = &[
    ("message-id", "email.message_id"),
    ("date", "email.date"),
    ("from", "email.from"),
    ("to", "email.to"),
    ("subject", "email.subject"),
];

/// Passes a message's bytes through, keeping its header section.
pub(crate) struct Capture<'a> {
    inner: &'a mut dyn Read,
    head: Vec<u8>,
    /// Whether the end of the header section was seen (or the cap reached).
    done: bool,
}

impl<'a> Capture<'a> {
    pub fn new(inner: &'a mut dyn Read) -> Capture<'a> {
        Capture {
            inner,
            head: Vec::new(),
            done: false,
        }
    }

    /// The claims of the header section seen so far.
    pub fn finish(self) -> Claims {
        let complete = self.done && self.head.len() < MAX_HEADER;
        claims(&self.head, complete)
    }
}

impl Read for Capture<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.done {
            let from = self.head.len().saturating_sub(2);
            let take = n.min(MAX_HEADER - self.head.len());
            self.head.extend_from_slice(&buf[..take]);
            if let Some(end) = header_end(&self.head[from..]) {
                self.head.truncate(from + end);
                self.done = true;
            } else if self.head.len() >= MAX_HEADER {
                self.done = true;
            }
        }
        Ok(n)
    }
}

/// Where the empty line that ends the header section starts: just after the line ending
/// before it (`\n\n` or `\n\r\n`).
fn header_end(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len())
        .find(|&i| {
            bytes[i] == b'\n'
                && (bytes.get(i + 1) == Some(&b'\n')
                    || (bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n')))
        })
        .map(|i| i + 1)
}

/// The claims of a header section (`complete`: it was seen to its end, so its last field is
/// whole). A message that starts with its body (an empty line first) claims nothing.
pub(crate) fn claims(head: &[u8], complete: bool) -> Claims {
    let mut claims = Claims::default();
    let mut fields = fields(head);
    if !complete {
        fields.pop(); // possibly cut
        claims.notes.push(format!(
            "the header section is longer than {} KiB: only the fields before that were read \
             for claims",
            MAX_HEADER >> 10
        ));
    }
    for (name, body) in fields {
        let Some((_, key)) = FIELDS
            .iter()
            .find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        else {
            continue;
        };
        claims.push(key, &unfold(body));
    }
    // DKIM claims (dkim.*) are appended by the walk from the message held whole (email.rs).
    claims
}

/// The header fields as (name, raw body with its folds), the body from just after the colon
/// to the end of the field's last line, line ending excluded. Lines that are neither a field
/// nor a continuation are skipped.
fn fields(head: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out: Vec<(&[u8], usize, usize)> = Vec::new();
    let mut at = 0;
    while at < head.len() {
        let end = head[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(head.len(), |p| at + p);
        let line = &head[at..end];
        let content_end = if line.ends_with(b"\r") { end - 1 } else { end };
        if line.is_empty() || line == b"\r" {
            break; // the end of the header section
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                last.2 = content_end; // a continuation: the field goes on
            }
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            out.push((&line[..colon], at + colon + 1, content_end));
        }
        at = end + 1;
    }
    out.into_iter()
        .map(|(name, start, end)| (trim(name), &head[start..end.max(start)]))
        .collect()
}

/// RFC 5322 2.2.3: removes each CRLF or LF that a space or tab follows, then trims spaces and
/// tabs at both ends.
fn unfold(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let fold = match &body[i..] {
            [b'\r', b'\n', b' ' | b'\t', ..] => 2,
            [b'\n', b' ' | b'\t', ..] => 1,
            _ => 0,
        };
        if fold > 0 {
            i += fold;
            continue;
        }
        out.push(body[i]);
        i += 1;
    }
    trim(&out).to_vec()
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_trims_and_keeps_encoded_words() {
        let head = b"Received: x\r\nSubject:  =?utf-8?b?0J/RgNC40LLQtdGC?=\r\n\tsecond  \r\n\
                     To: a@x,\n b@y\nsubject: later\nFrom : me\r\n\r\nbody";
        let end = header_end(head).unwrap();
        let (list, note) = claims(&head[..end], true).finish();
        assert_eq!(note, None);
        assert_eq!(
            list,
            vec![
                ("email.from".to_string(), "me".to_string()),
                (
                    "email.subject".into(),
                    "=?utf-8?b?0J/RgNC40LLQtdGC?=\tsecond".into()
                ),
                ("email.to".into(), "a@x, b@y".into()),
            ]
        );
    }

    #[test]
    fn capture_stops_at_the_empty_line() {
        let msg = b"Subject: hi\n\nSubject: body\n".to_vec();
        let mut src = &msg[..];
        let mut cap = Capture::new(&mut src);
        let mut sink = Vec::new();
        for _ in 0..msg.len() {
            let mut one = [0u8; 1];
            if cap.read(&mut one).unwrap() == 0 {
                break;
            }
            sink.push(one[0]);
        }
        assert_eq!(sink, msg);
        let (list, _) = cap.finish().finish();
        assert_eq!(list, vec![("email.subject".to_string(), "hi".to_string())]);
    }
}
