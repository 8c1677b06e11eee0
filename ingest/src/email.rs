//! Email messages (RFC 5322, MIME RFC 2045/2046): members are the message's MIME leaf parts
//! (bodies and attachments, multipart containers left out) and attached messages
//! (`message/rfc822`, which are then walked as emails in their own right).
//!
//! A part's bytes are its body after transfer decoding (RFC 2045 6: base64 or
//! quoted-printable) and nothing else: text is never converted from its charset, so the bytes
//! are the ones the sender's program encoded. The message is parsed with `mail-parser`, in
//! memory, within `Limits::max_buffered`.

use crate::found::Completeness;
use crate::walk::{Entry, Walker};
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, MessageParser, MessagePart, MimeHeaders, PartType};
use std::borrow::Cow;
use std::io::Read;

pub(crate) fn walk(
    w: &mut Walker,
    input: &mut dyn Read,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    crate::meter::in_memory(
        w,
        input,
        "an email is parsed in memory",
        "its parts",
        |w, raw| {
            let found = parts(w, raw, parent, depth);
            // After its parts, so that a message attached to it has taken its own.
            w.dkim = Some(prov_dkim::claims(raw));
            found
        },
    )
}

fn parts(
    w: &mut Walker,
    raw: &[u8],
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    let mut c = Completeness::default();
    let Some(message) = MessageParser::default().parse(raw) else {
        let why = "not parseable as an email: its parts were not looked for".to_string();
        c.stopped = Some(why.clone());
        return (c, Some(why));
    };
    let mut number = 0;
    let mut problems = Vec::new();
    let mut text = crate::text::EmailText::new();
    for part in &message.parts {
        if let Some(why) = w.shared.halted() {
            c.stopped = Some(why);
            break;
        }
        let Some(body) = body(message.raw_message(), part) else {
            continue; // a multipart: its parts are members, it is not
        };
        number += 1;
        let name = part.attachment_name().map(|n| n.as_bytes().to_vec());
        let mut entry = Entry::new(parent, depth, name.unwrap_or_default());
        entry.locator = Some(number.to_string());
        entry.media_type = part.content_type().map(|t| match t.subtype() {
            Some(sub) => format!("{}/{}", t.ctype(), sub).to_ascii_lowercase(),
            None => t.ctype().to_ascii_lowercase(),
        });
        match &part.body {
            PartType::Text(_) => text.part(&body, false),
            PartType::Html(_) => text.part(&body, true),
            _ => {}
        }
        if part.is_encoding_problem {
            problems.push(number.to_string());
        }
        // Listed if not recorded as results show it: by its name, or `#N` without one.
        let shown = match entry.path.is_empty() {
            true => format!("#{number}").into_bytes(),
            false => entry.path.clone(),
        };
        let outcome = w.member(entry, &mut &body[..]);
        c.record(&shown, outcome);
    }
    w.email_text = text.finish();
    let note = (!problems.is_empty()).then(|| {
        format!(
            "damaged transfer encoding in part(s) {}: decoded as far as possible",
            problems.join(", ")
        )
    });
    (c, note)
}

/// A leaf part's bytes after transfer decoding; `None` for a multipart.
fn body<'a>(raw: &'a [u8], part: &'a MessagePart<'a>) -> Option<Cow<'a, [u8]>> {
    match &part.body {
        PartType::Multipart(_) => None,
        PartType::Binary(b) | PartType::InlineBinary(b) => Some(Cow::Borrowed(b.as_ref())),
        PartType::Message(m) => Some(Cow::Borrowed(m.raw_message())),
        // mail-parser converts text to UTF-8 from its charset: go back to the raw body
        // and undo only the transfer encoding.
        PartType::Text(_) | PartType::Html(_) => {
            let start = (part.offset_body as usize).min(raw.len());
            let end = (part.offset_end as usize).clamp(start, raw.len());
            let encoded = &raw[start..end];
            Some(match part.encoding {
                Encoding::None => Cow::Borrowed(encoded),
                Encoding::Base64 => Cow::Owned(base64_decode(encoded).unwrap_or_default()),
                Encoding::QuotedPrintable => {
                    Cow::Owned(quoted_printable_decode(encoded).unwrap_or_default())
                }
            })
        }
    }
}
