//! C2SP tlog-checkpoint v1.0.0 (<https://c2sp.org/tlog-checkpoint>): the note text that
//! commits to a tree head.

use crate::error::{Error, Result};
use crate::hash::{Hash, empty_root};
use crate::note::{Note, NoteSigner, NoteVerifier};
use crate::tree::Tree;

/// The body of a checkpoint: origin, tree size, root hash and optional extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, also the name of the key that signs it.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of those leaves.
    pub root: Hash,
    /// Opaque extension lines (each non-empty); `prov` writes none.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The tree head this checkpoint commits to.
    pub fn tree(&self) -> Tree {
        Tree {
            size: self.size,
            root: self.root,
        }
    }

    /// The note text: origin, decimal size, base64 root, extensions, each ending in `\n`.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        out
    }

    /// Checks what the text form cannot show: a non-empty origin and extension lines without
    /// newlines (tlog-checkpoint, "Note text"), and the empty tree's root at size 0
    /// (tlog-witness: "A checkpoint of size zero MUST have the root hash of the empty tree").
    fn validate(&self) -> Result<()> {
        if self.origin.is_empty() {
            return Err(Error::MalformedCheckpoint("empty origin line"));
        }
        if self.origin.contains('\n') {
            return Err(Error::MalformedCheckpoint("origin contains a newline"));
        }
        if self.extensions.iter().any(String::is_empty) {
            return Err(Error::MalformedCheckpoint("empty extension line"));
        }
        if self.extensions.iter().any(|e| e.contains('\n')) {
            return Err(Error::MalformedCheckpoint(
                "extension line contains a newline",
            ));
        }
        if self.size == 0 && self.root != empty_root() {
            return Err(Error::MalformedCheckpoint(
                "size is 0 but the root is not the empty tree's, SHA-256 of nothing (47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=)",
            ));
        }
        Ok(())
    }

    /// Parses a checkpoint note text (no signatures).
    ///
    /// # Errors
    /// [`Error::MalformedCheckpoint`] naming the line that is wrong, or a size of 0 with a
    /// root other than the empty tree's.
    pub fn from_text(text: &str) -> Result<Checkpoint> {
        let body = text
            .strip_suffix('\n')
            .ok_or(Error::MalformedCheckpoint("text does not end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or(Error::MalformedCheckpoint("missing tree size line"))?;
        let root = lines
            .next()
            .ok_or(Error::MalformedCheckpoint("missing root hash line"))?;
        if origin.is_empty() {
            return Err(Error::MalformedCheckpoint("empty origin line"));
        }
        let size = parse_decimal(size).ok_or(Error::MalformedCheckpoint(
            "tree size is not a canonical decimal",
        ))?;
        let root = Hash::from_base64(
            root,
            Error::MalformedCheckpoint("root hash is not base64 of 32 bytes"),
        )?;
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: lines.map(str::to_owned).collect(),
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Signs this checkpoint. Only a checkpoint that [`Checkpoint::open`] reads back
    /// unchanged with the signer's verifier is signed: the signer's name must be the origin.
    ///
    /// # Errors
    /// [`Error::WrongOrigin`] when the signer's name is not the origin,
    /// [`Error::MalformedCheckpoint`] for an empty origin, an empty extension line, a newline
    /// inside a line or a size-0 checkpoint without the empty root, [`Error::MalformedNote`]
    /// when the text is not a valid note text (control characters).
    pub fn sign(&self, signer: &NoteSigner) -> Result<Note> {
        self.validate()?;
        if self.origin != signer.verifier().name {
            return Err(Error::WrongOrigin {
                got: self.origin.clone(),
                want: signer.verifier().name.clone(),
            });
        }
        signer.sign(&self.to_text())
    }

    /// Verifies a signed checkpoint against the log's key and parses it. The origin must be
    /// the verifier's key name.
    ///
    /// # Errors
    /// Note errors ([`Error::MalformedNote`], [`Error::BadSignature`],
    /// [`Error::NoTrustedSignature`]), then [`Error::MalformedCheckpoint`] or
    /// [`Error::WrongOrigin`].
    pub fn open(note: &[u8], verifier: &NoteVerifier) -> Result<Checkpoint> {
        let note = Note::open(note, std::slice::from_ref(verifier))?;
        let checkpoint = Checkpoint::from_text(&note.text)?;
        if checkpoint.origin != verifier.name {
            return Err(Error::WrongOrigin {
                got: checkpoint.origin,
                want: verifier.name.clone(),
            });
        }
        Ok(checkpoint)
    }
}

/// An ASCII decimal with no leading zeroes (except `0` itself) that fits in 64 bits.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_canonical() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("20852163"), Some(20852163));
        for bad in [
            "",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "18446744073709551616",
            "1e3",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn spec_example_text_parses_and_round_trips() {
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::from_text(text).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert_eq!(cp.to_text(), text);
    }

    #[test]
    fn malformed_texts_are_rejected() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for bad in [
            String::new(),
            "o\n1\n".to_owned(),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n1\n{root}"),
            format!("o\n1\n{root}\n\n"),
            "o\n1\nAAAA\n".to_owned(),
            format!("o\n0\n{root}\n"),
        ] {
            assert!(Checkpoint::from_text(&bad).is_err(), "{bad:?}");
        }
    }
}
