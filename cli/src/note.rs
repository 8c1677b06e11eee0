//! Notes: what a command tells beside its results (a clock far ahead, members not recorded,
//! a file written). For people, one escaped `prov: ...` line on stderr; with `--json`, one
//! JSON object `{"note": TEXT, "kind": KIND, ...}` with a stable `kind` and the note's facts
//! as fields. A command whose `--json` output is JSON Lines puts it in that stream on stdout,
//! beside its records; a command whose output is one JSON object keeps stdout to that object
//! and puts the note on stderr, where the error object, if any, comes last. `-q` silences
//! notes either way.

use crate::failure::Result;
use crate::output::{Out, stderr_line};
use serde_json::{Map, Value, json};
use std::io::Write;

/// What a note is about: the `kind` field of its JSON form. These names are stable; the
/// README's "`--json` for scripts" lists every one (a test checks that it does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `add`: the clock reads more than 30 days after the ledger's last entry.
    ClockAhead,
    /// `add`: the content index disagreed with the signed log and was rebuilt from it.
    IndexRebuilt,
    /// `add`, `reindex`: entries an interrupted append had signed in full were committed.
    RecoveredEntries,
    /// `add`, `reindex`: bytes an interrupted append left unfinished were cut.
    RecoveredBytes,
    /// `add`: members of containers were not recorded (a limit, damage, encryption).
    MembersNotRecorded,
    /// `add`: a container recorded before counts other members than this add found.
    ContainerRecounted,
    /// `add`, `claim`: the ledger moved to a newer format.
    FormatUpgraded,
    /// `add`: fields given now were not recorded for a document already recorded.
    FieldsNotRecorded,
    /// `add --cosign`: a witness cosigned the latest checkpoint.
    Cosigned,
    /// `add --timestamp`: a TSA timestamped the latest checkpoint.
    Timestamped,
    /// `prove`: the checkpoint used has no RFC 3161 timestamp, a later one has.
    NoTimestamp,
    /// `prove -o`, `consistency -o`: a file was written.
    Wrote,
    /// `check`: more entries link to the documents than are shown.
    LinksNotShown,
    /// `init --encrypt-key`: the signing key is encrypted.
    KeyEncrypted,
    /// `init --key-file`: the signing key is kept outside the ledger folder.
    KeyFile,
    /// `audit`: complete, signed entries lie after the last commit.
    PendingEntries,
    /// `audit`: unfinished bytes lie after the last commit.
    UncommittedBytes,
    /// `witnesses list`, `tsas list`, `timestamps`: there is nothing to list.
    Empty,
    /// `export --format sha256sum`: entries with no name are not listed.
    UnnamedNotListed,
    /// `witness serve`: an answer to a request.
    WitnessAnswer,
    /// `add --manifest`: a line names the manifest file itself and is not recorded.
    ManifestItself,
    /// `cosign`, `timestamp`: the witness or TSA is not listed in the ledger's
    /// configuration, so what it gave is stored but counts nowhere yet.
    NotTrusted,
    /// `check`: stored cosignatures or timestamps do not verify and do not count.
    UnverifiedEvidence,
    /// `check`: `witnesses.json` or `tsas.json` does not read; nothing of its kind counts.
    ConfigUnreadable,
    /// `archivist add`: the token printed is shown this once.
    ArchivistAdded,
    /// `similar`: the ledger has no fingerprint file.
    NoFingerprints,
    /// `similar`: records of the fingerprint file were not believed.
    FingerprintsNotBelieved,
}

impl Kind {
    /// Every kind, for the documentation test.
    #[cfg(test)]
    pub const ALL: [Kind; 27] = [
        Kind::ClockAhead,
        Kind::IndexRebuilt,
        Kind::RecoveredEntries,
        Kind::RecoveredBytes,
        Kind::MembersNotRecorded,
        Kind::ContainerRecounted,
        Kind::FormatUpgraded,
        Kind::FieldsNotRecorded,
        Kind::Cosigned,
        Kind::Timestamped,
        Kind::NoTimestamp,
        Kind::Wrote,
        Kind::LinksNotShown,
        Kind::KeyEncrypted,
        Kind::KeyFile,
        Kind::PendingEntries,
        Kind::UncommittedBytes,
        Kind::Empty,
        Kind::UnnamedNotListed,
        Kind::WitnessAnswer,
        Kind::ManifestItself,
        Kind::NotTrusted,
        Kind::UnverifiedEvidence,
        Kind::ConfigUnreadable,
        Kind::ArchivistAdded,
        Kind::NoFingerprints,
        Kind::FingerprintsNotBelieved,
    ];

