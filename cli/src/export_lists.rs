//! `prov export --format sha256sum` and `--format bagit DIR`: the ledger's entries as the
//! hash lists archivists already use, the other way from `add --manifest`.
//!
//! sha256sum: one `HEX  NAME` line per named entry, the name escaped as GNU coreutils does
//! (a line starting with `\`, and `\\`, `\n`, `\r` in the name), so `sha256sum -c` checks the
//! files where the names lead. An entry with no name cannot be a line, and is counted in a note.
//!
//! BagIt (RFC 8493): the ledger stores hashes, not bytes, so the bag is "holey": its
//! `manifest-sha256.txt` lists every entry as `data/SEQ/NAME` (the seq keeps two entries of
//! one name apart; a name that is not UTF-8, or has no part left once empty, `.` and `..` parts
//! are dropped, is `data/SEQ/content`), `fetch.txt` names the entry's source for each entry
//! whose source is an http(s) URL, and the payload is not there: putting the files in place
//! (or fetching them) completes the bag, which a BagIt validator then checks. The tag files
//! `prov/checkpoint`, `prov/ledger.vkey` and `prov/proofs/SEQ.tlog-proof` (one `prov prove`
//! proof per entry, at that checkpoint) let anyone verify each line against the signed ledger.

use crate::failure::{Failure, Result};
use crate::note::Kind;
use crate::output::{Out, count, rfc3339};
use prov_ledger::{Entry, Ledger};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A name as GNU coreutils writes it in a checksum line: escaped, and whether it had to be.
pub fn coreutils_name(name: &[u8]) -> (bool, Vec<u8>) {
    let escaped = name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    let mut out = Vec::with_capacity(name.len());
    for &b in name {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
    (escaped, out)
}

pub fn sha256sum(l: &Ledger, out: Out) -> Result<()> {
    if out.json {
        return Err(Failure::usage(
            "`prov export --format sha256sum` writes sha256sum lines, not JSON: leave out --json",
        ));
    }
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    let mut unnamed = 0u64;
    for e in l.range(0, l.size()) {
        let e = e?;
        let Some(name) = &e.content.name else {
            unnamed += 1;
            continue;
        };
        let (escaped, name) = coreutils_name(name);
        if escaped {
            w.write_all(b"\\")?;
        }
        w.write_all(hex::encode(e.content.sha256).as_bytes())?;
        w.write_all(b"  ")?;
        w.write_all(&name)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    if unnamed > 0 {
        out.note(
            Kind::UnnamedNotListed,
            format!(
                "{} no name and {} not listed (a sha256sum line needs one): `prov export` lists every entry",
                count(unnamed, "entry has", "entries have"),
                if unnamed == 1 { "is" } else { "are" }
            ),
        )?;
    }
    Ok(())
}

/// The payload path of an entry in a bag, before RFC 8493's percent-encoding.
fn payload_path(e: &Entry) -> String {
    let name = e
        .content
        .name
        .as_deref()
        .and_then(|n| std::str::from_utf8(n).ok())
        .map(|n| {
            n.split('/')
                .filter(|p| !matches!(*p, "" | "." | ".."))
                .collect::<Vec<_>>()
                .join("/")
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "content".into());
    format!("data/{}/{name}", e.seq)
}

/// RFC 8493 section 2.1.3: `%`, LF and CR in a manifest's paths as `%25`, `%0A`, `%0D`.
fn percent_encode(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\n', "%0A")
        .replace('\r', "%0D")
}

/// A source that a fetcher can fetch: an http(s) URL with a host and no whitespace.
fn fetchable(source: &str) -> bool {
    let rest = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !source.chars().any(char::is_whitespace)
}

/// The bag's files, each hashed as it is written for the tag manifest.
struct Bag {
    dir: PathBuf,
    tags: Vec<u8>,
}

/// Writes a new file of the bag: never one that exists, never through a link (the folder was
/// empty when checked; anything there now was put there since, by someone else).
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| cannot_write(path, e))
}

impl Bag {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(rel);
        write_new(&path, bytes)?;
        self.tags
            .extend(format!("{}  {rel}\n", hex::encode(Sha256::digest(bytes))).as_bytes());
        Ok(())
    }
}

fn cannot_write(path: &Path, e: std::io::Error) -> Failure {
    Failure::environment(format!(
        "cannot write {}: {e}: check that the folder is one you can write to, then remove what was written and run the same command again (the ledger is unchanged)",
        prov_report::escape::path(path)
    ))
}

