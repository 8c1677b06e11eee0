//! C2SP signed-note v1.0.0 (<https://c2sp.org/signed-note>): note text, signature lines,
//! key IDs and verifier key strings, with Ed25519 (signature type `0x01`) only.

use crate::error::{Error, Result};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The most signature lines a note may carry here; the spec requires accepting at least 16.
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// The largest note accepted, in bytes.
const MAX_NOTE_BYTES: usize = 1 << 20;
/// Signature type byte for Ed25519 (signed-note, "Signature types").
const ED25519: u8 = 0x01;
/// The prefix of every signature line: em dash, space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Standard padded base64 that, like Go's `base64.StdEncoding`, ignores non-zero bits in the
/// last character's padding: used only to read the key ID of a signature line, whose key may
/// be unknown and then must be ignored whatever its encoding (signed-note, "Signatures").
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]` as a big-endian integer.
pub fn key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(public_key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The verifier key string `<name>+<hex key ID>+<base64(0x01 || public key)>`.
pub fn verifier_key_string(name: &str, public_key: &VerifyingKey) -> String {
    let mut material = vec![ED25519];
    material.extend_from_slice(public_key.as_bytes());
    format!(
        "{name}+{:08x}+{}",
        key_id(name, public_key),
        STANDARD.encode(material)
    )
}

pub(crate) fn check_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// signed-note, "Format": no ASCII control characters (below U+0020) other than newline.
/// U+007F (DEL) is not one of them.
fn has_control_characters(text: &str) -> bool {
    text.chars().any(|c| c < ' ' && c != '\n')
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 32-bit key ID (the first four signature bytes).
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
    /// The base64 as read, kept only when it is not the canonical encoding (non-zero padding
    /// bits), so that a parsed note re-encodes to its exact bytes.
    noncanonical: Option<String>,
}

impl NoteSignature {
    /// A signature line for `name`, `key_id` and the signature bytes after the key ID.
    pub fn new(name: &str, key_id: u32, signature: Vec<u8>) -> Self {
        Self {
            name: name.to_owned(),
            key_id,
            signature,
            noncanonical: None,
        }
    }

    /// `key ID || signature`, the bytes the line's base64 encodes.
    fn raw(&self) -> Vec<u8> {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.signature);
        raw
    }

    /// Whether the line's base64 is the canonical encoding of its bytes (always, unless it
    /// was parsed from a line with non-zero padding bits).
    pub fn is_canonical(&self) -> bool {
        self.noncanonical.is_none()
    }

    /// The signature line, without its newline: the base64 as read when parsed and unchanged
    /// since, else the canonical encoding.
    pub fn to_line(&self) -> String {
        let raw = self.raw();
        let b64 = match &self.noncanonical {
            Some(text) if LENIENT.decode(text).is_ok_and(|d| d == raw) => text.clone(),
            _ => STANDARD.encode(raw),
        };
        format!("{SIG_PREFIX}{} {b64}", self.name)
    }
}

/// A parsed signed note: its text (ending in a newline) and its signature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signatures, in the order they appear.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note without verifying anything (signed-note, "Format").
    ///
    /// A signature line's base64 may carry non-zero padding bits, as Go's decoder allows: the
    /// line may belong to a key the verifier does not know, which it must ignore. Such a line
    /// re-encodes verbatim, and [`Note::open`] refuses it from a trusted key.
    ///
    /// # Errors
    /// [`Error::MalformedNote`] for anything outside the format: control characters (below
    /// U+0020, other than newline), a missing blank line, a malformed signature line, too
    /// many signatures or bytes.
    pub fn parse(note: &[u8]) -> Result<Note> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(Error::MalformedNote("note is larger than 1 MiB"));
        }
        let note = std::str::from_utf8(note).map_err(|_| Error::MalformedNote("not UTF-8"))?;
        if has_control_characters(note) {
            return Err(Error::MalformedNote(
                "contains control characters (below U+0020, other than newline)",
            ));
        }
        let split = note
            .rfind("\n\n")
            .ok_or(Error::MalformedNote("no blank line before the signatures"))?;
        let (text, sigs) = (&note[..=split], &note[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(Error::MalformedNote(
                "signature block is empty or lacks its final newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_NOTE_SIGNATURES {
                return Err(Error::MalformedNote("more than 100 signatures"));
            }
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Parses a note and verifies it against trusted keys, as signed-note ("Signatures")
    /// requires: signatures by unknown keys are ignored whatever their bytes beyond the line
    /// syntax, a failing signature by a known key rejects the note, and at least one known key
    /// must have signed. A known key's signature must be canonical base64.
    ///
    /// # Errors
    /// [`Error::DuplicateVerifier`] when two verifiers share a name and key ID (a signature
    /// by that pair would be ambiguous, as in Go's `sumdb/note`), a parse error,
    /// [`Error::MalformedNote`] for a known key's non-canonical base64,
    /// [`Error::BadSignature`] or [`Error::NoTrustedSignature`].
    pub fn open(note: &[u8], verifiers: &[NoteVerifier]) -> Result<Note> {
        check_distinct(verifiers)?;
        let parsed = Note::parse(note)?;
        let mut verified = 0;
        for sig in &parsed.signatures {
            if let Some(v) = verifiers
                .iter()
                .find(|v| v.name == sig.name && v.key_id == sig.key_id)
            {
                if !sig.is_canonical() {
                    return Err(Error::MalformedNote(
                        "a trusted key's signature is not canonical base64 (non-zero padding bits)",
                    ));
                }
                v.verify(parsed.text.as_bytes(), sig)?;
                verified += 1;
            }
        }
        if verified == 0 {
            let list = |it: &mut dyn Iterator<Item = (String, u32)>| {
                it.map(|(n, id)| format!("{n}+{id:08x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::NoTrustedSignature {
                found: list(&mut parsed.signatures.iter().map(|s| (s.name.clone(), s.key_id))),
                trusted: list(&mut verifiers.iter().map(|v| (v.name.clone(), v.key_id))),
            });
        }
        Ok(parsed)
    }

    /// The full note: text, blank line, one line per signature.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.to_line());
            out.push('\n');
        }
        out
    }
}

/// Refuses a set of trusted keys in which a (name, key ID) pair appears twice: which key a
/// signature by that pair names would be ambiguous.
fn check_distinct(verifiers: &[NoteVerifier]) -> Result<()> {
    for (i, v) in verifiers.iter().enumerate() {
        if verifiers[..i]
            .iter()
            .any(|w| w.name == v.name && w.key_id == v.key_id)
        {
            return Err(Error::DuplicateVerifier {
                name: v.name.clone(),
                key_id: v.key_id,
            });
        }
    }
    Ok(())
}

/// Parses a block of signature lines alone, each ending in `\n` (none when empty): the
/// cosignature lines a witness answers (tlog-witness, "add-checkpoint") or a ledger keeps
/// (`cosignatures/<size>`). Anything else in the block, a blank line included, is refused.
///
/// # Errors
/// [`Error::MalformedNote`] as for a note's signature lines, or for more than 100.
pub fn parse_signature_lines(block: &str) -> Result<Vec<NoteSignature>> {
    if block.is_empty() {
        return Ok(Vec::new());
    }
    if has_control_characters(block) {
        return Err(Error::MalformedNote(
            "contains control characters (below U+0020, other than newline)",
        ));
    }
    let body = block.strip_suffix('\n').ok_or(Error::MalformedNote(
        "the last signature line lacks its newline",
    ))?;
    let mut out = Vec::new();
    for line in body.split('\n') {
        if out.len() == MAX_NOTE_SIGNATURES {
            return Err(Error::MalformedNote("more than 100 signatures"));
        }
        out.push(parse_signature_line(line)?);
    }
    Ok(out)
}

fn parse_signature_line(line: &str) -> Result<NoteSignature> {
    let rest = line.strip_prefix(SIG_PREFIX).ok_or(Error::MalformedNote(
        "signature line does not start with an em dash",
    ))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(Error::MalformedNote("signature line has no signature"))?;
    if !check_key_name(name) {
        return Err(Error::MalformedNote("bad key name in a signature line"));
    }
    let raw = LENIENT
        .decode(b64)
        .map_err(|_| Error::MalformedNote("signature is not base64"))?;
    if raw.len() < 5 {
        return Err(Error::MalformedNote("signature is too short"));
    }
    let mut sig = NoteSignature::new(
        name,
        u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        raw[4..].to_vec(),
    );
    if STANDARD.encode(&raw) != b64 {
        sig.noncanonical = Some(b64.to_owned());
    }
    Ok(sig)
}

/// A trusted Ed25519 public key with its name and key ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    /// The key name (for a checkpoint, the log's origin).
    pub name: String,
    /// The key ID signatures carry.
    pub key_id: u32,
    /// The public key.
    pub key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier for `key` under `name`, with the recommended key ID.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] when the name is empty or has spaces or `+`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self> {
        if !check_key_name(name) {
            return Err(Error::MalformedKey(
                "key name is empty or has spaces or '+'",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
        })
    }

    /// Parses a verifier key string `<name>+<hex key ID>+<base64(0x01 || key)>`
    /// (signed-note, "Verifier keys"): the ID must be 8 lower-case hex digits, the key
    /// canonical base64, and the ID must equal
    /// `SHA-256(name || 0x0A || 0x01 || key)[:4]`, so a changed name, ID or key is refused here
    /// rather than later as a note no trusted key signed.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] naming the part that is wrong.
    pub fn parse(vkey: &str) -> Result<Self> {
        let vkey = vkey.trim_end_matches(['\n', '\r']);
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::MalformedKey("expected <name>+<key id>+<key>"));
        };
        if !check_key_name(name) {
            return Err(Error::MalformedKey("key name is empty or has spaces"));
        }
        if id.len() != 8 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::MalformedKey("key ID is not 8 lower-case hex digits"));
        }
        let key_id = u32::from_str_radix(id, 16)
            .map_err(|_| Error::MalformedKey("key ID is not 8 lower-case hex digits"))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::MalformedKey("key is not base64"))?;
        let Some((&ED25519, public)) = raw.split_first() else {
            return Err(Error::MalformedKey("key type is not Ed25519 (0x01)"));
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| Error::MalformedKey("Ed25519 key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| Error::MalformedKey("not a valid Ed25519 public key"))?;
        if key_id != self::key_id(name, &key) {
            return Err(Error::MalformedKey(
                "key ID is not SHA-256(name || 0x0A || 0x01 || key)[:4]: the name, ID or key was altered; copy the whole line `prov key` prints",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        verifier_key_string(&self.name, &self.key)
    }

    /// Verifies one signature over `text` with `verify_strict` (which, unlike `verify`,
    /// rejects signatures that weak keys make forgeable).
    fn verify(&self, text: &[u8], sig: &NoteSignature) -> Result<()> {
        let bad = || Error::BadSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        };
        let signature = Signature::from_slice(&sig.signature).map_err(|_| bad())?;
        self.key.verify_strict(text, &signature).map_err(|_| bad())
    }
}

/// A named Ed25519 signing key that signs notes. It has no `Debug`, so it cannot be logged.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    verifier: NoteVerifier,
}

impl NoteSigner {
    /// A signer for `key` under `name`.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] when the name is empty or has spaces or `+`.
    pub fn new(name: &str, key: SigningKey) -> Result<Self> {
        let verifier = NoteVerifier::new(name, key.verifying_key())?;
        Ok(Self {
            name: name.to_owned(),
            key,
            verifier,
        })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Signs `text` and returns the whole note. Only a text that [`Note::parse`] reads back
    /// unchanged is signed (signed-note, "Format"): it ends in a newline, has no control
    /// characters below U+0020 other than newline, and the note fits in 1 MiB.
    ///
    /// # Errors
    /// [`Error::MalformedNote`] when the text is not a valid note text.
    pub fn sign(&self, text: &str) -> Result<Note> {
        if !text.ends_with('\n') {
            return Err(Error::MalformedNote(
                "text to sign does not end in a newline",
            ));
        }
        if has_control_characters(text) {
            return Err(Error::MalformedNote(
                "text to sign contains control characters (below U+0020, other than newline)",
            ));
        }
        let sig = self.key.sign(text.as_bytes());
        let note = Note {
            text: text.to_owned(),
            signatures: vec![NoteSignature::new(
                &self.name,
                self.verifier.key_id,
                sig.to_bytes().to_vec(),
            )],
        };
        if note.to_text().len() > MAX_NOTE_BYTES {
            return Err(Error::MalformedNote(
                "text to sign makes a note larger than 1 MiB",
            ));
        }
        Ok(note)
    }
}
