//! The hash lists a manifest may be, and how one line of each is read: `prov`'s own
//! `<sha256 hex> <size> <name>`, `sha256sum` output, a BagIt `manifest-sha256.txt` (RFC 8493),
//! and JSON Lines (`manifest_jsonl.rs`). Which one a manifest is, is told by its first line
//! (and, for BagIt, its file name and `bagit.txt` beside it), or given by the caller.

use crate::entry::Related;
use crate::error::LineProblem;
use std::collections::BTreeMap;

/// The kinds of manifest `prov add --manifest` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestFormat {
    /// `<sha256 hex> <size> <name>` (the name may be empty).
    Prov,
    /// GNU `sha256sum` output: `<hex>  <name>` (text mode), `<hex> *<name>` (binary mode), or
    /// the `--tag` form `SHA256 (<name>) = <hex>`; a line starting with `\` has its name
    /// escaped (`\\`, `\n`, `\r`). Sizes come from the files.
    Sha256sum,
    /// A BagIt `manifest-sha256.txt`: `<hex> <whitespace> data/<path>`, the path with `%25`,
    /// `%0A` and `%0D` for `%`, LF and CR (RFC 8493 section 2.1.3). Names are recorded
    /// without `data/`; sizes come from the bag's payload files.
    Bagit,
    /// One JSON object a line (`manifest_jsonl.rs`).
    Jsonl,
}

impl ManifestFormat {
    /// Every format, by the name `--manifest-format` takes.
    pub const NAMES: [(&'static str, ManifestFormat); 4] = [
        ("prov", ManifestFormat::Prov),
        ("sha256sum", ManifestFormat::Sha256sum),
        ("bagit", ManifestFormat::Bagit),
        ("jsonl", ManifestFormat::Jsonl),
    ];

    /// The format's name, as `--manifest-format` takes it.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("prov")
    }

    /// What a line of this format looks like, for errors.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            ManifestFormat::Prov => "`<sha256 hex> <size> <name>`",
            ManifestFormat::Sha256sum => "`<sha256 hex>  <name>` or `<sha256 hex> *<name>`",
            ManifestFormat::Bagit => "`<sha256 hex>  data/<path>`",
            ManifestFormat::Jsonl => "one JSON object",
        }
    }

    /// The format a first line shows (BagIt is told by its file name, not its lines).
    pub(crate) fn of_first_line(line: &[u8]) -> ManifestFormat {
        if line.starts_with(b"{") {
            ManifestFormat::Jsonl
        } else if line.starts_with(b"\\")
            || line.starts_with(b"SHA256 (")
            || matches!(line.get(64..66), Some(b"  " | b" *"))
        {
            ManifestFormat::Sha256sum
        } else {
            ManifestFormat::Prov
        }
    }
}

/// One line as read, before its size is looked up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub sha256: [u8; 32],
    /// The size, when the line gives it.
    pub size: Option<u64>,
    /// The name to record.
    pub name: Option<Vec<u8>>,
    /// Where the file is, relative to the manifest's folder, to read its size from.
    pub path: Option<Vec<u8>>,
    /// What the line says about its document beyond the command's fields.
    pub extra: Option<Box<LineFields>>,
}

/// What one line of a JSON Lines manifest says about its document; merged with the
/// command's fields by [`crate::manifest::Line::document`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineFields {
    /// Its media type (in place of the command's).
    pub media_type: Option<String>,
    /// Metadata (over the command's, key by key).
    pub metadata: BTreeMap<String, String>,
    /// Links to earlier entries (besides the command's).
    pub related: Vec<Related>,
}

/// Reads one non-empty line (without its line ending) of `format`.
pub(crate) fn parse(format: ManifestFormat, line: &[u8]) -> Result<Parsed, LineProblem> {
    let malformed = || LineProblem::Malformed {
        expected: format.expected(),
    };
    match format {
        ManifestFormat::Prov => prov(line).ok_or_else(malformed),
        ManifestFormat::Sha256sum => sha256sum(line).ok_or_else(malformed),
        ManifestFormat::Bagit => bagit(line).ok_or_else(malformed)?,
        ManifestFormat::Jsonl => crate::manifest_jsonl::parse(line),
    }
}

fn prov(line: &[u8]) -> Option<Parsed> {
    let mut parts = line.splitn(3, |b| *b == b' ');
    let sha256 = parse_sha256(std::str::from_utf8(parts.next()?).ok()?)?;
    let size = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let name = parts.next().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
    Some(Parsed {
        sha256,
        size: Some(size),
        name,
        ..Parsed::default()
    })
}

fn sha256sum(line: &[u8]) -> Option<Parsed> {
    let (escaped, line) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let (hex, name) = if let Some(tagged) = line.strip_prefix(b"SHA256 (") {
        let at = tagged.windows(4).rposition(|w| w == b") = ")?;
        (&tagged[at + 4..], &tagged[..at])
    } else {
        let (hex, rest) = line.split_at_checked(64)?;
        let name = rest
            .strip_prefix(b"  ")
            .or_else(|| rest.strip_prefix(b" *"))?;
        (hex, name)
    };
    let sha256 = parse_sha256(std::str::from_utf8(hex).ok()?)?;
    let name = if escaped {
        unescape(name)?
    } else {
        name.to_vec()
    };
    (!name.is_empty()).then(|| Parsed {
        sha256,
        path: Some(name.clone()),
        name: Some(name),
        ..Parsed::default()
    })
}

