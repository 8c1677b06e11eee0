//! The 7z header (7-Zip's `DOC/7zFormat.txt`), read and checked before `sevenz-rust2` reads it.
//!
//! `sevenz-rust2` trusts the counts and sizes a header declares: it allocates what they say
//! and indexes by them, so a few hostile bytes could take gigabytes or panic. Here the same
//! structure is parsed with every count bounded (by the bytes left, by `max_members`, by what
//! the decoders support) and every index checked, and the memory the library's own parse will
//! hold is estimated; only a header that passes is handed to the library. The parse follows
//! the library's reading order exactly (a property whose declared size differs from what its
//! fields take is refused), so both read the same structure.

use super::fields::{Cur, R, Refused, damaged, refuse};
use super::folder::{Folder, decoder_memory, folder, lzma2_dict};
use super::{AES, COPY, LZMA, LZMA2};
use sevenz_rust2::{ArchiveEntry, Block};
use std::io::{Read, Seek, SeekFrom};
use std::mem::size_of;

const K_END: u8 = 0x00;
const K_HEADER: u8 = 0x01;
const K_ARCHIVE_PROPERTIES: u8 = 0x02;
const K_ADDITIONAL_STREAMS: u8 = 0x03;
const K_MAIN_STREAMS: u8 = 0x04;
const K_FILES: u8 = 0x05;
const K_PACK_INFO: u8 = 0x06;
const K_UNPACK_INFO: u8 = 0x07;
const K_SUB_STREAMS: u8 = 0x08;
const K_SIZE: u8 = 0x09;
const K_CRC: u8 = 0x0A;
const K_FOLDER: u8 = 0x0B;
const K_CODERS_UNPACK_SIZE: u8 = 0x0C;
const K_NUM_UNPACK_STREAM: u8 = 0x0D;
const K_EMPTY_STREAM: u8 = 0x0E;
const K_EMPTY_FILE: u8 = 0x0F;
const K_ANTI: u8 = 0x10;
const K_NAME: u8 = 0x11;
const K_CTIME: u8 = 0x12;
const K_WIN_ATTRIBUTES: u8 = 0x15;
const K_ENCODED_HEADER: u8 = 0x17;
const K_START_POS: u8 = 0x18;

/// What a checked header holds, for the walk.
pub(crate) struct Layout {
    /// How many entries (files, directories, anti-items) it declares.
    pub files: u64,
    /// About how many bytes the library's parse of this header holds while it is read.
    pub memory: u64,
    /// Per folder, about how many bytes its decoders take (dictionaries, models).
    pub folder_memory: Vec<u64>,
}

/// Reads the signature header and the header it points to, and checks them; `room` is what is
/// left of `max_buffered`.
pub(crate) fn check<F: Read + Seek>(file: &mut F, room: u64, max_members: u64) -> R<Layout> {
    let io = |e: std::io::Error| Refused {
        why: format!("unreadable: {e}"),
    };
    let len = file.seek(SeekFrom::End(0)).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut start = [0u8; 32];
    if file.read_exact(&mut start).is_err() {
        return refuse("cut short: the file ends inside its 32-byte signature header");
    }
    if start[6] != 0 {
        return refuse(format!(
            "format version {}.{} not supported",
            start[6], start[7]
        ));
    }
    let crc = u32::from_le_bytes(start[8..12].try_into().unwrap_or_default());
    if crc == 0 && start[12..].iter().all(|&b| b == 0) {
        return refuse(
            "the start header is empty (the archive was never finished): its members cannot \
             be listed",
        );
    }
    if crc32fast::hash(&start[12..32]) != crc {
        return damaged("the start header's CRC is wrong");
    }
    let offset = u64::from_le_bytes(start[12..20].try_into().unwrap_or_default());
    let size = u64::from_le_bytes(start[20..28].try_into().unwrap_or_default());
    let header_crc = u32::from_le_bytes(start[28..32].try_into().unwrap_or_default());
    let end = 32u64.checked_add(offset).and_then(|o| o.checked_add(size));
    if end.is_none_or(|end| end > len) {
        return refuse(format!(
            "cut short: the header ({size} bytes at offset {offset}) lies past the end of the \
             file ({len} bytes), so no member can be listed"
        ));
    }
    if size == 0 {
        return Ok(Layout {
            files: 0,
            memory: 0,
            folder_memory: Vec::new(),
        });
    }
    if size > room {
        return refuse(format!(
            "its header ({size} bytes) is larger than what is left of max_buffered ({room} \
             bytes): not opened"
        ));
    }
    let mut raw = vec![0u8; size as usize];
    file.seek(SeekFrom::Start(32 + offset)).map_err(io)?;
    file.read_exact(&mut raw).map_err(io)?;
    if crc32fast::hash(&raw) != header_crc {
        return damaged("the header's CRC is wrong");
    }
    let data_end = 32 + offset;
    let mut p = Parse {
        max_members,
        data_end,
        memory: size,
        folder_memory: Vec::new(),
        files: 0,
    };
    let mut cur = Cur(&raw);
    match cur.byte()? {
        K_HEADER => p.header(&mut cur)?,
        K_ENCODED_HEADER => {
            let streams = p.streams(&mut cur)?;
            let decoded = p.decode_header(file, &streams, room.saturating_sub(size))?;
            p.memory = p.memory.saturating_add(decoded.len() as u64);
            p.folder_memory.clear();
            let mut cur = Cur(&decoded);
            if cur.byte()? != K_HEADER {
                return damaged("the decoded header does not start with kHeader");
            }
            p.header(&mut cur)?;
        }
        _ => return damaged("neither kHeader nor kEncodedHeader"),
    }
    if p.memory > room {
        return refuse(format!(
            "reading its header would take about {} bytes of memory, more than what is left \
             of max_buffered ({room} bytes): not opened",
            p.memory
        ));
    }
    Ok(Layout {
        files: p.files,
        memory: p.memory,
        folder_memory: p.folder_memory,
    })
}

