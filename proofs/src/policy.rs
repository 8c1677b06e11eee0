//! C2SP tlog-policy (<https://c2sp.org/tlog-policy>): which logs an auditor accepts, which
//! witnesses it knows, and the quorum of cosignatures a checkpoint needs.
//!
//! A policy file is lines of `log <vkey> [<url>]`, `witness <name> <vkey> [<url>]`,
//! `group <name> all|any|<k> <name>...` and exactly one `quorum <name>` (`none` for no
//! cosignature at all), separated by spaces and tabs; blank lines and `#` comments are
//! ignored ("Policy file syntax and structure"). A group or the quorum names only witnesses
//! and groups defined on earlier lines, so a policy has no cycles and is evaluated in order.
//! Only Ed25519 cosignatures (`0x04`) are supported as witness keys.

use crate::cosignature::{Cosignature, CosignerVerifier};
use crate::error::{Error, Result};
use crate::note::NoteVerifier;

/// The largest policy file read, in bytes.
const MAX_POLICY_BYTES: usize = 1 << 20;
/// The most logs, witnesses or groups a policy may define (the spec asks for at least 32).
const MAX_DEFINED: usize = 1024;

/// A witness of a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWitness {
    /// Its name in the policy (opaque bytes; only for groups and the quorum).
    pub name: Vec<u8>,
    /// Its cosigner key.
    pub verifier: CosignerVerifier,
    /// Its submission prefix, when given.
    pub url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: Vec<u8>,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed trust policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The logs accepted, each with its URL when given.
    pub logs: Vec<(NoteVerifier, Option<String>)>,
    /// The witnesses known.
    pub witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    /// `None` for `quorum none`.
    quorum: Option<Member>,
}

fn malformed(line: usize, reason: &'static str) -> Error {
    Error::MalformedPolicy { line, reason }
}

impl Policy {
    /// The policy "at least `k` of these witnesses" (what `--witness` and `--quorum` give),
    /// with no log listed; `k = 0` is `quorum none`.
    ///
    /// # Errors
    /// [`Error::MalformedPolicy`] (line 0) when `k` exceeds the number of witnesses or two
    /// witnesses have the same key.
    pub fn threshold(witnesses: Vec<CosignerVerifier>, k: usize) -> Result<Policy> {
        if k > witnesses.len() {
            return Err(malformed(
                0,
                "the quorum is larger than the number of witnesses",
            ));
        }
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        for (i, v) in witnesses.into_iter().enumerate() {
            if policy.witnesses.iter().any(|w| w.verifier.key == v.key) {
                return Err(malformed(0, "the same witness key is given twice"));
            }
            policy.witnesses.push(PolicyWitness {
                name: format!("w{i}").into_bytes(),
                verifier: v,
                url: None,
            });
        }
        if k > 0 {
            policy.groups.push(Group {
                name: b"witnesses".to_vec(),
                threshold: k,
                members: (0..policy.witnesses.len()).map(Member::Witness).collect(),
            });
            policy.quorum = Some(Member::Group(0));
        }
        Ok(policy)
    }