    /// The `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ClockAhead => "clock_ahead",
            Kind::IndexRebuilt => "index_rebuilt",
            Kind::RecoveredEntries => "recovered_entries",
            Kind::RecoveredBytes => "recovered_bytes",
            Kind::MembersNotRecorded => "members_not_recorded",
            Kind::ContainerRecounted => "container_recounted",
            Kind::FormatUpgraded => "format_upgraded",
            Kind::FieldsNotRecorded => "fields_not_recorded",
            Kind::Cosigned => "cosigned",
            Kind::Timestamped => "timestamped",
            Kind::NoTimestamp => "no_timestamp",
            Kind::Wrote => "wrote",
            Kind::LinksNotShown => "links_not_shown",
            Kind::KeyEncrypted => "key_encrypted",
            Kind::KeyFile => "key_file",
            Kind::PendingEntries => "pending_entries",
            Kind::UncommittedBytes => "uncommitted_bytes",
            Kind::Empty => "empty",
            Kind::UnnamedNotListed => "unnamed_not_listed",
            Kind::WitnessAnswer => "witness_answer",
            Kind::ManifestItself => "manifest_itself",
            Kind::NotTrusted => "not_trusted",
            Kind::UnverifiedEvidence => "unverified_evidence",
            Kind::ConfigUnreadable => "config_unreadable",
            Kind::ArchivistAdded => "archivist_added",
            Kind::NoFingerprints => "no_fingerprints",
            Kind::FingerprintsNotBelieved => "fingerprints_not_believed",
        }
    }
}

/// The JSON form of a note: `note` (the whole text, exactly), `kind`, then `fields`.
pub fn note_json(kind: Kind, text: &str, fields: Value) -> Value {
    let mut m = Map::new();
    m.insert("note".into(), Value::String(text.to_owned()));
    m.insert("kind".into(), Value::String(kind.as_str().to_owned()));
    if let Value::Object(f) = fields {
        for (k, v) in f {
            m.entry(k).or_insert(v);
        }
    }
    Value::Object(m)
}

impl Out {
    /// A note with no facts beyond its text.
    ///
    /// # Errors
    /// Writing it in the stream on stdout failed (exit 5; a reader gone is a quiet stop).
    pub fn note(&self, kind: Kind, text: impl AsRef<str>) -> Result<()> {
        self.note_with(kind, text, json!({}))
    }

    /// A note, with its facts as `fields` of its JSON form.
    ///
    /// # Errors
    /// As [`Out::note`].
    pub fn note_with(&self, kind: Kind, text: impl AsRef<str>, fields: Value) -> Result<()> {
        if self.quiet {
            return Ok(());
        }
        if !self.json {
            stderr_line(text.as_ref());
            return Ok(());
        }
        let v = note_json(kind, text.as_ref(), fields);
        if self.stream {
            return self.json(&v);
        }
        // Stderr that cannot be written is ignored, as for every note and error.
        let _ = std::io::stderr()
            .lock()
            .write_all(format!("{v}\n").as_bytes());
        Ok(())
    }

    /// A file written in place of stdout (`-o FILE`): a note for people; with `--json`,
    /// the `wrote` note is the command's one object on stdout, even with `-q`, since it is
    /// all the command says.
    ///
    /// # Errors
    /// As [`Out::note`].
    pub fn wrote(&self, text: impl AsRef<str>, fields: Value) -> Result<()> {
        if self.json {
            return self.json(&note_json(Kind::Wrote, text.as_ref(), fields));
        }
        self.note_with(Kind::Wrote, text, fields)
    }

    /// Words around a result that its JSON form already says (`created ledger ...`): a
    /// note for people only.
    pub fn words(&self, text: impl AsRef<str>) {
        if !self.json && !self.quiet {
            stderr_line(text.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_its_text_its_kind_and_its_facts() {
        let v = note_json(
            Kind::Wrote,
            "wrote x",
            json!({"path": "x", "kind": "other"}),
        );
        assert_eq!(v, json!({"note": "wrote x", "kind": "wrote", "path": "x"}));
    }

    #[test]
    fn every_kind_is_listed_once_and_documented() {
        let readme = include_str!("../../README.md");
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.as_str()), "{k:?} twice");
            assert!(
                readme.contains(&format!("`{}`", k.as_str())),
                "README does not list the note kind `{}`",
                k.as_str()
            );
        }
    }
}
