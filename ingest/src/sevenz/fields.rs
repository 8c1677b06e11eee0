//! Reading a 7z header's fields (7zFormat.txt "Notes": `BYTE`, `UINT64` numbers, bit
//! vectors), every length checked against the bytes left.

/// Why a 7z is not opened.
pub(crate) struct Refused {
    pub why: String,
}

pub(crate) type R<T> = Result<T, Refused>;

pub(crate) fn refuse<T>(why: impl Into<String>) -> R<T> {
    Err(Refused { why: why.into() })
}

pub(crate) fn damaged<T>(what: &str) -> R<T> {
    refuse(format!("header damaged or not supported: {what}"))
}

/// The bytes of a header, read field by field.
pub(crate) struct Cur<'a>(pub &'a [u8]);

impl<'a> Cur<'a> {
    pub fn byte(&mut self) -> R<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| Refused {
            why: "header damaged: it ends inside a field".into(),
        })?;
        self.0 = rest;
        Ok(b)
    }

    pub fn take(&mut self, n: u64) -> R<&'a [u8]> {
        if n > self.0.len() as u64 {
            return damaged("a field is longer than the header");
        }
        let (head, rest) = self.0.split_at(n as usize);
        self.0 = rest;
        Ok(head)
    }

    /// 7zFormat.txt `UINT64`: the first byte's high bits say how many bytes follow.
    pub fn number(&mut self) -> R<u64> {
        let first = u64::from(self.byte()?);
        let mut mask = 0x80u64;
        let mut value = 0u64;
        for i in 0..8 {
            if first & mask == 0 {
                return Ok(value | ((first & (mask - 1)) << (8 * i)));
            }
            value |= u64::from(self.byte()?) << (8 * i);
            mask >>= 1;
        }
        Ok(value)
    }

    /// A count that each item of needs at least `per` bytes of what is left, and at most `max`.
    pub fn count(&mut self, what: &str, per: u64, max: u64) -> R<usize> {
        let n = self.number()?;
        if n > max || n.saturating_mul(per) > self.0.len() as u64 {
            return damaged(&format!("{what} count {n} is impossible here"));
        }
        Ok(n as usize)
    }

    /// A bit vector of `n` bits; returns how many are set.
    pub fn bits(&mut self, n: usize) -> R<u64> {
        let bytes = self.take(n.div_ceil(8) as u64)?;
        let mut set = 0;
        for i in 0..n {
            if bytes[i / 8] & (0x80 >> (i % 8)) != 0 {
                set += 1;
            }
        }
        Ok(set)
    }

    /// `AllAreDefined` then, if 0, a bit vector: how many of `n` are defined.
    pub fn defined(&mut self, n: usize) -> R<u64> {
        if self.byte()? != 0 {
            Ok(n as u64)
        } else {
            self.bits(n)
        }
    }

    pub fn expect(&mut self, id: u8, what: &str) -> R<()> {
        if self.byte()? != id {
            return damaged(&format!("{what} expected"));
        }
        Ok(())
    }
}