    /// Parses a policy file.
    ///
    /// # Errors
    /// [`Error::MalformedPolicy`] naming the line (from 1) and what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<Policy> {
        if bytes.len() > MAX_POLICY_BYTES {
            return Err(malformed(0, "the policy file is larger than 1 MiB"));
        }
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            return Err(malformed(0, "the last line does not end in a newline"));
        }
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        let lines = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        for (i, line) in lines.split(|&b| b == b'\n').enumerate() {
            let n = i + 1;
            if bytes.is_empty() {
                break;
            }
            if line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(malformed(
                    n,
                    "control character (only tab and newline are allowed)",
                ));
            }
            let words: Vec<&[u8]> = line
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|w| !w.is_empty())
                .collect();
            let Some((&keyword, args)) = words.split_first() else {
                continue;
            };
            if keyword.starts_with(b"#") {
                continue;
            }
            match keyword {
                b"log" => policy.add_log(n, args)?,
                b"witness" => policy.add_witness(n, args)?,
                b"group" => policy.add_group(n, args)?,
                b"quorum" => {
                    if quorum_seen {
                        return Err(malformed(
                            n,
                            "a second quorum line (exactly one is allowed)",
                        ));
                    }
                    quorum_seen = true;
                    let [name] = args else {
                        return Err(malformed(n, "expected `quorum <name>`"));
                    };
                    policy.quorum = match *name {
                        b"none" => None,
                        name => Some(policy.lookup(name).ok_or(malformed(
                            n,
                            "the quorum names no witness or group defined above it",
                        ))?),
                    };
                }
                _ => {
                    return Err(malformed(
                        n,
                        "unknown keyword (expected log, witness, group or quorum)",
                    ));
                }
            }
        }
        if !quorum_seen {
            return Err(malformed(
                0,
                "no quorum line (write `quorum none` to require no cosignature)",
            ));
        }
        Ok(policy)
    }

    fn lookup(&self, name: &[u8]) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups
            .iter()
            .position(|g| g.name == name)
            .map(Member::Group)
    }

    fn check_new_name(&self, n: usize, name: &[u8]) -> Result<()> {
        if name == b"none" {
            return Err(malformed(
                n,
                "`none` is predefined and cannot be a witness or group name",
            ));
        }
        if self.lookup(name).is_some() {
            return Err(malformed(n, "the name is already defined"));
        }
        if self.witnesses.len() + self.groups.len() + self.logs.len() >= 3 * MAX_DEFINED {
            return Err(malformed(n, "too many definitions"));
        }
        Ok(())
    }

    fn add_log(&mut self, n: usize, args: &[&[u8]]) -> Result<()> {
        let (vkey, url) = match args {
            [vkey] => (vkey, None),
            [vkey, url] => (vkey, Some(text(n, url)?)),
            _ => return Err(malformed(n, "expected `log <vkey> [<url>]`")),
        };
        let v = NoteVerifier::parse(text(n, vkey)?).map_err(|_| {
            malformed(
                n,
                "the log's vkey is not an Ed25519 checkpoint key (type 0x01) whose key ID matches",
            )
        })?;
        if self.logs.iter().any(|(l, _)| l.key == v.key) {
            return Err(malformed(n, "the same log key is listed twice"));
        }
        if self.logs.len() >= MAX_DEFINED {
            return Err(malformed(n, "too many logs"));
        }
        self.logs.push((v, url.map(str::to_owned)));
        Ok(())
    }

    fn add_witness(&mut self, n: usize, args: &[&[u8]]) -> Result<()> {
        let (name, vkey, url) = match args {
            [name, vkey] => (name, vkey, None),
            [name, vkey, url] => (name, vkey, Some(text(n, url)?)),
            _ => return Err(malformed(n, "expected `witness <name> <vkey> [<url>]`")),
        };
        self.check_new_name(n, name)?;
        let v = CosignerVerifier::parse(text(n, vkey)?).map_err(|_| {
            malformed(n, "the witness's vkey is not an Ed25519 cosignature key (type 0x04) whose key ID matches")
        })?;
        if self.witnesses.iter().any(|w| w.verifier.key == v.key) {
            return Err(malformed(n, "the same witness key is listed twice"));
        }
        self.witnesses.push(PolicyWitness {
            name: name.to_vec(),
            verifier: v,
            url: url.map(str::to_owned),
        });
        Ok(())
    }

    fn add_group(&mut self, n: usize, args: &[&[u8]]) -> Result<()> {
        let [name, k, names @ ..] = args else {
            return Err(malformed(
                n,
                "expected `group <name> all|any|<k> <name>...`",
            ));
        };
        self.check_new_name(n, name)?;
        if names.is_empty() {
            return Err(malformed(n, "a group needs at least one member"));
        }
        let mut members = Vec::with_capacity(names.len());
        for m in names {
            let member = self.lookup(m).ok_or(malformed(
                n,
                "a member is not a witness or group defined above it",
            ))?;
            if members.contains(&member) {
                return Err(malformed(n, "a member is listed twice"));
            }
            members.push(member);
        }
        let threshold = match *k {
            b"all" => members.len(),
            b"any" => 1,
            k => std::str::from_utf8(k)
                .ok()
                .filter(|k| !k.starts_with('0') && k.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|k| k.parse::<usize>().ok())
                .filter(|&k| (1..=members.len()).contains(&k))
                .ok_or(malformed(
                    n,
                    "the threshold is not all, any, or a decimal k with 1 <= k <= members",
                ))?,
        };
        self.groups.push(Group {
            name: name.to_vec(),
            threshold,
            members,
        });
        Ok(())
    }

    /// The cosigner keys of the policy's witnesses, in order.
    pub fn cosigners(&self) -> Vec<CosignerVerifier> {
        self.witnesses.iter().map(|w| w.verifier.clone()).collect()
    }

    /// Whether `cosignatures` (verified ones, as [`crate::verify_cosignatures`] gives) meet
    /// the quorum: a witness witnessed the checkpoint when it is among them (by name and key
    /// ID); a group when at least its threshold of members did.
    pub fn is_met(&self, cosignatures: &[Cosignature]) -> bool {
        let witnessed: Vec<bool> = self
            .witnesses
            .iter()
            .map(|w| {
                cosignatures
                    .iter()
                    .any(|c| c.name == w.verifier.name && c.key_id == w.verifier.key_id)
            })
            .collect();
        let mut groups = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let count = g
                .members
                .iter()
                .filter(|m| match **m {
                    Member::Witness(i) => witnessed[i],
                    Member::Group(i) => groups[i],
                })
                .count();
            groups.push(count >= g.threshold);
        }
        match self.quorum {
            None => true,
            Some(Member::Witness(i)) => witnessed[i],
            Some(Member::Group(i)) => groups[i],
        }
    }

    /// The quorum in words, for messages: `none`, `witness NAME`, or `k of n ...`.
    pub fn describe_quorum(&self) -> String {
        match self.quorum {
            None => "none (no cosignature required)".to_owned(),
            Some(Member::Witness(i)) => {
                format!(
                    "the witness {}",
                    String::from_utf8_lossy(&self.witnesses[i].name)
                )
            }
            Some(Member::Group(i)) => {
                let g = &self.groups[i];
                format!(
                    "at least {} of {} (group {})",
                    g.threshold,
                    g.members.len(),
                    String::from_utf8_lossy(&g.name)
                )
            }
        }
    }
}

/// A vkey or URL: text, since only names and comments may hold arbitrary bytes.
fn text(n: usize, bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| malformed(n, "a key or URL is not UTF-8"))
}
