//! Manifests: documents recorded by hash alone, from a hash list in one of the forms of
//! [`ManifestFormat`] (`prov`'s own `<sha256 hex> <size> <name>`, `sha256sum` output, a BagIt
//! manifest, JSON Lines), told from its first line or given.
//!
//! Two passes over the file, each streaming one line at a time: the first
//! ([`Manifest::check`]) checks every line (syntax, its size, and the ledger's field rules)
//! before anything is recorded, the second ([`Ledger::ingest`](crate::Ledger::ingest)) records
//! in batches. Memory is bounded by the batch, whatever the manifest's size. A manifest that
//! cannot be read twice (stdin, a pipe) is copied to a temporary file as it is opened.
//! A line may end in CRLF; the `\r` is not part of the name. A line that gives no size
//! (`sha256sum`, BagIt, JSON Lines without `size`) takes the size of its file, found relative
//! to the manifest's folder (the current folder for stdin); a file that is not there is an
//! error that names the line.

use crate::append::NewDocument;
use crate::digest::{FileDigest, FileId};
use crate::entry_rules::MAX_NAME;
use crate::error::{Error, LineProblem, Result};
use crate::ingest::Fields;
pub use crate::manifest_lines::{LineFields, ManifestFormat, parse_sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The longest line accepted: a 64-digit hash, a 20-digit size, a 4,096-byte name escaped
/// (each byte at most 2), the separators and CRLF.
const MAX_LINE: usize = 64 + 1 + 20 + 2 + 2 * MAX_NAME + 2;

/// The longest JSON Lines line: room for an entry's metadata with JSON's escapes.
const MAX_JSON_LINE: usize = 1 << 20;

/// One manifest line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Its line number, from 1.
    pub number: u64,
    /// The name to record (`None` when the line gives none).
    pub name: Option<Vec<u8>>,
    /// Its hash and size.
    pub digest: FileDigest,
    /// What a JSON Lines line says about its document besides.
    pub extra: Option<Box<LineFields>>,
}

impl Line {
    /// The document this line describes, recorded with `fields`. A JSON Lines line's own
    /// fields win over the command's: its `media_type` replaces `fields`' one, its `meta`
    /// keys replace the same keys of `fields`' metadata (others are kept), and its
    /// `related` links are added to `fields`' ones.
    pub fn document(&self, fields: &Fields) -> NewDocument {
        let mut d = fields.document(self.name.clone(), self.digest);
        if let Some(x) = &self.extra {
            if x.media_type.is_some() {
                d.content.media_type = x.media_type.clone();
            }
            d.metadata.extend(x.metadata.clone());
            d.related.extend(x.related.iter().cloned());
            d.related.sort();
            d.related.dedup();
        }
        d
    }
}

/// A manifest, open for its two passes.
#[derive(Debug)]
pub struct Manifest {
    file: File,
    /// How errors name it: the path, or `stdin`.
    shown: String,
    /// The file as the first pass saw it, to notice a change before the second.
    id: FileId,
    format: ManifestFormat,
    /// The folder that names without a size are found in.
    base: PathBuf,
    /// A BagIt bag's `Payload-Oxum`: its payload's bytes and files.
    oxum: Option<(u64, u64)>,
    /// The line that names the manifest itself, passed over (see [`Manifest::names_itself`]).
    itself: Option<u64>,
}

impl Manifest {
    /// A manifest in `file`, named `shown` in errors (its path). A regular file is read in
    /// place; anything else (a pipe) is copied to a temporary file first.
    ///
    /// # Errors
    /// [`Error::ManifestUnreadable`].
    pub fn from_file(file: File, shown: impl Into<String>) -> Result<Manifest> {
        let shown = shown.into();
        let cannot = cannot_read(&shown);
        let file = if file.metadata().map_err(&cannot)?.is_file() {
            file
        } else {
            spool(file).map_err(&cannot)?
        };
        Manifest::ready(file, shown)
    }

