//! The one error type of the ledger crate.

use std::path::PathBuf;

/// Everything that can go wrong with a ledger. Each message names the thing and, where the
/// user can act, says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "create", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No ledger at this path.
    #[error("no ledger at {}: create one with `prov init` or point --ledger at an existing one", .0.display())]
    Missing(PathBuf),
    /// The directory exists but is not a ledger.
    #[error("{} is not a prov ledger (no ledger.json): check --ledger", .0.display())]
    NotALedger(PathBuf),
    /// `init` on a directory that already holds a ledger.
    #[error("{} already holds a ledger: choose another directory", .0.display())]
    AlreadyExists(PathBuf),
    /// Another process holds the ledger.
    #[error("ledger {} is in use by another prov process: wait for it to finish and try again", .0.display())]
    InUse(PathBuf),
    /// The ledger was written by a newer `prov`.
    #[error(
        "ledger format version {found} is newer than this prov supports ({supported}): upgrade prov"
    )]
    NewerFormat {
        /// Version found.
        found: u32,
        /// Highest version supported.
        supported: u32,
    },
    /// The ledger's files are damaged or inconsistent.
    #[error("ledger damaged: {reason} (in {}{}): run `prov audit` to locate the fault and restore from a backup", path.display(), offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Byte offset in that file, where known.
        offset: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// The fingerprint file (FORMAT.md 7.6) is not one: it is not signed and cannot be
    /// rebuilt from the log, so it is never changed or replaced by `prov` itself.
    #[error("{} is not a fingerprint file (its first 8 bytes are not PROVFPR 1): move it aside (the log is not affected; `prov similar` then finds only documents added after)", path.display())]
    FingerprintsDamaged {
        /// The file.
        path: PathBuf,
    },
    /// The ledger folder holds no signing key and none was named.
    #[error("no signing key: {} has no key.pem: pass --key-file PATH, or set PROV_KEY_FILE, to where this ledger's key is kept", dir.display())]
    KeyMissing {
        /// The ledger folder.
        dir: PathBuf,
    },
    /// The signing key file is readable by others.
    #[error("key file {} is readable by others (mode {mode:o}): run `chmod 600 {}`", path.display(), path.display())]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The signing key's path is a link, FIFO, device or folder: a key is read only from a
    /// regular file, never through a link (which another user could point elsewhere).
    #[error("key file {} is {what}: the signing key is read only from a regular file, never through a link: give the key file's real path", path.display())]
    KeyNotRegular {
        /// The key file's path.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// The signing key file is not a usable Ed25519 PKCS#8 PEM key.
    #[error("key file {} is not an Ed25519 PKCS#8 PEM private key: {reason}", path.display())]
    KeyInvalid {
        /// The key file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key file is encrypted and no passphrase was given.
    #[error("key file {} is encrypted: give its passphrase in PROV_KEY_PASSPHRASE, or in a file named by --passphrase-file, or run the command on a terminal to be asked for it", path.display())]
    KeyPassphraseNeeded {
        /// The key file.
        path: PathBuf,
    },
    /// The passphrase given does not decrypt the key file.
    #[error("the passphrase does not decrypt key file {}: check it and try again (nothing was written; a lost passphrase cannot be recovered, see README \"The signing key\")", path.display())]
    KeyPassphraseWrong {
        /// The key file.
        path: PathBuf,
    },
    /// The key file does not match the key the ledger was created with.
    #[error("key file {} has key ID {found:08x}, but the ledger was created with key ID {want:08x}", path.display())]
    KeyMismatch {
        /// The key file.
        path: PathBuf,
        /// Key ID of the file's key.
        found: u32,
        /// Key ID recorded in the ledger.
        want: u32,
    },
    /// A document or field the ledger refuses to record.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Known content given with a size other than the one it was first seen with: the same
    /// SHA-256 with another size is not the same document, so no sighting records it.
    #[error(
        "SHA-256 {} was first recorded as {} (entry {first}), not {given}: a sighting must have the first-seen size; check the size given (--size or the manifest line); nothing of this batch was recorded",
        hex(sha256), count(*recorded, "byte", "bytes")
    )]
    SizeMismatch {
        /// The content's SHA-256.
        sha256: [u8; 32],
        /// Its first-seen entry.
        first: u64,
        /// The size that entry records.
        recorded: u64,
        /// The size given now.
        given: u64,
    },
    /// An inclusion proof without the entry (no `extra` line): there is nothing to verify.
    #[error(
        "the proof carries no entry (no extra line): ask the archive for the proof `prov prove` writes"
    )]
    ProofWithoutEntry,
    /// The entry a proof includes does not decode, though the ledger's checkpoint commits
    /// to it.
    #[error("the proven entry does not decode: {0}")]
    ProvenEntryMalformed(String),
    /// The entry a proof includes says it is another entry than the leaf it is proven at.
    #[error("the proven entry says it is entry {seq}, but sits at index {index}")]
    EntryNotAtIndex {
        /// The entry's own seq.
        seq: u64,
        /// The leaf index the proof gives.
        index: u64,
    },
    /// The entry a proof includes is signed under another key ID than the given key's.
    #[error("the entry is signed by key ID {entry:08x}, not by the given key {key:08x}")]
    EntryKeyId {
        /// The entry's key ID.
        entry: u32,
        /// The given key's.
        key: u32,
    },
    /// The entry a proof includes has a signature that does not verify strictly.
    #[error("entry {seq}'s own signature does not verify")]
    EntrySignature {
        /// The entry.
        seq: u64,
    },
    /// The given document's SHA-256 is not the one the proven entry records.
    #[error(
        "the document has SHA-256 {}, but the proven entry records {}: it is not the recorded document",
        hex(document),
        hex(entry)
    )]
    DocumentHash {
        /// The document's SHA-256.
        document: [u8; 32],
        /// The entry's.
        entry: [u8; 32],
    },
    /// The given document has the recorded SHA-256 but another size than the entry records.
    #[error(
        "the document is {}, but the proven entry records {entry}: it is not the recorded document", count(*document, "byte", "bytes")
    )]
    DocumentSize {
        /// The document's size.
        document: u64,
        /// The entry's.
        entry: u64,
    },
    /// Entry bytes that do not decode under the strict rules of FORMAT.md section 6.
    #[error("malformed entry: {0}")]
    Decode(String),
    /// A file changed while it was being hashed.
    #[error("{} changed while it was being hashed: add it again once it is no longer being written", .0.display())]
    FileChanged(PathBuf),
    /// A sequence number beyond the ledger.
    #[error("no entry {seq}: the ledger has {}", count(*size, "entry", "entries"))]
    NoSuchEntry {
        /// The sequence number asked for.
        seq: u64,
        /// The ledger's size.
        size: u64,
    },
    /// An entry the ledger holds, but not the checkpoint a proof was asked at.
    #[error(
        "entry {seq} is not in the checkpoint of size {checkpoint} (the ledger has {}): prove it at a later size, or without --at", count(*ledger, "entry", "entries")
    )]
    NotInCheckpoint {
        /// The entry asked for.
        seq: u64,
        /// The checkpoint's size.
        checkpoint: u64,
        /// The ledger's size.
        ledger: u64,
    },
    /// A tree size for which no checkpoint was issued.
    #[error(
        "no checkpoint was issued at size {0}: use the size of a checkpoint you saved (its second line), or the latest (`prov checkpoint`)"
    )]
    NoSuchCheckpoint(u64),
    /// The system clock is behind the ledger's last recorded time: appending would either
    /// stamp entries with a time the clock never showed or make time run backwards.
    #[error(
        "the system clock says {}, but the ledger's last entry was recorded at {}; nothing was recorded: if the clock is wrong, fix it and run the command again; if that entry's time is the wrong one (stamped by a clock set ahead), `prov add --clamp-time` records new entries at that time instead",
        fmt_ms(*clock_ms), fmt_ms(*ledger_ms)
    )]
    ClockBehind {
        /// What the clock said, ms since the Unix epoch.
        clock_ms: u64,
        /// The last recorded time, ms since the Unix epoch.
        ledger_ms: u64,
    },
    /// A batch was committed (`COMMIT` names it) but the final fsync of the ledger folder
    /// failed: the entries are recorded and will be kept, yet a power loss before the folder
    /// is synced could lose the commit.
    #[error("entries up to {size} were committed, but {} could not be synced ({reason}): they are recorded, yet may not survive a power loss; check the disk, then run `prov audit`", dir.display())]
    NotDurable {
        /// The committed ledger size.
        size: u64,
        /// The ledger folder.
        dir: PathBuf,
        /// The error.
        reason: String,
    },
    /// Renaming `COMMIT.tmp` over `COMMIT` failed and `COMMIT` could not be read back, so
    /// whether the batch was committed is unknown. Nothing was cut: the next writer rolls a
    /// complete batch forward, so either way nothing reported is lost.
    #[error("cannot tell whether the batch was committed: replacing {} failed ({reason}) and it could not be read back; nothing was cut, the next `prov add` completes the batch; run `prov audit` once the disk is healthy", dir.join("COMMIT").display())]
    CommitUncertain {
        /// The ledger folder.
        dir: PathBuf,
        /// The error.
        reason: String,
    },
    /// Records past `COMMIT` that no crash leaves (they do not continue the log, or damage
    /// hides signed records): the ledger is refused and nothing is changed.
    #[error("{}, past its committed end ({committed} bytes), at byte {offset}: {what}; no crash of prov leaves this (a power cut during an append that was never reported can, and so can a COMMIT restored from an older copy); nothing was changed: keep a copy of the file, then restore the ledger from a backup or, if no entry past byte {committed} was ever reported, cut the log there (truncate -s {committed} {}) and run `prov audit`", path.display(), path.display())]
    UnexpectedTail {
        /// The log.
        path: PathBuf,
        /// The committed length.
        committed: u64,
        /// Where the unexpected record starts.
        offset: u64,
        /// What was found.
        what: String,
    },
    /// The content index's folder is something other than a real folder (a link, a file):
    /// refused, never followed.
    #[error("{}: {reason} (refused, not followed): run `prov reindex` to replace the index with one rebuilt from the log", path.display())]
    IndexRefused {
        /// What was found.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// An append failed before its commit point: the batch was cut back, nothing of it is
    /// recorded, and everything reported before is kept.
    #[error(
        "{source}: nothing of this batch was recorded (what was reported before is kept); check the disk, then run the same command again"
    )]
    NotRecorded {
        /// What failed.
        source: Box<Error>,
    },
    /// The derived index gave an answer that the signed log contradicts.
    #[error(
        "the ledger's index disagrees with its signed log ({reason}): run `prov reindex` to rebuild it from the log"
    )]
    IndexDisagrees {
        /// What disagreed.
        reason: String,
    },
    /// A Merkle tile or the offsets file (derived from the log) disagrees with the signed
    /// log, or is missing.
    #[error(
        "the ledger's tiles or offsets disagree with its signed log ({}: {reason}): run `prov reindex` to rebuild them from the log", .path.display()
    )]
    TilesDisagree {
        /// The file.
        path: PathBuf,
        /// What disagreed.
        reason: String,
    },
    /// `prov publish` into a folder that holds another tree.
    #[error(
        "{} holds {reason}: publish into an empty folder, or into the one this ledger published to before", .dir.display()
    )]
    PublishRefused {
        /// The folder.
        dir: PathBuf,
        /// What it holds.
        reason: String,
    },
    /// `prov export --audit-bundle` into a folder it must not write into.
    #[error(
        "{} {reason}: give a new or empty folder outside the ledger for the audit bundle", .dir.display()
    )]
    BundleRefused {
        /// The folder.
        dir: PathBuf,
        /// Why: the ledger folder itself, inside it, not empty, not a folder.
        reason: String,
    },
    /// A proof or note error from the proofs crate.
    #[error(transparent)]
    Proof(#[from] prov_proofs::Error),
    /// A path given to a walk that cannot be recorded (missing, unreadable, empty, not a file
    /// or folder, inside the ledger): nothing was recorded.
    #[error("{}", problem.describe(path))]
    Path {
        /// The path, as given or as found inside a folder.
        path: PathBuf,
        /// What is wrong with it.
        problem: PathProblem,
    },
    /// A document of an ingest could not be hashed (it became unreadable, or changed or was
    /// replaced since the walk): its batch was not recorded, the batches before it were.
    #[error("{source}{}{}", if matches!(**source, Error::Io { .. }) { ": check the path and its permissions" } else { "" }, recorded_before(*recorded))]
    NotHashed {
        /// Why it could not be hashed: [`Error::Io`], [`Error::Invalid`] or
        /// [`Error::FileChanged`].
        source: Box<Error>,
        /// How many documents of the same ingest were recorded before it.
        recorded: u64,
    },
    /// A document given as a stream (stdin, an upload) could not be read.
    #[error("cannot read {what}: {source}")]
    StreamUnreadable {
        /// How the stream is named: `stdin`.
        what: String,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// A document given as a stream has no bytes.
    #[error("{what} is empty: an empty document has no content to record")]
    EmptyStream {
        /// How the stream is named: `stdin`.
        what: String,
    },
    /// A manifest that cannot be read (or spooled to a temporary file).
    #[error("cannot read manifest {shown}: {source}: check the path")]
    ManifestUnreadable {
        /// How the manifest is named: its path, or `stdin`.
        shown: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A manifest line that is malformed or describes a document the ledger refuses: nothing
    /// was recorded.
    #[error("{shown}:{line}: {problem}")]
    ManifestLine {
        /// How the manifest is named: its path, or `stdin`.
        shown: String,
        /// The line number, from 1.
        line: u64,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// A BagIt manifest whose lines do not add up to its bag's `Payload-Oxum`.
    #[error("{shown}: bag-info.txt's Payload-Oxum says {} in {}, but the manifest lists {} in {}: check that the bag is complete (bagit.py --validate)", count(declared.0, "byte", "bytes"), count(declared.1, "file", "files"), count(found.0, "byte", "bytes"), count(found.1, "file", "files"))]
    ManifestOxum {
        /// How the manifest is named.
        shown: String,
        /// The bytes and files the bag declares.
        declared: (u64, u64),
        /// The bytes and files its manifest lists.
        found: (u64, u64),
    },
    /// A BagIt bag whose `bag-info.txt` gives a `Payload-Oxum` that cannot be read, or
    /// several that differ: what the bag declares is unknown, so it is refused whole.
    #[error("{}: {why}: the bag is not valid; check where it came from (bagit.py --validate)", path.display())]
    ManifestBagInfo {
        /// The `bag-info.txt`.
        path: PathBuf,
        /// What is wrong with its `Payload-Oxum`.
        why: String,
    },
    /// A manifest that changed between its check and its recording.
    #[error(
        "manifest {shown} changed while it was being read: write it completely, then add it again"
    )]
    ManifestChanged {
        /// How the manifest is named: its path, or `stdin`.
        shown: String,
    },
    /// The system clock reads a time before the Unix epoch: no time it gives can be recorded.
    #[error(
        "the system clock reads {seconds} s before 1970-01-01: set the clock (NTP, `timedatectl`) and run the command again"
    )]
    ClockBeforeEpoch {
        /// How far before 1970-01-01 it reads, in seconds.
        seconds: u64,
    },
    /// The system clock reads earlier than a witness's cosignature the ledger holds: entries
    /// recorded now would carry a time before one a witness already vouched for.
    #[error(
        "the system clock says {}, earlier than the cosignature by witness {witness} of checkpoint size {size} at {} that the ledger holds; nothing was recorded: fix the clock and run the command again",
        fmt_ms(*clock_ms), fmt_ms(*cosigned_ms)
    )]
    ClockBeforeCosignature {
        /// What the clock said, ms since the Unix epoch.
        clock_ms: u64,
        /// The cosignature's time, ms since the Unix epoch.
        cosigned_ms: u64,
        /// The witness's name.
        witness: String,
        /// The size of the checkpoint it cosigned.
        size: u64,
    },
    /// The system clock reads earlier than the genTime of a TSA's timestamp token the ledger
    /// holds (RFC 3161): entries recorded now would carry a time before one a TSA vouched for.
    #[error(
        "the system clock says {}, earlier than the timestamp of checkpoint size {size} by {tsa} at {} that the ledger holds; nothing was recorded: fix the clock and run the command again",
        fmt_ms(*clock_ms), fmt_ms(*stamped_ms)
    )]
    ClockBeforeTimestamp {
        /// What the clock said, ms since the Unix epoch.
        clock_ms: u64,
        /// The token's genTime, ms since the Unix epoch.
        stamped_ms: u64,
        /// The TSA, as its certificate names it.
        tsa: String,
        /// The size of the checkpoint it timestamps.
        size: u64,
    },
    /// An RFC 3161 timestamp token or reply that does not parse.
    #[error("the timestamp token is malformed: {reason}")]
    TokenMalformed {
        /// What is wrong with it.
        reason: String,
    },
    /// An RFC 3161 timestamp token that does not verify, or a reply that grants none.
    #[error("the timestamp token does not hold: {reason}")]
    TokenRefused {
        /// The first check that failed.
        reason: String,
    },
}

