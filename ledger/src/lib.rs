//! The `prov` ledger: signed, hash-chained entries recording when the ledger first saw each
//! document and from where, kept in a crash-safe append-only log, indexed by content, and
//! committed to by an RFC 6962 Merkle tree whose heads are C2SP signed checkpoints.
//!
//! The byte-exact formats are specified in `docs/FORMAT.md`; the proof math and note formats
//! come from the `prov-proofs` crate. Nothing here prints or exits.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ahead;
mod append;
mod audit;
mod audit_evidence;
mod audit_rules;
mod audit_sigs;
mod audit_tiles;
mod bundle;
mod by_content;
mod claim;
mod claim_story;
mod clock_bound;
mod commit;
mod config_file;
mod content_run;
mod cosigned;
mod decide;
mod derived;
mod digest;
mod durable;
mod encoding;
mod entry;
mod entry_rules;
mod error;
mod evidence;
mod extract;
mod fingerprints;
mod fsys;
mod index;
mod index_check;
mod ingest;
mod init;
mod json_forms;
mod keys;
mod ledger;
mod link_index;
mod location;
mod log;
mod lookalikes;
mod lookup;
mod manifest;
mod manifest_jsonl;
mod manifest_lines;
mod members;
mod offsets;
mod prepared;
mod print_index;
mod prints;
mod proof_check;
mod prove;
mod publish;
mod queue;
mod recovery;
mod sent_file;
mod similar;
mod tiles;
mod timestamps;
mod tsa_config;
mod tsa_token;
mod tsa_verify;
mod walk;
mod witnesses;
mod writer;

pub use append::{AppendReport, CLOCK_TOLERANCE_MS, FirstSeen, NewDocument, Recorded, Status};
pub use audit::{AuditReport, Fault, audit, audit_with};
pub use audit_evidence::AuditTrust;
pub use bundle::{AuditBundle, BUNDLE_FILES};
pub use claim::{CLAIM_REASON, ClaimStatus, EVIDENCE, NewClaim, Verdict};
pub use claim_story::{ABOUT, Link, MAX_LINKING, Story};
pub use cosigned::COSIGNATURES_DIR;
pub use digest::{
    FileDigest, FileId, WalkedFile, hash_file, hash_files, hash_reader, hash_walked, open_document,
};
pub use entry::{Content, ENTRY_VERSION, Entry, Kind, Related, SIGNING_DOMAIN};
pub use entry_rules::{MAX_ENTRY_BYTES, MAX_NAME, check_recorded_text, is_display_control};
pub use error::{Error, LineProblem, PathProblem, Result};
pub use evidence::{Evidence, IndependentBound, Trust, Unverified};
pub use fingerprints::{
    FILE as FINGERPRINTS_FILE, Loaded as LoadedFingerprints, Print, PrintKind,
    load as load_fingerprints,
};
pub use fsys::{FaultHook, Injected, Step, read_small, replace_durably};
pub use ingest::{
    DEFAULT_BATCH, Documents, Fields, Ingested, Options, Report, Summary, system_time_ms,
};
pub use json_forms::{
    consistency_from_json, consistency_to_json, decoded_entry, inclusion_from_json,
    inclusion_to_json,
};
pub use keys::Passphrase;
pub use ledger::{CLAIMS_FORMAT, FORMAT_VERSION, Ledger, OLDEST_FORMAT};
pub use link_index::LinkIndex;
pub use location::{CONTAINED_IN, PART_KEY};
pub use log::{LOG_MAGIC, RECORD_CHECKPOINT, RECORD_ENTRY, encode_frame};
pub use manifest::{Line, LineFields, Lines, Manifest, ManifestFormat, parse_sha256};
pub use members::is_claim;
pub use prepared::{PlannedDocument, Prepared};
pub use proof_check::{VerifiedEntry, verify_tlog_proof};
pub use prov_ingest::Limits;
pub use prov_ingest::{Fingerprints, Tlsh};
pub use publish::PublishReport;
pub use sent_file::SentFile;
pub use similar::{
    DEFAULT_THRESHOLD, Lookalike, Resemblance, SIMILAR_BY, SIMILAR_DISTANCE, SIMILAR_TO,
    SimilarLink, SimilarReport, Similarity, TLSH_BYTES, TLSH_TEXT, Target, fingerprint_file,
};
pub use timestamps::{HeldTimestamp, TIMESTAMPS_DIR, TSAS_FILE, TsaConfig, checkpoint_imprint};
pub use tsa_config::{check_tsa_url, parse_tsa_cert};
pub use tsa_token::{
    MAX_TOKEN_BYTES, TokenFacts, read_token, timestamp_nonce, timestamp_request, token_from_reply,
};
pub use tsa_verify::verify_token;
pub use walk::{Skip, Walked, walk};
pub use witnesses::{WITNESSES_FILE, WitnessConfig, check_witness_url};
