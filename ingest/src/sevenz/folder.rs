//! A 7z folder record (7zFormat.txt "Folder"): its coders, bind pairs and packed streams,
//! checked so that the library's decoders can be wired without a panic, and the memory its
//! decoders take.

use super::fields::{Cur, R, damaged};
use super::{BCJ2, BZIP2, LZMA, LZMA2, PPMD};

/// The most coders in one folder (the library decodes at most 32).
const MAX_CODERS: usize = 32;

/// One folder (a "block" to the library): its coders and sizes.
pub(crate) struct Folder {
    pub coders: Vec<Vec<u8>>,
    /// Per coder, its declared props.
    pub props: Vec<Vec<u8>>,
    pub packed: usize,
    /// The coder whose output is the folder's output.
    pub main: usize,
    pub unpack: Vec<u64>,
    pub crc: Option<u32>,
    pub substreams: u64,
}

/// One `Folder` record: its coders, bind pairs and packed streams.
pub(crate) fn folder(cur: &mut Cur) -> R<Folder> {
    let n = cur.count("coder", 2, MAX_CODERS as u64)?;
    if n == 0 {
        return damaged("a folder without coders");
    }
    let mut coders = Vec::with_capacity(n);
    let mut props = Vec::with_capacity(n);
    let mut ins = Vec::with_capacity(n);
    for _ in 0..n {
        let flags = cur.byte()?;
        if flags & 0x80 != 0 {
            return damaged("alternative coder methods are not supported");
        }
        let id = cur.take(u64::from(flags & 0x0F))?;
        let (inputs, outputs) = if flags & 0x10 == 0 {
            (1, 1)
        } else {
            (cur.number()?, cur.number()?)
        };
        let wanted = if id == BCJ2 { 4 } else { 1 };
        if outputs != 1 || inputs != wanted {
            return damaged("a coder with an unsupported number of streams");
        }
        props.push(if flags & 0x20 != 0 {
            let size = cur.number()?;
            cur.take(size)?.to_vec()
        } else {
            Vec::new()
        });
        coders.push(id.to_vec());
        ins.push(inputs as usize);
    }
    let total_in: usize = ins.iter().sum();
    let mut in_bound = vec![false; total_in];
    let mut out_bound = vec![false; n];
    for _ in 1..n {
        let (i, o) = (cur.number()?, cur.number()?);
        let (Some(i_free), Some(o_free)) =
            (in_bound.get_mut(i as usize), out_bound.get_mut(o as usize))
        else {
            return damaged("a bind pair out of range");
        };
        if *i_free || *o_free {
            return damaged("a stream bound twice");
        }
        (*i_free, *o_free) = (true, true);
    }
    let packed = total_in - (n - 1);
    if packed > 1 {
        for _ in 0..packed {
            let i = cur.number()?;
            match in_bound.get_mut(i as usize) {
                Some(bound) if !*bound => *bound = true,
                _ => return damaged("a packed stream out of range or bound"),
            }
        }
    }
    let main = out_bound.iter().position(|b| !b).unwrap_or(0);
    for (c, p) in coders.iter().zip(&props) {
        let short = match c.as_slice() {
            LZMA | PPMD => p.len() < 5,
            LZMA2 => p.is_empty(),
            _ => false,
        };
        if short {
            return damaged("coder properties too short");
        }
    }
    Ok(Folder {
        coders,
        props,
        packed,
        main,
        unpack: Vec::with_capacity(n),
        crc: None,
        substreams: 0,
    })
}

/// The LZMA2 dictionary size from its property byte (as `sevenz-rust2` computes it).
pub(crate) fn lzma2_dict(bits: u8) -> u32 {
    let bits = u32::from(bits);
    if bits >= 40 {
        return u32::MAX;
    }
    (2 | (bits & 1)) << (bits / 2 + 11)
}

/// About how much memory decoding a folder takes: dictionaries and models as declared (an
/// LZMA dictionary is never larger than what it unpacks), plus buffers.
pub(crate) fn decoder_memory(f: &Folder) -> u64 {
    let mut total = 0u64;
    for (i, (c, p)) in f.coders.iter().zip(&f.props).enumerate() {
        let dict = |p: &[u8]| u64::from(u32::from_le_bytes(p[1..5].try_into().unwrap_or_default()));
        let own = match c.as_slice() {
            LZMA => dict(p).min(f.unpack.get(i).copied().unwrap_or(0)).max(4096),
            LZMA2 => u64::from(lzma2_dict(p[0])),
            PPMD => dict(p),
            BZIP2 => 8 << 20,
            _ => 0,
        };
        total = total.saturating_add(own).saturating_add(256 << 10);
    }
    total
}
