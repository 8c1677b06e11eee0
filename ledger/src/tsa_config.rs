//! `tsas.json`: the RFC 3161 timestamp authorities a ledger asks (`prov tsas add`,
//! `prov timestamp`, `prov add --timestamp`). Configuration, not evidence: not covered by
//! the ledger's signature; an auditor names the TSA certificate it trusts itself
//! (`verify-proof --tsa-cert`). Format in `docs/FORMAT.md` section 10.

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode as _, Encode as _};
use serde::{Deserialize, Serialize};

/// The configuration file's name in the ledger folder.
pub const TSAS_FILE: &str = "tsas.json";

/// A TSA the ledger asks for timestamp tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsaConfig {
    /// The URL a TimeStampReq is POSTed to (RFC 3161 section 3.4).
    pub url: String,
    /// The TSA's certificate (DER) a token must verify with; `None`: the certificate the
    /// token carries (which proves only that the token is whole).
    pub cert: Option<Vec<u8>>,
}

/// Checks a TSA URL: `http://` or `https://`, a host, no whitespace or control characters.
///
/// # Errors
/// [`Error::Invalid`] naming what is wrong.
pub fn check_tsa_url(url: &str) -> Result<()> {
    crate::config_file::check_url("TSA URL", url)
}

/// A TSA as `tsas.json` lists it.
#[derive(Serialize, Deserialize)]
struct Listed {
    url: String,
    cert: Option<String>,
}

impl Listed {
    fn checked(self, path: &std::path::Path) -> Result<TsaConfig> {
        let damaged = |reason: String| Error::Damaged {
            path: path.to_owned(),
            offset: None,
            reason,
        };
        check_tsa_url(&self.url).map_err(|e| damaged(e.to_string()))?;
        let cert = match self.cert {
            None => None,
            Some(b64) => {
                let der = STANDARD
                    .decode(b64.as_bytes())
                    .map_err(|e| damaged(format!("{}: cert: {e}", self.url)))?;
                Some(parse_tsa_cert(&der).map_err(|e| damaged(format!("{}: {e}", self.url)))?)
            }
        };
        Ok(TsaConfig {
            url: self.url,
            cert,
        })
    }
}

/// Parses a TSA certificate given as PEM or DER; returns its DER.
///
/// # Errors
/// [`Error::Invalid`] when it is neither.
pub fn parse_tsa_cert(bytes: &[u8]) -> Result<Vec<u8>> {
    use der::DecodePem as _;
    let cert = x509_cert::Certificate::from_der(bytes)
        .or_else(|_| x509_cert::Certificate::from_pem(bytes))
        .map_err(|e| {
            Error::invalid(
                "TSA certificate",
                format!("not an X.509 certificate in PEM or DER ({e})"),
            )
        })?;
    cert.to_der()
        .map_err(|e| Error::invalid("TSA certificate", e.to_string()))
}

impl Ledger {
    /// The configured TSAs, in the order they were added; none when the file is absent.
    ///
    /// # Errors
    /// [`Error::Damaged`] when the file does not read as section 10 says.
    pub fn tsas(&self) -> Result<Vec<TsaConfig>> {
        let path = self.dir.join(TSAS_FILE);
        crate::config_file::load::<Listed>(&path, "tsas")?
            .into_iter()
            .map(|l| l.checked(&path))
            .collect()
    }

    /// Adds a TSA (or gives a listed URL its new certificate), rewriting `tsas.json` whole
    /// under the ledger's writer lock, so that two at once both stay. Returns whether the URL
    /// is new.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad URL or certificate, [`Error::Damaged`] for an
    /// unreadable file, [`Error::InUse`] while a writer runs, [`Error::Io`].
    pub fn add_tsa(&self, url: &str, cert: Option<&[u8]>) -> Result<bool> {
        check_tsa_url(url)?;
        let cert = cert.map(parse_tsa_cert).transpose()?;
        let path = self.dir.join(TSAS_FILE);
        self.change_config(TSAS_FILE, "tsas", |listed: Vec<Listed>| {
            let mut list = listed
                .into_iter()
                .map(|l| l.checked(&path))
                .collect::<Result<Vec<_>>>()?;
            let new = match list.iter_mut().find(|t| t.url == url) {
                Some(t) => {
                    t.cert = cert;
                    false
                }
                None => {
                    list.push(TsaConfig {
                        url: url.to_owned(),
                        cert,
                    });
                    true
                }
            };
            let out = list
                .iter()
                .map(|t| Listed {
                    url: t.url.clone(),
                    cert: t.cert.as_ref().map(|c| STANDARD.encode(c)),
                })
                .collect();
            Ok((out, new))
        })
    }
}
