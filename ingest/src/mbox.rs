//! Mbox mailboxes (RFC 4155): messages separated by `From ` lines. Each message is a member:
//! the bytes after its `From ` line up to the next one, without the empty line that ends it
//! (the separator belongs to the mailbox, as Python's `mailbox.mbox` reads it). `>From `
//! quoting is left as stored: the bytes are the mailbox's, not a guess at the original.
//!
//! Streamed: one message at a time goes through the walk, so a mailbox of any size is read in
//! bounded memory (each message is still held whole while it is parsed as an email).

use crate::found::Completeness;
use crate::walk::{Entry, Walker};
use std::io::{self, BufRead, BufReader, Read};

/// Lines are read in pieces of at most this many bytes.
const PIECE: u64 = 64 * 1024;

pub(crate) fn walk(
    w: &mut Walker,
    input: &mut dyn Read,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    let mut c = Completeness::default();
    let mut src = BufReader::with_capacity(1 << 16, input);
    // The first line is a `From ` line (that is how the mbox was sniffed).
    let mut first = Vec::new();
    if let Err(e) = (&mut src).take(PIECE).read_until(b'\n', &mut first) {
        c.stopped = Some(format!("read error: {e}"));
        let note = c.stopped.clone();
        return (c, note);
    }
    let mut number = 0u64;
    loop {
        if let Some(why) = w.shared.halted() {
            c.stopped = Some(why);
            break;
        }
        number += 1;
        let mut entry = Entry::new(parent, depth, Vec::new());
        entry.locator = Some(number.to_string());
        let mut message = Message::new(&mut src);
        let outcome = w.member(entry, &mut message);
        Message::drain(&mut message);
        let (next, error) = (message.next_from, message.error.take());
        // Listed if not recorded as results show it, by its position: `#N`.
        c.record(format!("#{number}").as_bytes(), outcome);
        if let Some(e) = error {
            c.stopped = Some(format!("read error: {e}"));
            break;
        }
        if !next {
            break;
        }
    }
    let note = c.stopped.clone();
    (c, note)
}

/// One message's bytes, read line by line up to the next `From ` line.
struct Message<'a, R: BufRead> {
    src: &'a mut R,
    /// Bytes ready to give out.
    out: Vec<u8>,
    at: usize,
    /// An empty line held back: it is part of the message only if a line follows it that
    /// is not a `From ` line.
    held: Vec<u8>,
    line_start: bool,
    done: bool,
    /// Whether the message ended at a `From ` line (so another message follows).
    next_from: bool,
    error: Option<io::Error>,
}

impl<'a, R: BufRead> Message<'a, R> {
    fn new(src: &'a mut R) -> Self {
        Message {
            src,
            out: Vec::new(),
            at: 0,
            held: Vec::new(),
            line_start: true,
            done: false,
            next_from: false,
            error: None,
        }
    }

    fn drain(reader: &mut Self) {
        let _ = io::copy(reader, &mut io::sink());
    }

    /// Reads the next piece of a line into `out`; false at the message's end.
    fn refill(&mut self) -> bool {
        let mut line = Vec::new();
        match (&mut *self.src).take(PIECE).read_until(b'\n', &mut line) {
            Ok(0) => return false, // end of mailbox: a held empty line is the separator
            Ok(_) => {}
            Err(e) => {
                self.error = Some(e);
                return false;
            }
        }
        if self.line_start && line.starts_with(b"From ") {
            // The rest of this `From ` line (if longer than a piece) is skipped with it.
            while !line.ends_with(b"\n") {
                line.clear();
                match (&mut *self.src).take(PIECE).read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        self.error = Some(e);
                        break;
                    }
                }
            }
            self.next_from = true;
            return false;
        }
        let empty = self.line_start && (line == b"\n" || line == b"\r\n");
        self.out.clear();
        self.at = 0;
        self.out.append(&mut self.held);
        if empty {
            self.held = line.clone();
        } else {
            self.out.extend_from_slice(&line);
        }
        self.line_start = line.ends_with(b"\n");
        true
    }
}

impl<R: BufRead> Read for Message<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if self.done || !self.refill() {
                self.done = true;
                return match &self.error {
                    Some(e) => Err(io::Error::new(e.kind(), e.to_string())),
                    None => Ok(0),
                };
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
