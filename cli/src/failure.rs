//! How `prov` fails: one line on stderr and a distinct exit code per class.

use std::fmt;

/// A negative answer: unknown document, a proof or audit that does not hold.
pub const NEGATIVE: u8 = 1;
/// Wrong usage of the command line.
pub const USAGE: u8 = 2;
/// Bad input: a missing or unreadable path, a malformed proof, checkpoint or key.
pub const INPUT: u8 = 3;
/// The ledger is unavailable: missing, in use, damaged.
pub const LEDGER: u8 = 4;
/// The environment: the output cannot be written, or the system clock is unusable. What was
/// reported as recorded stays recorded.
pub const ENVIRONMENT: u8 = 5;

/// The signing key is encrypted and its passphrase is wrong or missing: nothing was written.
pub const KEY_LOCKED: u8 = 6;

/// `prove --key`: the proof made or received (from a ledger server) does not verify against
/// the verifier key given: nothing was written.
pub const UNVERIFIED: u8 = 7;

/// An entry number the ledger does not hold (`show`, `prove`, `similar`, `claim`, also
/// through a server): its own code, since 1 is also `similar`'s "no look-alike".
pub const NO_ENTRY: u8 = 8;

/// Every exit code and what it means: `prov help exit-codes` prints this table, and the
/// README's table says the same (a test compares them).
pub const EXIT_CODES: [(u8, &str); 9] = [
    (0, "success"),
    (
        NEGATIVE,
        "a negative answer: unknown document, a proof or audit that does not hold",
    ),
    (USAGE, "usage error"),
    (
        INPUT,
        "bad input: a missing or unreadable path, a malformed proof, checkpoint or key",
    ),
    (
        LEDGER,
        "ledger unavailable: missing, in use by another process, damaged",
    ),
    (
        ENVIRONMENT,
        "environment: the output cannot be written, or the system clock is unusable (what was reported as recorded stays recorded)",
    ),
    (
        KEY_LOCKED,
        "the signing key is encrypted and the passphrase given is wrong, or none was given",
    ),
    (
        UNVERIFIED,
        "prove: the proof (a ledger server's answer) does not verify against the --key given; nothing was written",
    ),
    (
        NO_ENTRY,
        "no entry of the number given: the ledger holds fewer entries (nothing was written)",
    ),
];

/// A failed command: its exit code and the one line that says what to do.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub msg: String,
}

