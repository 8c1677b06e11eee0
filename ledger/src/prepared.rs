//! Uploads prepared apart from the writer, recorded together: a front end that takes
//! documents from many clients at once (the ledger server) hashes and looks into each one
//! on its own thread, with no lock and nothing written ([`Prepared`]), and its one writer
//! then records every upload waiting in one commit ([`Documents::Prepared`]: one fsync, one
//! signed checkpoint for all of them).
//!
//! [`Documents::Prepared`]: crate::Documents::Prepared

use crate::digest::FileDigest;
use crate::error::{Error, Result};
use crate::ingest::Fields;
use crate::members::{self, Planned};

/// One upload planned as documents (the document itself, then every member found in it,
/// each linked to its container), not yet recorded. Its fields were checked against the
/// ledger's rules when it was made.
#[derive(Clone)]
pub struct Prepared {
    pub(crate) plan: Vec<Planned>,
}

impl Prepared {
    /// One file of a walk, read in place (as `prov add` reads it: checked to be the file
    /// listed and unchanged while read), hashed and, with `extract`, looked into; `label`
    /// names it in results.
    ///
    /// # Errors
    /// [`Error::Invalid`] for fields the ledger would refuse; the errors of `prov add` for a
    /// file that cannot be read or changed.
    pub fn from_walked(
        f: &crate::digest::WalkedFile,
        label: Vec<u8>,
        fields: &Fields,
        extract: Option<&prov_ingest::Limits>,
    ) -> Result<Prepared> {
        let name = (!f.name.is_empty()).then(|| f.name.clone());
        fields.validate(name.as_deref())?;
        let x = crate::extract::read_walked(f, extract, &|_| {})?;
        Ok(Prepared {
            plan: members::plan(fields, label, name.unwrap_or_default(), x),
        })
    }

    /// One document already spooled (the `len` bytes of `file` from `start`: a part of a
    /// request spooled with others, or a whole request's body), hashed and, with
    /// `extract`, looked into within those limits as `prov add -` does, without copying it
    /// again; `what` names it in errors, `label` its results, `name` is the name recorded.
    ///
    /// # Errors
    /// [`Error::Invalid`] for fields the ledger would refuse, [`Error::StreamUnreadable`],
    /// [`Error::EmptyStream`].
    pub fn from_spooled(
        file: &std::fs::File,
        (start, len): (u64, u64),
        what: &str,
        label: Vec<u8>,
        name: Option<Vec<u8>>,
        fields: &Fields,
        extract: Option<&prov_ingest::Limits>,
    ) -> Result<Prepared> {
        fields.validate(name.as_deref())?;
        if len == 0 {
            return Err(Error::EmptyStream {
                what: what.to_owned(),
            });
        }
        let x = crate::extract::read_spooled(file, start, len, what, extract)?;
        Ok(Prepared {
            plan: members::plan(fields, label, name.unwrap_or_default(), x),
        })
    }

    /// One document by its hash alone, as `prov add --sha256 HEX --size N` records it
    /// (labelled `sha256:<hex>`).
    ///
    /// # Errors
    /// [`Error::Invalid`] for fields the ledger would refuse.
    pub fn from_digest(
        digest: FileDigest,
        name: Option<Vec<u8>>,
        fields: &Fields,
    ) -> Result<Prepared> {
        let doc = fields.document(name, digest);
        doc.validate()?;
        Ok(Prepared {
            plan: vec![Planned {
                label: format!("sha256:{}", crate::error::hex(&digest.sha256)).into_bytes(),
                doc,
                container: None,
            }],
        })
    }

    /// How many documents it records (the upload and its members).
    pub fn documents(&self) -> usize {
        self.plan.len()
    }

    /// Several uploads as one, in this order: recorded in one commit, all or none (a
    /// request that carries several documents' bytes). Each keeps its links to its own
    /// containers.
    pub fn join(uploads: Vec<Prepared>) -> Prepared {
        let mut plan = Vec::with_capacity(uploads.iter().map(Prepared::documents).sum());
        for upload in uploads {
            let base = plan.len();
            plan.extend(upload.plan.into_iter().map(|mut p| {
                p.container = p.container.map(|c| c + base);
                p
            }));
        }
        Prepared { plan }
    }
}

/// One document of a [`Prepared`] upload, as a front end sends it by hash alone: how
/// results label it, the document, and the earlier document of the same upload it was
/// found in.
pub type PlannedDocument = (Vec<u8>, crate::append::NewDocument, Option<usize>);

impl Prepared {
    /// Its documents in order: the upload first, then its members, each with the index of
    /// its container in this list.
    pub fn planned(
        &self,
    ) -> impl Iterator<Item = (&[u8], &crate::append::NewDocument, Option<usize>)> {
        self.plan
            .iter()
            .map(|p| (&p.label[..], &p.doc, p.container))
    }

    /// An upload made of documents planned elsewhere (an archivist's machine that hashed
    /// and looked into its files itself, and sends only hashes, sizes, names and links).
    ///
    /// # Errors
    /// [`Error::Invalid`] for no documents, a document the ledger would refuse, or a
    /// container that is not an earlier document of the list.
    pub fn from_planned(docs: Vec<PlannedDocument>) -> Result<Prepared> {
        if docs.is_empty() {
            return Err(Error::invalid("documents", "the list is empty"));
        }
        let mut plan = Vec::with_capacity(docs.len());
        for (i, (label, doc, container)) in docs.into_iter().enumerate() {
            if container.is_some_and(|c| c >= i) {
                return Err(Error::invalid(
                    "within",
                    format!(
                        "document {i} names document {} as its container: it must be an earlier one",
                        container.unwrap_or(0)
                    ),
                ));
            }
            let mut check = doc.clone();
            check.within_batch = container;
            check.validate()?;
            plan.push(Planned {
                label,
                doc,
                container,
            });
        }
        Ok(Prepared { plan })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A spool shorter than the length given is an error, never a shorter document, with
    /// or without looking into it.
    #[test]
    fn a_spool_shorter_than_said_is_refused() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"twelve bytes").unwrap();
        let fields = Fields {
            source: "s".into(),
            ..Fields::default()
        };
        let limits = prov_ingest::Limits::default();
        for extract in [None, Some(&limits)] {
            let whole =
                Prepared::from_spooled(&f, (0, 12), "spool", b"-".to_vec(), None, &fields, extract);
            assert_eq!(whole.unwrap().documents(), 1);
            let short =
                Prepared::from_spooled(&f, (0, 20), "spool", b"-".to_vec(), None, &fields, extract);
            assert!(
                matches!(short, Err(Error::StreamUnreadable { .. })),
                "{extract:?}"
            );
        }
    }
}
