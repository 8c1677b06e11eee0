//! Telling what a member is from its first bytes, never from its name.
//!
//! [`sniff`] looks at magic numbers and structure only: the zip local header and end records
//! (PKWARE APPNOTE.TXT 4.3.7, 4.3.16), the gzip magic (RFC 1952 2.3.1), the 7z signature
//! header, the RAR marker block, a POSIX ustar header (IEEE 1003.1 `pax`, "ustar Interchange
//! Format": `ustar` at offset 257, or an old-style header whose checksum is right), an mbox
//! `From ` separator line (RFC 4155) and RFC 5322 header fields at the very start.

/// What a member is, as [`sniff`] tells it from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A zip archive (APPNOTE.TXT): members are read through its central directory.
    Zip,
    /// A tar archive (POSIX ustar, GNU and pax extensions).
    Tar,
    /// A gzip stream (RFC 1952); its one member is the decompressed stream.
    Gzip,
    /// A 7z archive (7-Zip's 7zFormat.txt): members are read through its header.
    SevenZip,
    /// A RAR archive: recognised, not opened (recorded as opaque with a note).
    Rar,
    /// One email message (RFC 5322 with MIME, RFC 2045/2046): members are its MIME parts.
    Email,
    /// An mbox mailbox (RFC 4155): members are its messages.
    Mbox,
    /// An OOXML (`.docx`, `.xlsx`, `.pptx`) or ODF (`.odt`, `.ods`) document: a zip, but one
    /// document, not opened as a container; what it claims is read from its properties.
    Office,
    /// An OLE compound file (legacy `.doc`, `.xls`, `.ppt`, `.msg`): one document; what it
    /// claims is read from its summary information.
    Ole,
    /// A PDF: one document; what it claims is read from its information dictionary.
    Pdf,
    /// A symbolic or hard link member: recorded as a link, never followed.
    Link,
    /// Anything else: a document with no members.
    Opaque,
}

impl Kind {
    /// Whether `walk` looks for members inside things of this kind.
    pub fn is_container(self) -> bool {
        matches!(
            self,
            Kind::Zip | Kind::Tar | Kind::Gzip | Kind::Email | Kind::Mbox | Kind::SevenZip
        )
    }

    /// A short lowercase name (`zip`, `tar`, `gzip`, `7z`, `rar`, `email`, `mbox`, `office`,
    /// `ole`, `pdf`, `link`, `opaque`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Zip => "zip",
            Kind::Tar => "tar",
            Kind::Gzip => "gzip",
            Kind::SevenZip => "7z",
            Kind::Rar => "rar",
            Kind::Email => "email",
            Kind::Mbox => "mbox",
            Kind::Office => "office",
            Kind::Ole => "ole",
            Kind::Pdf => "pdf",
            Kind::Link => "link",
            Kind::Opaque => "opaque",
        }
    }
}

/// How many first bytes [`sniff`] wants to see (fewer at the end of a short member is fine).
pub const SNIFF_LEN: usize = 4096;

/// Tells the kind of a member from its first bytes (up to [`SNIFF_LEN`] are looked at).
pub fn sniff(head: &[u8]) -> Kind {
    if is_tar(head) {
        return Kind::Tar;
    }
    if head.starts_with(b"PK\x03\x04") && crate::claimed::office::sniff(head) {
        return Kind::Office;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    // A split archive's first segment starts with the spanning marker (APPNOTE 8.5.3).
    if head.starts_with(b"PK\x07\x08PK\x03\x04") {
        return Kind::Zip;
    }
    if head.len() >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8 {
        return Kind::Gzip;
    }
    if head.starts_with(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
        return Kind::SevenZip;
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return Kind::Rar;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Kind::Ole;
    }
    if head.starts_with(b"%PDF-") {
        return Kind::Pdf;
    }
    if let Some(rest) = head.strip_prefix(b"From ") {
        // RFC 4155: the separator line, then the first message's header fields.
        if let Some(nl) = rest.iter().position(|&b| b == b'\n')
            && is_email(&rest[nl + 1..])
        {
            return Kind::Mbox;
        }
        return Kind::Opaque;
    }
    if is_email(head) {
        return Kind::Email;
    }
    Kind::Opaque
}

/// A POSIX tar header block: `ustar` magic at 257, or (old V7 archives) a header whose
/// checksum field (offset 148, 8 octal bytes) equals the sum of the block's bytes with that
/// field counted as spaces.
fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    let block = &head[..512];
    if block[0] == 0 {
        return false; // no name: an end-of-archive block or not tar at all
    }
    let Some(stored) = octal(&block[148..156]) else {
        return false;
    };
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    sum == stored || (&block[257..262] == b"ustar" && signed_sum(block) == stored)
}