impl Failure {
    pub fn negative(msg: impl Into<String>) -> Self {
        Self {
            code: NEGATIVE,
            msg: msg.into(),
        }
    }
    pub fn usage(msg: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            msg: msg.into(),
        }
    }
    pub fn input(msg: impl Into<String>) -> Self {
        Self {
            code: INPUT,
            msg: msg.into(),
        }
    }
    pub fn ledger(msg: impl Into<String>) -> Self {
        Self {
            code: LEDGER,
            msg: msg.into(),
        }
    }
    pub fn environment(msg: impl Into<String>) -> Self {
        Self {
            code: ENVIRONMENT,
            msg: msg.into(),
        }
    }
    pub fn unverified(msg: impl Into<String>) -> Self {
        Self {
            code: UNVERIFIED,
            msg: msg.into(),
        }
    }
    pub fn no_entry(msg: impl Into<String>) -> Self {
        Self {
            code: NO_ENTRY,
            msg: msg.into(),
        }
    }

    /// Whether this is a reader that went away: the command ends quietly with success.
    pub fn is_quiet_stop(&self) -> bool {
        self.code == 0
    }

    /// An error reading a document the user named (not the ledger's own files).
    pub fn from_document(e: prov_ledger::Error) -> Self {
        match e {
            prov_ledger::Error::Io { .. } => {
                Self::input(format!("{e}: check the path and its permissions"))
            }
            e => Self::input(e.to_string()),
        }
    }

    /// A proof, note or checkpoint that does not parse.
    pub fn malformed(what: &str, e: impl fmt::Display) -> Self {
        Self::input(format!("{what} is malformed: {e}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

/// A failure of a command that writes into a folder the user named (`publish DIR`,
/// `export --audit-bundle DIR`): a refusal of that folder is bad input (3); an I/O error on
/// the way to it or under it is the output's (5), with `then` said after the fix; anything
/// else is the ledger's.
pub fn output_dir_failure(e: prov_ledger::Error, dir: &std::path::Path, then: &str) -> Failure {
    use prov_ledger::Error as E;
    match e {
        e @ (E::PublishRefused { .. } | E::BundleRefused { .. }) => Failure::input(e.to_string()),
        // Under the folder, or the folder itself or one on the way to it.
        E::Io { op, path, source } if path.starts_with(dir) || dir.starts_with(&path) => {
            Failure::environment(format!(
                "cannot {op} {}: {source}: check that {} is a folder you can write to{then} (the ledger is unchanged)",
                prov_report::escape::path(&path),
                prov_report::escape::path(dir)
            ))
        }
        e => Failure::from(e),
    }
}

impl From<prov_ledger::Error> for Failure {
    fn from(e: prov_ledger::Error) -> Self {
        use prov_ledger::Error as E;
        // An append cut back before its commit point: the cause decides the message, and
        // nothing of the batch was recorded.
        if let E::NotRecorded { source } = e {
            let inner = Failure::from(*source);
            let advice = if inner.msg.contains("run the same command again") {
                ""
            } else {
                "; check the disk, then run the same command again"
            };
            return Failure {
                code: inner.code,
                msg: format!(
                    "{}; nothing of this batch was recorded (what was reported before is kept){advice}",
                    inner.msg.trim_end_matches('.')
                ),
            };
        }
        if let E::ClockBehind { .. }
        | E::ClockBeforeEpoch { .. }
        | E::ClockBeforeCosignature { .. }
        | E::ClockBeforeTimestamp { .. } = e
        {
            return Failure::environment(e.to_string());
        }
        if let E::Io { op, path, source } = &e
            && matches!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            )
        {
            return Failure::ledger(format!(
                "cannot {op} {}: permission denied ({source}): check the owner and permissions of the ledger folder and its files",
                path.display()
            ));
        }
        let code = match &e {
            E::NoSuchEntry { .. } => NO_ENTRY,
            E::NotInCheckpoint { .. } | E::TokenRefused { .. } => NEGATIVE,
            E::KeyPassphraseNeeded { .. } | E::KeyPassphraseWrong { .. } => KEY_LOCKED,
            E::AlreadyExists(_)
            | E::Invalid { .. }
            | E::SizeMismatch { .. }
            | E::FileChanged(_)
            | E::Decode(_)
            | E::NoSuchCheckpoint(_)
            | E::Proof(_)
            | E::Path { .. }
            | E::NotHashed { .. }
            | E::StreamUnreadable { .. }
            | E::EmptyStream { .. }
            | E::ManifestUnreadable { .. }
            | E::ManifestLine { .. }
            | E::ManifestOxum { .. }
            | E::ManifestBagInfo { .. }
            | E::ManifestChanged { .. }
            | E::TokenMalformed { .. } => INPUT,
            _ => LEDGER,
        };
        let disk_full = |io: &std::io::Error| {
            io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28)
        };
        let full = match &e {
            E::Io { source, .. } => disk_full(source),
            _ => false,
        };
        if full {
            let msg = format!(
                "{}: the disk is full; free space and run the same command again (what was reported as recorded is kept)",
                e.to_string()
                    .split(": run `prov reindex`")
                    .next()
                    .unwrap_or_default()
            );
            return Failure { code, msg };
        }
        Failure {
            code,
            msg: e.to_string(),
        }
    }
}

/// Writing to stdout failed. A reader that went away (`prov log | head`) is not an error:
/// code 0 ends the command quietly. Any other write error (a full disk, `> /dev/full`) is
/// the environment's (exit 5).
impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure {
                code: 0,
                msg: String::new(),
            };
        }
        Failure::environment(format!(
            "cannot write output: {e}: check where the output goes (a full disk?)"
        ))
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_behind_the_ledger_is_the_environment_and_names_both_times() {
        let f = Failure::from(prov_ledger::Error::ClockBehind {
            clock_ms: 1_767_225_600_000,
            ledger_ms: 1_767_312_000_000,
        });
        assert_eq!(f.code, ENVIRONMENT);
        assert!(f.msg.contains("2026-01-01T00:00:00.000Z"), "{}", f.msg);
        assert!(f.msg.contains("2026-01-02T00:00:00.000Z"), "{}", f.msg);
        assert!(f.msg.contains("nothing was recorded"), "{}", f.msg);
    }

    #[test]
    fn output_errors_are_the_environment_and_a_gone_reader_is_a_quiet_stop() {
        let full = std::io::Error::from_raw_os_error(28);
        assert_eq!(Failure::from(full).code, ENVIRONMENT);
        let gone = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(Failure::from(gone).is_quiet_stop());
    }
}