    /// A manifest read from a stream that cannot be read twice (stdin), named `shown` in
    /// errors; it is copied to a temporary file as it is read.
    ///
    /// # Errors
    /// [`Error::ManifestUnreadable`].
    pub fn from_reader(r: impl Read, shown: impl Into<String>) -> Result<Manifest> {
        let shown = shown.into();
        let file = spool(r).map_err(cannot_read(&shown))?;
        Manifest::ready(file, shown)
    }

    fn ready(mut file: File, shown: String) -> Result<Manifest> {
        let cannot = cannot_read(&shown);
        file.rewind().map_err(&cannot)?;
        let id = FileId::of(&file.metadata().map_err(&cannot)?);
        let mut first = Vec::new();
        let mut r = BufReader::new(&file);
        while first.trim_ascii().is_empty() {
            first.clear();
            let n = (&mut r)
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut first)
                .map_err(&cannot)?;
            if n == 0 {
                break;
            }
        }
        Ok(Manifest {
            format: ManifestFormat::of_first_line(first.trim_ascii_start()),
            file,
            shown,
            id,
            base: PathBuf::from("."),
            oxum: None,
            itself: None,
        })
    }

    /// Says where the manifest is: names without a size are found relative to its folder,
    /// and a `manifest-sha256.txt` with `bagit.txt` beside it is read as a BagIt manifest.
    ///
    /// # Errors
    /// [`Error::ManifestUnreadable`] for a `bag-info.txt` that cannot be read.
    pub fn located(mut self, path: &Path) -> Result<Manifest> {
        self.base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let bag = path.file_name().is_some_and(|n| n == "manifest-sha256.txt")
            && self.base.join("bagit.txt").is_file();
        if bag {
            self = self.with_format(ManifestFormat::Bagit)?;
        }
        Ok(self)
    }

    /// Reads the manifest as `format`, whatever its first line shows.
    ///
    /// # Errors
    /// [`Error::ManifestUnreadable`] for a `bag-info.txt` that cannot be read.
    pub fn with_format(mut self, format: ManifestFormat) -> Result<Manifest> {
        self.format = format;
        if format == ManifestFormat::Bagit {
            self.oxum = payload_oxum(&self.base.join("bag-info.txt"))?;
        }
        Ok(self)
    }

    /// The format the manifest is read as.
    pub fn format(&self) -> ManifestFormat {
        self.format
    }

    /// How errors name the manifest: its path, or `stdin`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The number of the line that names the manifest file itself, which is passed over and
    /// never recorded: a hash list written into the folder it lists (`sha256sum * > SUMS`)
    /// lists itself, hashed while it was being written, so its hash is of no file that
    /// exists, and its size (read from the file now) is of another content. Known after
    /// [`Manifest::check`].
    pub fn names_itself(&self) -> Option<u64> {
        self.itself
    }

    /// The first pass: every line parsed, its size found, and checked as the document it
    /// describes would be recorded with `fields` in a ledger of `size` entries (its links
    /// name entries that exist now: so that no line is refused once others were recorded);
    /// a BagIt manifest's lines against its `Payload-Oxum`. Returns how many lines name a
    /// document.
    ///
    /// # Errors
    /// [`Error::ManifestLine`] for the first line that is malformed or refused,
    /// [`Error::ManifestOxum`], [`Error::ManifestChanged`], [`Error::ManifestUnreadable`].
    pub fn check(&mut self, fields: &Fields, size: u64) -> Result<u64> {
        let shown = self.shown.clone();
        let (mut count, mut bytes) = (0u64, 0u64);
        let mut lines = self.lines()?;
        for line in &mut lines {
            let line = line?;
            let document = line.document(fields);
            let given = line.extra.iter().flat_map(|x| &x.related);
            if let Err(e) = given.clone().try_for_each(crate::ingest::given_relation) {
                return Err(Error::ManifestLine {
                    shown,
                    line: line.number,
                    problem: LineProblem::Refused(Box::new(e)),
                });
            }
            if let Some(r) = document.related.iter().find(|r| r.seq >= size) {
                return Err(Error::ManifestLine {
                    shown,
                    line: line.number,
                    problem: LineProblem::NoSuchEntry { seq: r.seq, size },
                });
            }
            document.validate().map_err(|e| Error::ManifestLine {
                shown: shown.clone(),
                line: line.number,
                problem: LineProblem::Refused(Box::new(e)),
            })?;
            count += 1;
            bytes = bytes.saturating_add(line.digest.size);
        }
        let itself = lines.itself;
        self.itself = itself;
        if let Some(declared) = self.oxum
            && declared != (bytes, count)
        {
            return Err(Error::ManifestOxum {
                shown,
                declared,
                found: (bytes, count),
            });
        }
        Ok(count)
    }

    /// The lines, read again from the start.
    ///
    /// # Errors
    /// [`Error::ManifestChanged`] for a manifest changed since it was opened,
    /// [`Error::ManifestUnreadable`]; each line may be an [`Error::ManifestLine`].
    pub fn lines(&mut self) -> Result<Lines<'_>> {
        let now = self.file.metadata().map(|m| FileId::of(&m)).ok();
        if now != Some(self.id) {
            return Err(Error::ManifestChanged {
                shown: self.shown.clone(),
            });
        }
        self.file.rewind().map_err(cannot_read(&self.shown))?;
        let max_line = match self.format {
            ManifestFormat::Jsonl => MAX_JSON_LINE,
            _ => MAX_LINE,
        };
        Ok(Lines {
            r: BufReader::with_capacity(1 << 16, &self.file),
            shown: &self.shown,
            number: 0,
            buf: Vec::with_capacity(MAX_LINE + 1),
            format: self.format,
            base: &self.base,
            max_line,
            me: (self.id.dev, self.id.ino),
            itself: None,
        })
    }
}

