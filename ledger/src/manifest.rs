//! Manifests: documents recorded by hash alone, one `<sha256 hex> <size> <name>` per line.
//!
//! Two passes over the file, each streaming one line at a time: the first
//! ([`Manifest::check`]) checks every line (syntax and the ledger's field rules) before
//! anything is recorded, the second ([`Ledger::ingest`](crate::Ledger::ingest)) records in
//! batches. Memory is bounded by the batch, whatever the manifest's size. A manifest that
//! cannot be read twice (stdin, a pipe) is copied to a temporary file as it is opened.
//! A line may end in CRLF; the `\r` is not part of the name.

use crate::digest::{FileDigest, FileId};
use crate::entry_rules::MAX_NAME;
use crate::error::{Error, LineProblem, Result};
use crate::ingest::Fields;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, Write};

/// The longest line accepted: a 64-digit hash, a 20-digit size, a 4,096-byte name, the
/// separators and CRLF.
const MAX_LINE: usize = 64 + 1 + 20 + 1 + MAX_NAME + 2;

/// One manifest line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Its line number, from 1.
    pub number: u64,
    /// The name to record (`None` when the line gives none).
    pub name: Option<Vec<u8>>,
    /// Its hash and size.
    pub digest: FileDigest,
}

/// A manifest, open for its two passes.
#[derive(Debug)]
pub struct Manifest {
    file: File,
    /// How errors name it: the path, or `stdin`.
    shown: String,
    /// The file as the first pass saw it, to notice a change before the second.
    id: FileId,
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
        Ok(Manifest { file, shown, id })
    }

    /// How errors name the manifest: its path, or `stdin`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The first pass: every line parsed and checked as the document it describes would be
    /// recorded with `fields`. Returns how many lines name a document.
    ///
    /// # Errors
    /// [`Error::ManifestLine`] for the first line that is malformed or refused,
    /// [`Error::ManifestChanged`], [`Error::ManifestUnreadable`].
    pub fn check(&mut self, fields: &Fields) -> Result<u64> {
        let shown = self.shown.clone();
        let mut count = 0;
        for line in self.lines()? {
            let line = line?;
            fields
                .document(line.name.clone(), line.digest)
                .validate()
                .map_err(|e| Error::ManifestLine {
                    shown: shown.clone(),
                    line: line.number,
                    problem: LineProblem::Refused(Box::new(e)),
                })?;
            count += 1;
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
        Ok(Lines {
            r: BufReader::with_capacity(1 << 16, &self.file),
            shown: &self.shown,
            number: 0,
            buf: Vec::with_capacity(MAX_LINE + 1),
        })
    }
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
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(at(self.number, LineProblem::Unreadable(e)))),
            }
            let line = match self.buf.strip_suffix(b"\n") {
                Some(l) => l,
                None if self.buf.len() > MAX_LINE => {
                    return Some(Err(at(
                        self.number,
                        LineProblem::TooLong { max_line: MAX_LINE },
                    )));
                }
                None => &self.buf[..],
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            return Some(
                parse(line)
                    .ok_or_else(|| at(self.number, LineProblem::Malformed))
                    .map(|(name, digest)| Line {
                        number: self.number,
                        name,
                        digest,
                    }),
            );
        }
    }
}

fn parse(line: &[u8]) -> Option<(Option<Vec<u8>>, FileDigest)> {
    let mut parts = line.splitn(3, |b| *b == b' ');
    let sha256 = parse_sha256(std::str::from_utf8(parts.next()?).ok()?)?;
    let size = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let name = parts.next().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
    Some((name, FileDigest { sha256, size }))
}

/// Parses a SHA-256 written as 64 hex digits (either case).
pub fn parse_sha256(hex: &str) -> Option<[u8; 32]> {
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let d = |c: u8| (c as char).to_digit(16);
        *o = u8::try_from(d(pair[0])? * 16 + d(pair[1])?).ok()?;
    }
    Some(out)
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
        assert!(err.contains(":2: expected"), "{err}");
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

    #[test]
    fn hashes_parse_in_either_case_and_nothing_else() {
        let want = parse_sha256(H).unwrap();
        assert_eq!(want[0], 0x58);
        assert_eq!(want[31], 0x03);
        assert_eq!(parse_sha256(&H.to_uppercase()), Some(want));
        assert_eq!(parse_sha256(&H[1..]), None);
        assert_eq!(parse_sha256(&format!("{}g", &H[1..])), None);
        assert_eq!(parse_sha256(&format!("{}+1", &H[2..])), None);
        assert_eq!(parse_sha256(&format!("{H}0")), None);
        // Multi-byte characters are not digits, whatever their byte length.
        assert_eq!(parse_sha256(&format!("é{}", &H[2..])), None);
    }
}
