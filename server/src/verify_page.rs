//! The browser verifier (`web/dist`, built by `web/build.sh`) served at `/verify/`, so that a
//! reader of the newsroom's site checks a document and its proof in the browser, without
//! installing anything and without sending the document anywhere: the page computes every
//! verdict itself (it is the same page as `web/dist/index.html` opened from a file).
//!
//! The files are read once, when the server starts, from the folder `prov serve --web` names:
//! exactly the files `web/build.sh` writes, nothing else in that folder is served. Each answer
//! carries a Content-Security-Policy: scripts and styles from this server only (the verifier
//! is WebAssembly instantiated from bytes, hence `'wasm-unsafe-eval'`), no frames, no forms,
//! and network reads only for the tiles a user asks the page to fetch (any `http:`/`https:`
//! address, since tiles may be published elsewhere).

use crate::answer::Answer;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The files of the page, as `web/build.sh` writes them, and their content types.
pub const PAGE_FILES: [(&str, &str); 5] = [
    ("index.html", "text/html; charset=utf-8"),
    ("app.js", "text/javascript; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("verifier.js", "text/javascript; charset=utf-8"),
    ("verifier_wasm.js", "text/javascript; charset=utf-8"),
];

/// No file of the page is larger (the WebAssembly as base64 is about 1 MiB).
const MAX_FILE: u64 = 32 << 20;

/// The policy every file of the page is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' \
     'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: \
     https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page's files, read at start.
#[derive(Debug)]
pub struct VerifyPage {
    files: BTreeMap<&'static str, (&'static str, Vec<u8>)>,
}

impl VerifyPage {
    /// Reads the page's files from `dir` (a `web/dist` built by `web/build.sh`).
    ///
    /// # Errors
    /// [`Error::WebPage`] naming the file that is missing, unreadable or too large.
    pub fn load(dir: &Path) -> Result<VerifyPage> {
        let mut files = BTreeMap::new();
        for (name, content_type) in PAGE_FILES {
            let path = dir.join(name);
            let refuse = |why: String| Error::WebPage {
                path: path.clone(),
                reason: why,
            };
            let file = std::fs::File::open(&path).map_err(|e| refuse(e.to_string()))?;
            let mut bytes = Vec::new();
            file.take(MAX_FILE + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| refuse(e.to_string()))?;
            if bytes.len() as u64 > MAX_FILE {
                return Err(refuse(format!("larger than {MAX_FILE} bytes")));
            }
            files.insert(name, (content_type, bytes));
        }
        Ok(VerifyPage { files })
    }

    /// The answer to a GET of `path` (`/verify`, `/verify/` or `/verify/FILE`); `None` when
    /// `path` is not the page's.
    pub(crate) fn answer(&self, path: &str) -> Option<Answer> {
        if path == "/verify" {
            // The page's files are named relative to it: it must be at `/verify/`.
            let mut a = Answer::ok(crate::answer::TEXT, b"the page is at /verify/\n".to_vec());
            a.status = 308;
            return Some(a.with("location", "/verify/"));
        }
        let name = path.strip_prefix("/verify/")?;
        let name = if name.is_empty() { "index.html" } else { name };
        let (content_type, bytes) = self.files.get(name)?;
        Some(
            Answer::ok(content_type, bytes.clone())
                .with("content-security-policy", CONTENT_SECURITY_POLICY)
                .with("x-content-type-options", "nosniff")
                .with("referrer-policy", "no-referrer"),
        )
    }
}

/// The answer to `/verify...` on a server started without `--web`.
pub(crate) fn not_served(path: &str) -> Option<Answer> {
    (path == "/verify" || path.starts_with("/verify/")).then(|| {
        Answer::error(
            404,
            "this server was started without the browser verifier",
            "ask the server's operator to serve it (they start the server with --web web/dist); meanwhile any copy of the browser verifier checks a proof from /v1/proofs/SEQ",
        )
    })
}