/// The `Payload-Oxum` of a `bag-info.txt` (`<bytes>.<files>`, RFC 8493 section 2.2.2), if
/// it has one.
///
/// # Errors
/// [`Error::ManifestBagInfo`] for a value that is not `<bytes>.<files>` or several that
/// differ (a bag that declares what cannot be read, or two things, is refused rather than
/// taken at its first word); [`Error::ManifestUnreadable`].
fn payload_oxum(path: &Path) -> Result<Option<(u64, u64)>> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot_read(&path.display().to_string())(e)),
    };
    let text = String::from_utf8_lossy(&text);
    let refuse = |why: String| Error::ManifestBagInfo {
        path: path.to_owned(),
        why,
    };
    let mut found = None;
    for l in text.lines() {
        let Some((label, value)) = l.split_once(':') else {
            continue;
        };
        if !label.trim().eq_ignore_ascii_case("Payload-Oxum") {
            continue;
        }
        let value = value.trim();
        let oxum = value
            .split_once('.')
            .and_then(|(b, f)| Some((digits(b)?, digits(f)?)))
            .ok_or_else(|| {
                refuse(format!(
                    "its Payload-Oxum \"{}\" is not BYTES.FILES",
                    value.escape_debug()
                ))
            })?;
        if found.is_some_and(|f| f != oxum) {
            return Err(refuse(
                "it gives two Payload-Oxum values that differ".into(),
            ));
        }
        found = Some(oxum);
    }
    Ok(found)
}

/// A count written in decimal digits alone (no sign, no spaces).
fn digits(s: &str) -> Option<u64> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

fn cannot_read(shown: &str) -> impl Fn(std::io::Error) -> Error + use<> {
    let shown = shown.to_owned();
    move |source| Error::ManifestUnreadable {
        shown: shown.clone(),
        source,
    }
}

/// Copies a stream that cannot be read twice to an anonymous temporary file.
fn spool(mut r: impl Read) -> std::io::Result<File> {
    let mut tmp = tempfile::tempfile()?;
    std::io::copy(&mut r, &mut tmp)?;
    tmp.flush()?;
    Ok(tmp)
}

/// The lines of a manifest, one at a time.
pub struct Lines<'a> {
    r: BufReader<&'a File>,
    shown: &'a str,
    number: u64,
    buf: Vec<u8>,
    format: ManifestFormat,
    base: &'a Path,
    max_line: usize,
    /// The manifest's own device and inode, to pass over the line that names it.
    me: (u64, u64),
    /// That line's number, once read.
    itself: Option<u64>,
}