/// `StreamsInfo`: pack streams and folders.
struct Streams {
    pack_pos: u64,
    pack_sizes: Vec<u64>,
    folders: Vec<Folder>,
    substreams: u64,
}

struct Parse {
    max_members: u64,
    /// Where packed streams must end: the header's own offset.
    data_end: u64,
    memory: u64,
    folder_memory: Vec<u64>,
    files: u64,
}

impl Parse {
    fn header(&mut self, cur: &mut Cur) -> R<()> {
        let mut id = cur.byte()?;
        if id == K_ARCHIVE_PROPERTIES {
            while cur.byte()? != K_END {
                let size = cur.number()?;
                cur.take(size)?;
            }
            id = cur.byte()?;
        }
        if id == K_ADDITIONAL_STREAMS {
            return damaged("additional streams are not supported");
        }
        let mut streams = Streams {
            pack_pos: 0,
            pack_sizes: Vec::new(),
            folders: Vec::new(),
            substreams: 0,
        };
        if id == K_MAIN_STREAMS {
            streams = self.streams(cur)?;
            id = cur.byte()?;
        }
        self.folder_memory = streams.folders.iter().map(decoder_memory).collect();
        if id == K_FILES {
            let with_data = self.files(cur)?;
            if with_data != streams.substreams {
                return damaged(&format!(
                    "{with_data} files have data but the streams hold {}",
                    streams.substreams
                ));
            }
            id = cur.byte()?;
        } else if streams.substreams > 0 {
            return damaged("streams but no files");
        }
        if id != K_END {
            return damaged("the header does not end with kEnd");
        }
        Ok(())
    }

