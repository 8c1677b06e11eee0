//! Searching a run: the records of one SHA-256, or of every SHA-256 starting with some hex
//! digits. A record's place in the file is close to its first eight bytes' share of 2^64
//! (SHA-256 is uniform): an interpolation search, falling back to halving where the guess
//! does not narrow it, finds it with a few positioned reads.

use super::{GUESSES, RECORD, Record, Run, WINDOW, decode};
use crate::error::Result;

/// Whether `sha` written in lowercase hex starts with the hex digits `prefix`.
pub(crate) fn hex_starts_with(sha: &[u8; 32], prefix: &str) -> bool {
    prefix.len() <= 64
        && prefix.bytes().enumerate().all(|(i, c)| {
            let nibble = (sha[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
            char::from_digit(u32::from(nibble), 16) == Some(char::from(c))
        })
}

fn prefix(sha: &[u8; 32]) -> u64 {
    u64::from_be_bytes([
        sha[0], sha[1], sha[2], sha[3], sha[4], sha[5], sha[6], sha[7],
    ])
}

impl Run {
    /// The seqs this run records for `sha`, ascending.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::IndexDisagrees`] for records out of order or a seq outside
    /// the run's range.
    pub fn seqs_for(&self, sha: &[u8; 32]) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        self.scan_from(&(*sha, 0), |r| {
            Ok(r.0 == *sha && {
                out.push(r.1);
                true
            })
        })?;
        Ok(out)
    }

    /// The distinct contents this run records, for entries below `below`, whose SHA-256
    /// starts with `prefix` (lowercase hex digits), in order, at most `cap` of them.
    ///
    /// # Errors
    /// As [`Run::seqs_for`].
    pub fn contents_with_prefix(
        &self,
        prefix: &str,
        below: u64,
        cap: usize,
    ) -> Result<Vec<[u8; 32]>> {
        let mut low = [0u8; 32];
        let padded = format!("{prefix:0<64}");
        for (i, b) in low.iter_mut().enumerate() {
            *b = u8::from_str_radix(padded.get(2 * i..2 * i + 2).unwrap_or("00"), 16)
                .unwrap_or_default();
        }
        let mut out: Vec<[u8; 32]> = Vec::new();
        self.scan_from(&(low, 0), |r| {
            if !hex_starts_with(&r.0, prefix) || out.len() > cap {
                return Ok(false);
            }
            if r.1 < below && out.last() != Some(&r.0) {
                out.push(r.0);
            }
            Ok(true)
        })?;
        out.truncate(cap);
        Ok(out)
    }

    /// Finds the first record not below `target` (interpolation search, then halving) and
    /// hands it and those after it, in order, to `keep` until it returns false.
    fn scan_from(
        &self,
        target: &Record,
        mut keep: impl FnMut(&Record) -> Result<bool>,
    ) -> Result<()> {
        let key = prefix(&target.0) as u128;
        // The first record not below `target` lies in [lo, hi].
        let (mut lo, mut hi) = (0u64, self.count());
        let (mut key_lo, mut key_hi) = (0u128, 1u128 << 64);
        let mut guesses = 0;
        loop {
            let start = if hi - lo <= WINDOW {
                lo
            } else if guesses < GUESSES {
                guesses += 1;
                let span = (key_hi - key_lo).max(1);
                let at = lo as u128 + (key.saturating_sub(key_lo) * (hi - lo) as u128) / span;
                (at as u64)
                    .saturating_sub(WINDOW / 2)
                    .clamp(lo, hi - WINDOW)
            } else {
                lo + (hi - lo - WINDOW) / 2
            };
            let n = WINDOW.min(self.count() - start);
            let block = self.read(start, n)?;
            let mut recs: Vec<Record> = block.chunks_exact(RECORD).map(decode).collect();
            if recs.windows(2).any(|w| w[0] > w[1]) {
                return Err(self.disagrees("holds records out of order"));
            }
            let below = recs.partition_point(|r| r < target) as u64;
            if below == 0 && start > lo {
                (hi, key_hi) = (start, prefix(&recs[0].0) as u128 + 1);
                continue;
            }
            if below == n && start + n < hi {
                (lo, key_lo) = (start + n, prefix(&recs[n as usize - 1].0) as u128);
                continue;
            }
            // The first record not below `target` is here: hand it and those that follow.
            let mut at = start + below;
            let mut recs = recs.split_off(below as usize);
            loop {
                for r in &recs {
                    if r.1 < self.first || r.1 >= self.end {
                        return Err(self.disagrees("lists an entry outside its range"));
                    }
                    if !keep(r)? {
                        return Ok(());
                    }
                }
                at += recs.len() as u64;
                if at >= self.count() {
                    return Ok(());
                }
                let n = WINDOW.min(self.count() - at);
                recs = self.read(at, n)?.chunks_exact(RECORD).map(decode).collect();
                if recs.windows(2).any(|w| w[0] > w[1]) {
                    return Err(self.disagrees("holds records out of order"));
                }
            }
        }
    }
}
