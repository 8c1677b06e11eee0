//! The passphrase of an encrypted signing key: from `PROV_KEY_PASSPHRASE`, from a file
//! (`--passphrase-file`), or asked on the terminal with no echo; never on the command line,
//! where other users of the machine can read it in the process list.

use crate::failure::{Failure, Result};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The environment variable that holds the passphrase itself.
pub const ENV: &str = "PROV_KEY_PASSPHRASE";

#[derive(Args, Clone, Default)]
pub struct PassphraseArgs {
    /// Read the signing key's passphrase from this file's first line (else from
    /// $PROV_KEY_PASSPHRASE, else asked on the terminal); only an encrypted key needs one
    #[arg(long, value_name = "PATH")]
    passphrase_file: Option<PathBuf>,
}

impl PassphraseArgs {
    /// The passphrase given by a file or the environment, read now (a file that cannot be
    /// read is an error even when the key turns out not to need it: it was asked for).
    fn given(&self) -> Result<Option<Zeroizing<String>>> {
        if let Some(path) = &self.passphrase_file {
            return read_file(path).map(Some);
        }
        match std::env::var(ENV) {
            Ok(p) => Ok(Some(Zeroizing::new(p))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Failure::input(format!(
                "{ENV} is not UTF-8: give the passphrase as UTF-8 text"
            ))),
        }
    }

    /// What a writer asks when its key is encrypted: the passphrase given, or else one typed
    /// on the terminal (only when stdin and stderr are a terminal: a script never waits).
    pub fn for_writer(&self) -> Result<impl Fn() -> Option<Zeroizing<String>> + use<>> {
        let given = self.given()?;
        Ok(move || {
            given
                .clone()
                .or_else(|| ask("passphrase of the signing key: "))
        })
    }

    /// The passphrase that encrypts a new key: given, or typed twice on the terminal.
    ///
    /// # Errors
    /// A usage error when there is none; input errors for an empty one or two that differ.
    pub fn for_new_key(&self) -> Result<Zeroizing<String>> {
        let p = match self.given()? {
            Some(p) => p,
            None => {
                let first = ask("passphrase for the new signing key: ").ok_or_else(|| {
                    Failure::usage(format!(
                        "--encrypt-key needs a passphrase: set {ENV}, or give --passphrase-file PATH, or run `prov init` on a terminal to be asked"
                    ))
                })?;
                let again = ask("the same passphrase again: ").unwrap_or_default();
                if *again != *first {
                    return Err(Failure::input(
                        "the two passphrases differ: run `prov init --encrypt-key` again",
                    ));
                }
                first
            }
        };
        if p.is_empty() {
            return Err(Failure::input(
                "the passphrase is empty: give one, or leave out --encrypt-key",
            ));
        }
        Ok(p)
    }
}

/// The first line of `path`, without its line ending. A file that group or others can read
/// or write is refused, as the key file is: a passphrase anyone can read protects nothing.
fn read_file(path: &Path) -> Result<Zeroizing<String>> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let cannot = |e: std::io::Error| {
        Failure::input(format!(
            "cannot read --passphrase-file {}: {e}: check the path",
            path.display()
        ))
    };
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let mode = file.metadata().map_err(cannot)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Failure::input(format!(
            "--passphrase-file {} is readable or writable by others (mode {mode:o}), so the passphrase protects nothing: run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    let mut text = Zeroizing::new(Vec::new());
    file.read_to_end(&mut text).map_err(cannot)?;
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    std::str::from_utf8(first)
        .map(|s| Zeroizing::new(s.to_owned()))
        .map_err(|_| {
            Failure::input(format!(
                "--passphrase-file {} is not UTF-8: give the passphrase as UTF-8 text",
                path.display()
            ))
        })
}

/// A passphrase typed on the terminal with no echo, when there is a person to ask.
fn ask(prompt: &str) -> Option<Zeroizing<String>> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    rpassword::prompt_password(prompt).ok().map(Zeroizing::new)
}