    fn streams(&mut self, cur: &mut Cur) -> R<Streams> {
        let mut s = Streams {
            pack_pos: 0,
            pack_sizes: Vec::new(),
            folders: Vec::new(),
            substreams: 0,
        };
        let mut id = cur.byte()?;
        if id == K_PACK_INFO {
            s.pack_pos = cur.number()?;
            let n = cur.count("pack stream", 1, self.max_members)?;
            id = cur.byte()?;
            if id == K_SIZE {
                for _ in 0..n {
                    s.pack_sizes.push(cur.number()?);
                }
                id = cur.byte()?;
            } else if n > 0 {
                return damaged("pack sizes missing");
            }
            if id == K_CRC {
                let defined = cur.defined(n)?;
                cur.take(defined * 4)?;
                id = cur.byte()?;
            }
            if id != K_END {
                return damaged("PackInfo does not end with kEnd");
            }
            id = cur.byte()?;
        }
        if id == K_UNPACK_INFO {
            cur.expect(K_FOLDER, "kFolder")?;
            let n = cur.count("folder", 2, self.max_members)?;
            if cur.byte()? != 0 {
                return damaged("external folders are not supported");
            }
            for _ in 0..n {
                s.folders.push(folder(cur)?);
            }
            cur.expect(K_CODERS_UNPACK_SIZE, "kCodersUnpackSize")?;
            for f in &mut s.folders {
                for _ in 0..f.coders.len() {
                    f.unpack.push(cur.number()?);
                }
            }
            id = cur.byte()?;
            if id == K_CRC {
                let bytes = cur.take(1)?[0];
                let all = bytes != 0;
                let mut flags = vec![all; n];
                if !all {
                    let bits = cur.take(n.div_ceil(8) as u64)?;
                    for (i, flag) in flags.iter_mut().enumerate() {
                        *flag = bits[i / 8] & (0x80 >> (i % 8)) != 0;
                    }
                }
                for (f, flag) in s.folders.iter_mut().zip(flags) {
                    if flag {
                        let crc = cur.take(4)?;
                        f.crc = Some(u32::from_le_bytes(crc.try_into().unwrap_or_default()));
                    }
                }
                id = cur.byte()?;
            }
            if id != K_END {
                return damaged("UnpackInfo does not end with kEnd");
            }
            id = cur.byte()?;
        }
        if id == K_SUB_STREAMS {
            self.substreams(cur, &mut s)?;
            id = cur.byte()?;
        }
        if id != K_END {
            return damaged("StreamsInfo does not end with kEnd");
        }
        let packed: usize = s.folders.iter().map(|f| f.packed).sum();
        if packed != s.pack_sizes.len() {
            return damaged("the folders do not use exactly the pack streams there are");
        }
        let end = s
            .pack_sizes
            .iter()
            .try_fold(32u64.checked_add(s.pack_pos), |end, &size| {
                Some(end?.checked_add(size))
            })
            .flatten();
        if end.is_none_or(|end| end > self.data_end) {
            return refuse(
                "cut short or damaged: its packed streams reach past the start of its header",
            );
        }
        self.memory = self
            .memory
            .saturating_add(s.pack_sizes.len() as u64 * 24)
            .saturating_add(s.substreams * 24);
        for f in &s.folders {
            let props: usize = f.props.iter().map(Vec::len).sum();
            self.memory = self
                .memory
                .saturating_add((size_of::<Block>() + 64 + f.coders.len() * 96 + props) as u64);
        }
        Ok(s)
    }

    fn substreams(&mut self, cur: &mut Cur, s: &mut Streams) -> R<()> {
        for f in &mut s.folders {
            f.substreams = 1;
        }
        let mut id = cur.byte()?;
        if id == K_NUM_UNPACK_STREAM {
            for f in &mut s.folders {
                f.substreams = cur.number()?;
                if f.substreams > self.max_members {
                    return damaged("too many streams in one folder");
                }
            }
            id = cur.byte()?;
        }
        let total = s
            .folders
            .iter()
            .try_fold(0u64, |t, f| t.checked_add(f.substreams));
        s.substreams = match total {
            Some(t) if t <= self.max_members => t,
            _ => return damaged("more streams than max_members"),
        };
        for f in &s.folders {
            if f.substreams == 0 {
                continue;
            }
            let mut sum = 0u64;
            if id == K_SIZE {
                for _ in 1..f.substreams {
                    sum = sum.checked_add(cur.number()?).ok_or_else(|| Refused {
                        why: "header damaged: sizes overflow".into(),
                    })?;
                }
            }
            if sum > f.unpack.get(f.main).copied().unwrap_or(0) {
                return damaged("a folder's files are larger than the folder");
            }
        }
        if id == K_SIZE {
            id = cur.byte()?;
        }
        let digests: u64 = s
            .folders
            .iter()
            .filter(|f| !(f.substreams == 1 && f.crc.is_some()))
            .map(|f| f.substreams)
            .sum();
        if id == K_CRC {
            let defined = cur.defined(digests as usize)?;
            cur.take(defined * 4)?;
            id = cur.byte()?;
        }
        if id != K_END {
            return damaged("SubStreamsInfo does not end with kEnd");
        }
        Ok(())
    }