/// What is wrong with a path given to a walk (see [`Error::Path`]).
#[derive(Debug)]
pub enum PathProblem {
    /// It does not exist.
    Missing,
    /// Reading it is not permitted.
    PermissionDenied,
    /// It is a symlink that leads back to itself.
    SymlinkLoop,
    /// Another error reading it.
    Unreadable(std::io::Error),
    /// A folder whose entries cannot be listed.
    FolderUnreadable(std::io::Error),
    /// It lies inside the ledger's own folder (or is one of its files).
    InsideLedger,
    /// A file with no bytes, named on the command line.
    Empty,
    /// It was a regular file when looked at, and no longer when opened.
    ChangedWhileListed,
    /// Neither a regular file nor a folder: a FIFO, socket or device.
    NotFileOrFolder,
}

impl PathProblem {
    /// The one-line message for `path`: what is wrong, and what to do.
    fn describe(&self, path: &std::path::Path) -> String {
        let p = path.display();
        match self {
            PathProblem::Missing => format!("{p} does not exist: check the path"),
            PathProblem::PermissionDenied => {
                format!("{p} is not readable (permission denied): check its permissions")
            }
            PathProblem::SymlinkLoop => format!("{p} is a symlink loop: point at the real file"),
            PathProblem::Unreadable(e) => format!("cannot read {p}: {e}"),
            PathProblem::FolderUnreadable(e) => {
                format!(
                    "cannot read folder {p}: {}: check its permissions",
                    e.kind()
                )
            }
            PathProblem::InsideLedger => format!(
                "{p} is inside the ledger's own folder: its files (the key, the log, the index) are not documents; give other paths"
            ),
            PathProblem::Empty => format!("{p} is empty: an empty file has no content to record"),
            PathProblem::ChangedWhileListed => {
                format!("{p} changed while it was listed: give it again")
            }
            PathProblem::NotFileOrFolder => format!(
                "{p} is not a regular file or folder (a FIFO, socket or device): give files or folders"
            ),
        }
    }
}