/// A name as GNU coreutils escapes it: `\\`, `\n` and `\r`; any other escape is refused.
fn unescape(name: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(name.len());
    let mut bytes = name.iter();
    while let Some(&b) = bytes.next() {
        out.push(match b {
            b'\\' => match bytes.next()? {
                b'\\' => b'\\',
                b'n' => b'\n',
                b'r' => b'\r',
                _ => return None,
            },
            b => b,
        });
    }
    Some(out)
}

/// A BagIt line; `None` when it is not one, and a refusal when its path leaves `data/`
/// through a `..` component (RFC 8493 section 2.1.3: a payload path is relative to the bag
/// and under `data/`; bagit.py refuses such a path as unsafe). Such a line would have its
/// size read from a file outside the bag, and a name recorded that the bag cannot hold.
fn bagit(line: &[u8]) -> Option<Result<Parsed, LineProblem>> {
    let (hex, rest) = line.split_at_checked(64)?;
    let sha256 = parse_sha256(std::str::from_utf8(hex).ok()?)?;
    let path = rest.trim_ascii_start();
    if path.len() == rest.len() {
        return None;
    }
    let path = percent_decode(path);
    let name = path.strip_prefix(b"data/").filter(|n| !n.is_empty())?;
    if name.split(|b| *b == b'/').any(|c| c == b"..") {
        return Some(Err(LineProblem::OutsideBag));
    }
    Some(Ok(Parsed {
        sha256,
        name: Some(name.to_vec()),
        path: Some(path.clone()),
        ..Parsed::default()
    }))
}

/// RFC 8493 section 2.1.3: `%0D`, `%0A` and `%25` (either case) stand for CR, LF and `%`;
/// anything else is as written.
fn percent_decode(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        let code = path.get(i + 1..i + 3).map(<[u8]>::to_ascii_uppercase);
        let decoded = match (path[i], code.as_deref()) {
            (b'%', Some(b"0D")) => Some(b'\r'),
            (b'%', Some(b"0A")) => Some(b'\n'),
            (b'%', Some(b"25")) => Some(b'%'),
            _ => None,
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(path[i]);
                i += 1;
            }
        }
    }
    out
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

    const H: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

    fn name(format: ManifestFormat, line: &str) -> Option<Vec<u8>> {
        parse(format, line.as_bytes()).ok().and_then(|p| p.name)
    }

    #[test]
    fn sha256sum_lines_in_text_binary_tag_and_escaped_forms() {
        use ManifestFormat::Sha256sum as S;
        assert_eq!(name(S, &format!("{H}  a b.txt")), Some(b"a b.txt".to_vec()));
        assert_eq!(name(S, &format!("{H} *bin")), Some(b"bin".to_vec()));
        assert_eq!(
            name(S, &format!("SHA256 (x) = y) = {H}")),
            Some(b"x) = y".to_vec())
        );
        assert_eq!(
            name(S, &format!("\\{H}  a\\\\b\\nc\\rd")),
            Some(b"a\\b\nc\rd".to_vec())
        );
        assert_eq!(
            name(S, &format!("\\{H}  a\\tb")),
            None,
            "not an escape coreutils writes"
        );
        assert_eq!(
            name(S, &format!("{H} a")),
            None,
            "one space is prov's own form"
        );
        assert_eq!(name(S, &format!("{H}  ")), None, "no name");
        for first in [format!("{H}  a"), format!("{H} *a"), format!("\\{H}  a")] {
            assert_eq!(ManifestFormat::of_first_line(first.as_bytes()), S);
        }
        assert_eq!(
            ManifestFormat::of_first_line(format!("{H} 6 a").as_bytes()),
            ManifestFormat::Prov
        );
    }

    #[test]
    fn bagit_paths_lose_data_and_decode_percent_escapes_of_rfc_8493() {
        use ManifestFormat::Bagit as B;
        let p = parse(B, format!("{H}  data/a%25b%0Ac%0dd%41").as_bytes()).unwrap();
        assert_eq!(p.name, Some(b"a%b\nc\rd%41".to_vec()));
        assert_eq!(p.path, Some(b"data/a%b\nc\rd%41".to_vec()));
        assert_eq!(name(B, &format!("{H}\t data/x y")), Some(b"x y".to_vec()));
        assert_eq!(
            name(B, &format!("{H}  other/x")),
            None,
            "outside the payload"
        );
        assert_eq!(name(B, &format!("{H}data/x")), None, "no separator");
        for outside in ["data/../x", "data/a/../../x", "data/..", "data/a/%2E%2E/x"] {
            let got = parse(B, format!("{H}  {outside}").as_bytes());
            // `%2E` is not one of RFC 8493's escapes: a name, not a `..`.
            if outside.contains("%2E") {
                assert!(got.is_ok(), "{outside}");
            } else {
                assert!(
                    matches!(got, Err(LineProblem::OutsideBag)),
                    "{outside}: {got:?}"
                );
            }
        }
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