impl Iterator for Lines<'_> {
    type Item = Result<Line>;

    fn next(&mut self) -> Option<Result<Line>> {
        loop {
            self.buf.clear();
            self.number += 1;
            let at = |line: u64, problem: LineProblem| Error::ManifestLine {
                shown: self.shown.to_owned(),
                line,
                problem,
            };
            let read = (&mut self.r)
                .take(self.max_line as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(at(self.number, LineProblem::Unreadable(e)))),
            }
            let line = match self.buf.strip_suffix(b"\n") {
                Some(l) => l,
                None if self.buf.len() > self.max_line => {
                    return Some(Err(at(
                        self.number,
                        LineProblem::TooLong {
                            max_line: self.max_line,
                        },
                    )));
                }
                None => &self.buf[..],
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            let number = self.number;
            let parsed = crate::manifest_lines::parse(self.format, line)
                .and_then(|p| sized(p, self.base, self.format, self.me));
            return Some(match parsed {
                Ok(None) => {
                    self.itself = Some(number);
                    continue;
                }
                Ok(Some((p, size))) => Ok(Line {
                    number,
                    name: p.name,
                    digest: FileDigest {
                        sha256: p.sha256,
                        size,
                    },
                    extra: p.extra,
                }),
                Err(problem) => Err(at(number, problem)),
            });
        }
    }
}

/// A parsed line and its size: the one it gives, or its file's; `None` for a line whose
/// file is the manifest itself (`me`, its device and inode).
fn sized(
    p: crate::manifest_lines::Parsed,
    base: &Path,
    format: ManifestFormat,
    me: (u64, u64),
) -> std::result::Result<Option<(crate::manifest_lines::Parsed, u64)>, LineProblem> {
    use std::os::unix::fs::MetadataExt;
    if let Some(size) = p.size {
        return Ok(Some((p, size)));
    }
    let rel = p.path.as_deref().unwrap_or_default();
    let path = base.join(std::ffi::OsStr::from_bytes(rel));
    match std::fs::metadata(&path) {
        Ok(m) if (m.dev(), m.ino()) == me => Ok(None),
        Ok(m) if m.is_file() => Ok(Some((p, m.len()))),
        Ok(_) => Err(LineProblem::Unmeasurable {
            path,
            source: std::io::Error::other("not a regular file"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(LineProblem::NoSize {
            path,
            format: format.name(),
        }),
        Err(source) => Err(LineProblem::Unmeasurable { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = Result<(u64, Option<Vec<u8>>), String>;

    fn lines_of(text: &[u8]) -> Vec<Parsed> {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(text).unwrap();
        let file = File::open(tmp.path()).unwrap();
        let mut m = Manifest::from_file(file, tmp.path().display().to_string()).unwrap();
        m.lines()
            .unwrap()
            .map(|l| l.map(|l| (l.number, l.name)).map_err(|e| e.to_string()))
            .collect()
    }

    const H: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

    #[test]
    fn crlf_lines_keep_no_carriage_return_and_blank_lines_are_skipped() {
        let text = format!("{H} 6 a.txt\r\n\r\n{H} 6 b c\n{H} 6\n");
        let got = lines_of(text.as_bytes());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok((1, Some(b"a.txt".to_vec()))));
        assert_eq!(got[1], Ok((3, Some(b"b c".to_vec()))));
        assert_eq!(got[2], Ok((4, None)));
    }

    #[test]
    fn errors_name_the_line() {
        let text = format!("{H} 6 a\nnot a line\n");
        let got = lines_of(text.as_bytes());
        let err = got[1].clone().unwrap_err();
        assert!(
            err.contains(":2: expected `<sha256 hex> <size> <name>`"),
            "{err}"
        );
    }

    #[test]
    fn an_endless_line_is_refused_without_reading_it_whole() {
        let text = vec![b'a'; MAX_LINE * 3];
        let got = lines_of(&text);
        assert!(
            got[0]
                .clone()
                .unwrap_err()
                .contains(":1: the line is longer")
        );
    }
}