/// The historical checksum some writers computed over signed bytes.
fn signed_sum(block: &[u8]) -> u64 {
    let s: i64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    s as u64
}

/// An octal number padded with spaces or NULs, as tar header fields are.
fn octal(field: &[u8]) -> Option<u64> {
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|&b| b != 0 && b != b' ')
        .collect();
    if digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(&digits).ok()?, 8).ok()
}

/// Header fields a message almost always has (RFC 5322 3.6, RFC 2045 4, RFC 5321 4.4).
const KNOWN_FIELDS: &[&[u8]] = &[
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"received",
    b"return-path",
    b"mime-version",
    b"content-type",
    b"delivered-to",
    b"reply-to",
    b"sender",
];

/// RFC 5322 2.2: the message starts with header fields, `name:` where the name is printable
/// US-ASCII without `:`, or folded continuation lines. At least one well-known field must be
/// there, and two fields unless the header section ends within `head`.
fn is_email(head: &[u8]) -> bool {
    let mut fields = 0;
    let mut known = false;
    let mut lines = head.split(|&b| b == b'\n').peekable();
    let mut ended = false;
    while let Some(line) = lines.next() {
        if lines.peek().is_none() {
            // The last piece may be a line cut by the end of `head`: a first header line
            // longer than all of it (an unfolded To: of hundreds of addresses) still names
            // an email when its field is one emails have.
            if fields == 0 && head.len() >= SNIFF_LEN {
                let name = line.split(|&b| b == b':').next().unwrap_or_default();
                return line.contains(&b':')
                    && KNOWN_FIELDS.iter().any(|k| name.eq_ignore_ascii_case(k));
            }
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            ended = true;
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if fields == 0 {
                return false;
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || name.len() > 76 || !name.iter().all(|&b| (33..=126).contains(&b)) {
            return false;
        }
        fields += 1;
        known |= KNOWN_FIELDS.iter().any(|k| name.eq_ignore_ascii_case(k));
    }
    known && (fields >= 2 || (ended && fields >= 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by an attacker: an email whose first header line does not fit in the head
    /// was taken for a plain file, and its attachments never looked for.
    #[test]
    fn a_first_header_line_longer_than_the_head_is_an_email() {
        let mut long = b"To: ".to_vec();
        while long.len() < SNIFF_LEN + 100 {
            long.extend_from_slice(b"someone@example.com, ");
        }
        assert_eq!(sniff(&long[..SNIFF_LEN]), Kind::Email);
        let mut other = b"Totals: ".to_vec();
        other.resize(SNIFF_LEN, b'1');
        assert_ne!(sniff(&other), Kind::Email);
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(b"PK\x05\x06\0\0"), Kind::Zip);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Kind::Gzip);
        assert_eq!(sniff(b"7z\xbc\xaf\x27\x1c\0\x04"), Kind::SevenZip);
        assert_eq!(sniff(b"Rar!\x1a\x07\x01\0"), Kind::Rar);
        assert_eq!(sniff(b"%PDF-1.7\n"), Kind::Pdf);
        assert_eq!(sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0"), Kind::Ole);
        let mut ooxml = b"PK\x03\x04".to_vec();
        ooxml.resize(26, 0);
        ooxml.extend_from_slice(&[19, 0, 0, 0]);
        ooxml.extend_from_slice(b"[Content_Types].xml");
        assert_eq!(sniff(&ooxml), Kind::Office);
        ooxml[26] = 18; // a different name
        assert_eq!(sniff(&ooxml), Kind::Zip);
        assert_eq!(sniff(b"hello"), Kind::Opaque);
        assert_eq!(sniff(b""), Kind::Opaque);
    }

    #[test]
    fn email_and_mbox() {
        let mail = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
        assert_eq!(sniff(mail), Kind::Email);
        let mbox =
            b"From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nTo: b\n\nx\n";
        assert_eq!(sniff(mbox), Kind::Mbox);
        assert_eq!(sniff(b"From here on, prose.\nMore prose.\n"), Kind::Opaque);
        assert_eq!(
            sniff(b"Note: this is a text file\nwith lines\n"),
            Kind::Opaque
        );
        assert_eq!(sniff(b"Subject: only\n\nbody"), Kind::Email);
    }

    #[test]
    fn tar_by_checksum_and_magic() {
        let mut block = [0u8; 512];
        block[..5].copy_from_slice(b"a.txt");
        block[156] = b'0';
        block[148..156].copy_from_slice(b"        ");
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert_eq!(sniff(&block), Kind::Tar);
        block[148] = b'7'; // wrong checksum
        assert_eq!(sniff(&block), Kind::Opaque);
    }
}