pub fn bagit(l: &Ledger, ledger: &Path, dir: &Path, out: Out) -> Result<()> {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    if real(dir).starts_with(real(ledger)) {
        return Err(Failure::input(format!(
            "{} is inside the ledger folder: choose a folder outside it",
            prov_report::escape::path(dir)
        )));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure::input(format!(
            "{} is not empty: give a new or empty folder for the bag",
            prov_report::escape::path(dir)
        )));
    }
    // The payload folder is required (RFC 8493 section 2.1.2), even empty. Each folder is
    // made new, never found (a link put there since the check is not followed).
    std::fs::create_dir_all(dir).map_err(|e| cannot_write(dir, e))?;
    for sub in ["data", "prov", "prov/proofs"] {
        let d = dir.join(sub);
        std::fs::create_dir(&d).map_err(|e| cannot_write(&d, e))?;
    }
    let mut bag = Bag {
        dir: dir.to_owned(),
        tags: Vec::new(),
    };
    let size = l.size();
    let checkpoint = l.checkpoint_at(size)?;
    let (mut manifest, mut fetch) = (Vec::new(), Vec::new());
    // The payload files (a claim is none), their bytes, and those fetch.txt lists.
    let (mut files, mut bytes, mut fetched) = (0u64, 0u64, 0u64);
    for e in l.range(0, size) {
        let e = e?;
        // A claim is about a document, not one: its content is that document's, and its
        // source is who claims (FORMAT.md 6.7), never where the bytes can be fetched.
        if e.is_claim() {
            continue;
        }
        let path = percent_encode(&payload_path(&e));
        manifest.extend(format!("{}  {path}\n", hex::encode(e.content.sha256)).as_bytes());
        bytes = bytes.saturating_add(e.content.size);
        files += 1;
        if fetchable(&e.source) {
            fetch.extend(format!("{} {} {path}\n", e.source, e.content.size).as_bytes());
            fetched += 1;
        }
        let proof = l.prove(e.seq, Some(size))?.to_text();
        bag.write(
            &format!("prov/proofs/{}.tlog-proof", e.seq),
            proof.as_bytes(),
        )?;
    }
    bag.write(
        "bagit.txt",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    )?;
    bag.write("manifest-sha256.txt", &manifest)?;
    if !fetch.is_empty() {
        bag.write("fetch.txt", &fetch)?;
    }
    bag.write("prov/checkpoint", checkpoint.as_bytes())?;
    let vkey = l.verifier().to_vkey();
    bag.write("prov/ledger.vkey", format!("{vkey}\n").as_bytes())?;
    let today = &rfc3339(crate::output::now_ms()?)[..10];
    let info = format!(
        "Bag-Software-Agent: prov {}\nBagging-Date: {today}\nPayload-Oxum: {bytes}.{files}\nExternal-Description: The SHA-256 of the documents of entries 0 to {} of the prov ledger {}, as its signed checkpoint of size {size} commits to them (prov/checkpoint, a proof per entry in prov/proofs/; claims are entries but no payload). A holey bag: the payload is not included; fetch.txt lists the entries whose source is a URL.\nProv-Origin: {}\nProv-Verifier-Key: {vkey}\nProv-Checkpoint-Size: {size}\n",
        env!("CARGO_PKG_VERSION"),
        size.saturating_sub(1),
        l.origin(),
        l.origin(),
    );
    bag.write("bag-info.txt", info.as_bytes())?;
    write_new(&dir.join("tagmanifest-sha256.txt"), &bag.tags)?;
    if out.json {
        let mut v = json!({"entries": size, "files": files, "bytes": bytes, "fetch": fetched,
            "checkpoint_size": size, "holey": true});
        crate::output::set_path_as(&mut v, "dir", dir.as_os_str().as_encoded_bytes());
        return out.json(&v);
    }
    out.human(format!(
        "wrote a BagIt bag of {} ({}) to {} (holey: the payload is not included; fetch.txt lists {}; prov/ holds the checkpoint and a proof per entry)",
        count(files, "document", "documents"),
        count(size, "entry", "entries"),
        prov_report::escape::path(dir),
        count(fetched, "URL", "URLs"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_as_coreutils_does_and_only_when_needed() {
        assert_eq!(coreutils_name(b"a b"), (false, b"a b".to_vec()));
        assert_eq!(
            coreutils_name(b"a\\b\nc\rd"),
            (true, b"a\\\\b\\nc\\rd".to_vec())
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_fetched() {
        assert!(fetchable("https://leaks.example/a.pdf"));
        assert!(!fetchable("https:///a"));
        assert!(!fetchable("mailto:tips@news.example"));
        assert!(!fetchable("https://a.example/a b"));
        assert_eq!(percent_encode("a%b\nc\r"), "a%25b%0Ac%0D");
    }
}
