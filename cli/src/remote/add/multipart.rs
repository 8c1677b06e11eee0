//! The request that carries a batch of files' bytes: one `multipart/form-data` body (RFC
//! 7578), read as it is sent, and its boundary.

use super::*;

/// The multipart body of `files` (RFC 7578), read as it is sent: one part after another,
/// each file opened only when its part is reached (so a request of 4,096 files holds one
/// open at a time) and checked against the walk as `prov add` checks it ([`SentFile`]).
/// Each part is named by its `filename` when the name is UTF-8 text that needs no quoting,
/// else by a `Prov-Name-Hex` header with its exact bytes (empty for no name).
pub(super) struct Body {
    parts: std::vec::IntoIter<(Vec<u8>, WalkedFile)>,
    now: Option<(std::io::Cursor<Vec<u8>>, SentFile)>,
    end: std::io::Cursor<Vec<u8>>,
    /// Why a file could not be sent, for the caller (the request fails with its text only).
    failed: Arc<Mutex<Option<prov_ledger::Error>>>,
}

impl Body {
    /// The body, and its length (sent as `Content-Length`, so that a server refuses a body
    /// over its limit before any of it is sent).
    fn new(files: &[WalkedFile], boundary: &str) -> (Body, u64) {
        let mut len = 0u64;
        let mut parts = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            let mut head = if i == 0 { String::new() } else { "\r\n".into() };
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"document\""
            ));
            let plain = |n: &str| {
                !n.is_empty() && !n.chars().any(|c| c.is_control() || c == '"' || c == '\\')
            };
            match std::str::from_utf8(&f.name) {
                Ok(name) if plain(name) => head.push_str(&format!("; filename=\"{name}\"")),
                _ => head.push_str(&format!("\r\nProv-Name-Hex: {}", hex::encode(&f.name))),
            }
            head.push_str("\r\nContent-Type: application/octet-stream\r\n\r\n");
            len += head.len() as u64 + f.id.size;
            parts.push((head.into_bytes(), f.clone()));
        }
        let end = format!("\r\n--{boundary}--\r\n").into_bytes();
        len += end.len() as u64;
        let body = Body {
            parts: parts.into_iter(),
            now: None,
            end: std::io::Cursor::new(end),
            failed: Arc::default(),
        };
        (body, len)
    }
}

impl std::io::Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some((head, file)) = &mut self.now {
                let n = head.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                match file.read(buf) {
                    Ok(0) => self.now = None,
                    Ok(n) => return Ok(n),
                    Err(e) => {
                        if let Some(why) = file.take_error() {
                            *self.failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
                        }
                        return Err(e);
                    }
                }
            } else if let Some((head, f)) = self.parts.next() {
                self.now = Some((std::io::Cursor::new(head), SentFile::new(f)));
            } else {
                return self.end.read(buf);
            }
        }
    }
}

/// Uploads the bytes of `files` as one request (one commit on the server), their common
/// fields in the query.
pub(super) fn send_batch(
    remote: &Remote,
    fields: &Fields,
    extract: bool,
    files: &[WalkedFile],
    boundary: &str,
) -> Result<Reply> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("source", &fields.source);
    if let Some(m) = &fields.media_type {
        q.append_pair("media_type", m);
    }
    for (k, v) in &fields.metadata {
        q.append_pair("meta", &format!("{k}={v}"));
    }
    for r in &fields.related {
        q.append_pair("related", &format!("{}={}", r.relation, r.seq));
    }
    if !extract {
        q.append_pair("extract", "false");
    }
    let path = format!("/v1/documents?{}", q.finish());
    let (body, len) = Body::new(files, boundary);
    let failed = body.failed.clone();
    let sent = remote.post_sized(
        &path,
        &format!("multipart/form-data; boundary={boundary}"),
        ureq::SendBody::from_owned_reader(body),
        Some(len),
    );
    // A file that could not be sent (replaced, changed, unreadable) is the error, not the
    // broken request it left.
    match failed.lock().unwrap_or_else(PoisonError::into_inner).take() {
        Some(why) => Err(why.into()),
        None => sent,
    }
}

/// A boundary no part holds (RFC 2046 section 5.1.1): 128 bits from the operating system's
/// random source, which no file made before the request can hold but by chance.
pub(super) fn boundary() -> String {
    use rand_core::RngCore;
    let mut random = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut random);
    format!("prov-{}", hex::encode(random))
}