/// What is wrong with a manifest line (see [`Error::ManifestLine`]).
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    /// Not a line of the manifest's format.
    #[error("expected {expected}")]
    Malformed {
        /// What a line of the format looks like.
        expected: &'static str,
    },
    /// A JSON Lines line that is not a manifest object.
    #[error("not a manifest line: {0}")]
    Json(String),
    /// The line gives no size, and there is no file to read it from.
    #[error("no size: the line gives none and {} is not there to measure; put the file there, or give each size: as `\"size\": BYTES` in a JSON Lines manifest, or as `<sha256 hex> <size> <name>` lines (prov's own form)", path.display())]
    NoSize {
        /// Where the file was looked for.
        path: PathBuf,
        /// The manifest's format.
        format: &'static str,
    },
    /// The file whose size the line needs cannot be measured.
    #[error("cannot read the size of {}: {source}: check the path", path.display())]
    Unmeasurable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Longer than any valid line; it is not read whole.
    #[error(
        "the line is longer than {max_line} bytes, the most a line of this manifest may be (a name is at most {} bytes; a JSON Lines line, metadata and all, at most 1 MiB): check that the manifest is a hash list",
        crate::MAX_NAME
    )]
    TooLong {
        /// The longest line accepted, in bytes.
        max_line: usize,
    },
    /// The line could not be read.
    #[error("cannot read: {0}")]
    Unreadable(std::io::Error),
    /// The document it describes breaks one of the ledger's field rules.
    #[error("{0}")]
    Refused(Box<Error>),
    /// A link to an entry the ledger does not hold (yet): a manifest's lines link only to
    /// entries recorded before it.
    #[error(
        "it links to entry {seq}, which the ledger does not hold (it holds {}): link to an entry recorded before this add (`prov log` lists them)",
        count(*size, "entry", "entries")
    )]
    NoSuchEntry {
        /// The entry linked to.
        seq: u64,
        /// The ledger's size when the manifest was checked.
        size: u64,
    },
    /// A BagIt payload path with a `..` component: it leaves the bag's `data/` folder.
    #[error(
        "the path leaves the bag's data/ folder (a `..` in it), which RFC 8493 forbids: the bag is not valid; check where it came from (bagit.py --validate)"
    )]
    OutsideBag,
}

fn recorded_before(recorded: u64) -> String {
    if recorded == 0 {
        return String::new();
    }
    format!(
        " ({} before it {} recorded; run the same command again to complete)",
        count(recorded, "document", "documents"),
        if recorded == 1 { "is" } else { "are" }
    )
}

/// A count with its noun: `1 entry`, `2 entries`.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Error {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Formats ms since the Unix epoch as RFC 3339 UTC (clamped to RFC 3339's range).
pub(crate) fn fmt_ms(ms: u64) -> String {
    const MAX_MS: u64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.min(MAX_MS));
    humantime::format_rfc3339_millis(t).to_string()
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