    /// `FilesInfo`; returns how many files have data (are not empty streams).
    fn files(&mut self, cur: &mut Cur) -> R<u64> {
        let n = cur.number()?;
        if n > self.max_members {
            return refuse(format!(
                "the header declares {n} entries, more than max_members ({}): no member was \
                 looked for",
                self.max_members
            ));
        }
        self.files = n;
        let n = n as usize;
        self.memory = self
            .memory
            .saturating_add((n as u64).saturating_mul((size_of::<ArchiveEntry>() + 24) as u64));
        let mut empty: Option<u64> = None;
        loop {
            let kind = cur.byte()?;
            if kind == K_END {
                break;
            }
            let size = cur.number()?;
            let mut sub = Cur(cur.take(size)?);
            match kind {
                K_EMPTY_STREAM => empty = Some(sub.bits(n)?),
                K_EMPTY_FILE | K_ANTI => {
                    let Some(e) = empty else {
                        return damaged("kEmptyFile or kAnti before kEmptyStream");
                    };
                    sub.bits(e as usize)?;
                }
                K_NAME => {
                    if sub.byte()? != 0 {
                        return damaged("external names are not supported");
                    }
                    let (count, utf8) = names(sub.0)?;
                    if count != n as u64 {
                        return damaged("not one name per file");
                    }
                    self.memory = self.memory.saturating_add(utf8);
                    sub.0 = &[];
                }
                K_CTIME..=K_WIN_ATTRIBUTES => {
                    let defined = sub.defined(n)?;
                    if sub.byte()? != 0 {
                        return damaged("external times or attributes are not supported");
                    }
                    let each = if kind == K_WIN_ATTRIBUTES { 4 } else { 8 };
                    sub.take(defined * each)?;
                }
                K_START_POS => return damaged("kStartPos is not supported"),
                _ => sub.0 = &[],
            }
            if !sub.0.is_empty() {
                return damaged("a file property's size does not match its fields");
            }
        }
        Ok(n as u64 - empty.unwrap_or(0))
    }

    /// Decodes an encoded header's one folder (LZMA, LZMA2 or copy, as 7-Zip writes them).
    fn decode_header<F: Read + Seek>(
        &self,
        file: &mut F,
        streams: &Streams,
        room: u64,
    ) -> R<Vec<u8>> {
        let Some(f) = streams.folders.first() else {
            return damaged("an encoded header without a folder");
        };
        if f.coders.iter().any(|c| c.as_slice() == AES) {
            return refuse(
                "its header is encrypted (7z -mhe): names and sizes cannot be read without \
                 the password, which is never asked for: no member was looked for",
            );
        }
        let size = f.unpack.get(f.main).copied().unwrap_or(0);
        if size > room || streams.pack_sizes[0] > room {
            return refuse(format!(
                "its encoded header unpacks to {size} bytes, more than what is left of \
                 max_buffered: not opened"
            ));
        }
        let [coder] = &f.coders[..] else {
            return damaged("an encoded header with several coders");
        };
        let io = |e: std::io::Error| Refused {
            why: format!("header damaged or not supported: {e}"),
        };
        file.seek(SeekFrom::Start(32 + streams.pack_pos))
            .map_err(io)?;
        let packed = file.take(streams.pack_sizes[0]);
        let props = &f.props[0];
        let mut out = Vec::new();
        let mut reader: Box<dyn Read + '_> = match coder.as_slice() {
            COPY => Box::new(packed),
            LZMA if props.len() >= 5 => {
                let dict = u32::from_le_bytes(props[1..5].try_into().unwrap_or_default());
                Box::new(
                    lzma_rust2::LzmaReader::new_with_props(packed, size, props[0], dict, None)
                        .map_err(io)?,
                )
            }
            LZMA2 if !props.is_empty() && props[0] <= 40 => {
                // Distances never reach past the output, so a dictionary the size of the output
                // is enough, whatever the property says.
                let dict =
                    lzma2_dict(props[0]).min(u32::try_from(size.max(4096)).unwrap_or(u32::MAX));
                Box::new(lzma_rust2::Lzma2Reader::new(packed, dict, None))
            }
            _ => return damaged("an encoded header compressed in a way not supported"),
        };
        reader
            .by_ref()
            .take(size)
            .read_to_end(&mut out)
            .map_err(io)?;
        if out.len() as u64 != size || f.crc.is_some_and(|crc| crc != crc32fast::hash(&out)) {
            return damaged("the encoded header does not decode to its size and CRC");
        }
        Ok(out)
    }
}

/// Counts the names in a `kName` property as the library splits them (UTF-16LE, each ended
/// by a 0 unit or by the end), and how many bytes they take as UTF-8.
fn names(raw: &[u8]) -> R<(u64, u64)> {
    if !raw.len().is_multiple_of(2) {
        return damaged("file names of odd length");
    }
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .collect();
    let (mut count, mut utf8) = (0u64, 0u64);
    for name in units.split_inclusive(|&u| u == 0) {
        let name = name.strip_suffix(&[0]).unwrap_or(name);
        for ch in char::decode_utf16(name.iter().copied()) {
            match ch {
                Ok(ch) => utf8 += ch.len_utf8() as u64,
                Err(_) => return damaged("a file name is not valid UTF-16"),
            }
        }
        count += 1;
        utf8 += 24;
    }
    Ok((count, utf8))
}
