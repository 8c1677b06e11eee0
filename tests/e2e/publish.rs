//! `prov publish DIR`: the static C2SP tlog-tiles tree it writes, served over HTTP by a real
//! server (python3's `http.server` on 127.0.0.1) and read by an independent client that shares
//! no code with prov: Cloudflare's `tlog_tiles` (tile coordinates and paths, the
//! authenticating tile reader, tree hashes, inclusion and consistency proofs) and
//! `signed_note` (the checkpoint's signature). No prov crate is used on the client side: prov
//! is only the binary that builds the ledger and prints the checkpoints and proofs the tiles
//! must agree with.
//!
//! What a user of the published folder relies on, and what this checks:
//! - the `checkpoint` there is the ledger's latest, signed by the key `prov key` prints, and
//!   after every publish the tiles and entry bundles present cover it (the tiles give its root,
//!   every bundle is there);
//! - for every tree size that ever had a checkpoint, the tiles give that checkpoint's root
//!   (a partial tile that is gone falls back to its full tile's prefix, as the spec lets a
//!   client do);
//! - inclusion proofs computed from the tiles are the ones `prov prove` prints, and the entry
//!   it proves is the one in the entry bundle; consistency proofs computed from the tiles are
//!   the ones `prov consistency` prints;
//! - every entry bundle holds exactly its entries, each hashing to its level-0 tile hash;
//! - nothing else is published: every file is the checkpoint or a well-formed tile of the
//!   published size, tiles once published never change (publishes are incremental), a partial
//!   tile is only removed once its full tile is there, and a partial tile's width is that of a
//!   size that had a checkpoint.

use prov_tests::Workspace;
use sha2::{Digest, Sha256};
use signed_note::{Note, StandardVerifier, VerifierList};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use tlog_tiles::{Checkpoint, Hash, HashReader, Tile, TileHashReader, TileReader};

/// C2SP tlog-tiles: tiles are 2^8 = 256 hashes wide (`tlog_tiles` takes the height as a
/// parameter, as Go's sumdb does).
const HEIGHT: u8 = 8;
const FULL: u32 = 1 << HEIGHT;
const HASH_SIZE: usize = tlog_tiles::HASH_SIZE;

// ---- a real HTTP server, and a std-only HTTP/1.0 client --------------------------------

/// `python3 -m http.server` serving a folder on 127.0.0.1, on a port the OS chose; killed
/// (this one child, by its handle) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(root: &Path) -> Server {
        let child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // One log line per request: never read, so never let it fill a pipe.
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 is needed to serve the published folder over HTTP");
        let mut server = Server { child, port: 0 };
        let mut line = String::new();
        BufReader::new(server.child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        server.port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in python's http.server banner: {line:?}"));
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` over HTTP/1.0: the body of a 200, `None` for a 404; anything else fails.
fn http_get(port: u16, path: &str) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("GET {path}: no end of headers"));
    let head = std::str::from_utf8(&resp[..end]).unwrap();
    let body = resp[end + 4..].to_vec();
    let status = head.lines().next().unwrap_or_default();
    let code = status.split(' ').nth(1).unwrap_or_default();
    for h in head.lines().skip(1) {
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            assert_eq!(
                v.trim().parse::<usize>().ok(),
                Some(body.len()),
                "GET {path}"
            );
        }
    }
    match code {
        "200" => Some(body),
        "404" => None,
        _ => panic!("GET {path}: {status}"),
    }
}

// ---- the independent tlog-tiles client -------------------------------------------------

/// The C2SP tlog-tiles URL path of a tile, from `tlog_tiles`' own path: that crate (0.2)
/// writes Go sumdb's `tile/H/L/N[.p/W]` and `tile/H/data/N[.p/W]`, while C2SP tlog-tiles has
/// no height element (always 8) and serves entry bundles at `tile/entries/N[.p/W]`. The `N`
/// encoding (`x001/x234/067`) and the `.p/W` suffix are the crate's, unchanged.
fn spec_path(t: &Tile) -> String {
    let go = t.path();
    let rest = go
        .strip_prefix(&format!("tile/{HEIGHT}/"))
        .unwrap_or_else(|| panic!("tlog_tiles path {go}"));
    match rest.strip_prefix("data/") {
        Some(n) => format!("tile/entries/{n}"),
        None => format!("tile/{rest}"),
    }
}

/// The tile a published file's path names, if it is a canonical C2SP tile path (parsed by
/// `tlog_tiles`' own `Tile::from_path`, which refuses any other encoding of the same tile).
fn tile_of_path(p: &str) -> Option<Tile> {
    let rest = p.strip_prefix("tile/")?;
    let go = match rest.strip_prefix("entries/") {
        Some(n) => format!("tile/{HEIGHT}/data/{n}"),
        None if rest.starts_with("data/") => return None,
        None => format!("tile/{HEIGHT}/{rest}"),
    };
    // `Tile::from_path` panics (an assertion in `Tile::new`) rather than failing on `.p/0`
    // and on levels 64..=255: neither is a tile, so say so before asking it.
    let level = rest.split('/').next()?;
    if p.ends_with(".p/0") || level.parse::<u8>().is_ok_and(|l| l >= 64) {
        return None;
    }
    let t = Tile::from_path(&go).ok()?;
    (spec_path(&t) == p).then_some(t)
}

/// The published log at `http://127.0.0.1:port/log/`, as a tlog-tiles client sees it.
/// Responses are cached by path within one `Log` (tiles are immutable); a new `Log` after
/// each publish.
struct Log {
    port: u16,
    /// The log's URL prefix: `/log/` for the published folder, `/` for `prov serve`.
    prefix: &'static str,
    cache: RefCell<HashMap<String, Option<Vec<u8>>>>,
}

impl Log {
    fn new(port: u16) -> Log {
        Log::at(port, "/log/")
    }

    fn at(port: u16, prefix: &'static str) -> Log {
        Log {
            port,
            prefix,
            cache: RefCell::default(),
        }
    }

    fn get(&self, rel: &str) -> Option<Vec<u8>> {
        if let Some(hit) = self.cache.borrow().get(rel) {
            return hit.clone();
        }
        let got = http_get(self.port, &format!("{}{rel}", self.prefix));
        self.cache.borrow_mut().insert(rel.to_owned(), got.clone());
        got
    }

    fn checkpoint(&self) -> Vec<u8> {
        http_get(self.port, &format!("{}checkpoint", self.prefix))
            .expect("no checkpoint is published")
    }

    /// A tile's resource, or for a partial tile that is gone, its full tile (which the caller
    /// cuts to the partial width), as tlog-tiles lets a client fall back.
    fn fetch(&self, t: Tile) -> (Vec<u8>, bool) {
        if let Some(b) = self.get(&spec_path(&t)) {
            return (b, false);
        }
        let what = spec_path(&t);
        assert!(t.width() < FULL, "full tile {what} is not published");
        let full = Tile::new(HEIGHT, t.level(), t.level_index(), FULL, t.is_data());
        let b = self.get(&spec_path(&full)).unwrap_or_else(|| {
            panic!(
                "neither the partial tile {what} nor its full tile {} is published",
                spec_path(&full)
            )
        });
        (b, true)
    }

    /// A hash tile's `width` hashes.
    fn hash_tile(&self, t: Tile) -> Vec<u8> {
        let (mut b, fell_back) = self.fetch(t);
        let width = if fell_back { FULL } else { t.width() };
        assert_eq!(
            b.len(),
            width as usize * HASH_SIZE,
            "{} holds {} bytes, not {width} hashes",
            spec_path(&t),
            b.len()
        );
        b.truncate(t.width() as usize * HASH_SIZE);
        b
    }

    /// Entry bundle `n` of the tree of `size` entries: exactly its entries.
    fn bundle(&self, n: u64, size: u64) -> Vec<Vec<u8>> {
        let width = u32::try_from((size - n * u64::from(FULL)).min(u64::from(FULL))).unwrap();
        let t = Tile::new(HEIGHT, 0, n, width, true);
        let (b, fell_back) = self.fetch(t);
        let what = if fell_back {
            spec_path(&Tile::new(HEIGHT, 0, n, FULL, true))
        } else {
            spec_path(&t)
        };
        let mut entries = parse_bundle(&b, &what);
        let want = if fell_back { FULL } else { width };
        assert_eq!(entries.len(), want as usize, "entries in {what}");
        entries.truncate(width as usize);
        entries
    }
}

/// An entry bundle: big-endian uint16 length-prefixed entries, nothing after the last.
fn parse_bundle(mut b: &[u8], what: &str) -> Vec<Vec<u8>> {
    let mut entries = Vec::new();
    while !b.is_empty() {
        assert!(b.len() >= 2, "{what}: a length cut short");
        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        assert!(
            b.len() >= 2 + len,
            "{what}: entry {} claims {len} bytes, {} remain",
            entries.len(),
            b.len() - 2
        );
        entries.push(b[2..2 + len].to_vec());
        b = &b[2 + len..];
    }
    entries
}

impl TileReader for Log {
    fn height(&self) -> u8 {
        HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        Ok(tiles.iter().map(|t| self.hash_tile(*t)).collect())
    }

    fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
}

/// The tiles of a tree of `size` entries read as they are, without authenticating them, to
/// compute the root they give (`TileHashReader` refuses tiles that do not give a trusted root,
/// so it cannot tell what root they do give).
struct Unchecked<'a> {
    log: &'a Log,
    size: u64,
}

impl HashReader for Unchecked<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&x| {
                let t = Tile::from_index(HEIGHT, x)
                    .parent(0, self.size)
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)?;
                t.hash_at_index(&self.log.hash_tile(t), x)
            })
            .collect()
    }
}

/// The root hash the published tiles give for the tree of `size` entries.
fn root_from_tiles(log: &Log, size: u64) -> Hash {
    tlog_tiles::tree_hash(size, &Unchecked { log, size })
        .unwrap_or_else(|e| panic!("tree hash of size {size} from the tiles: {e}"))
}

/// A signed checkpoint, verified with `signed_note` under the verifier key `prov key`
/// printed, and parsed with `tlog_tiles`.
fn open_checkpoint(note: &[u8], vkey: &str) -> Checkpoint {
    let shown = String::from_utf8_lossy(note);
    let verifier = StandardVerifier::new(vkey)
        .unwrap_or_else(|e| panic!("`prov key` printed {vkey:?}, not a verifier key: {e}"));
    let n = Note::from_bytes(note).unwrap_or_else(|e| panic!("not a signed note ({e}): {shown}"));
    n.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .unwrap_or_else(|e| panic!("checkpoint signature ({e}): {shown}"));
    let cp = Checkpoint::from_bytes(n.text())
        .unwrap_or_else(|e| panic!("not a checkpoint ({e}): {shown}"));
    assert_eq!(cp.origin(), vkey.split('+').next().unwrap(), "{shown}");
    cp
}

fn hashes(lines: &str, what: &str) -> Vec<Hash> {
    lines
        .lines()
        .map(|l| Hash::parse_hash(l).unwrap_or_else(|e| panic!("{what}: {l:?}: {e}")))
        .collect()
}

// ---- the ledger, built with the real binary, and what it printed ------------------------

/// An inclusion proof as `prov prove SEQ --at SIZE` printed it (C2SP tlog-proof).
struct Inclusion {
    extra: Vec<u8>,
    index: u64,
    proof: Vec<Hash>,
    checkpoint: Vec<u8>,
}

fn parse_tlog_proof(text: &str) -> Inclusion {
    use base64::prelude::*;
    let (head, note) = text
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("no blank line before the checkpoint: {text}"));
    let mut lines = head.split('\n');
    assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"), "{text}");
    let extra = lines
        .next()
        .and_then(|l| l.strip_prefix("extra "))
        .and_then(|b| BASE64_STANDARD.decode(b).ok())
        .unwrap_or_else(|| panic!("no extra line: {text}"));
    let index = lines
        .next()
        .and_then(|l| l.strip_prefix("index "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no index line: {text}"));
    let rest: Vec<&str> = lines.collect();
    Inclusion {
        extra,
        index,
        proof: hashes(&rest.join("\n"), "tlog-proof"),
        checkpoint: note.as_bytes().to_vec(),
    }
}

/// A consistency proof `prov consistency` printed (the tlog-witness body: `old N`, the proof
/// lines, a blank line, the new checkpoint).
struct Consistency {
    old: u64,
    new: u64,
    proof: Vec<Hash>,
}

struct Book {
    w: Workspace,
    vkey: String,
    /// Every size that had a checkpoint, ascending (0: `prov init`'s).
    sizes: Vec<u64>,
    /// The root of `prov checkpoint --size S` for each of them.
    roots: BTreeMap<u64, Hash>,
    consistency: Vec<Consistency>,
    docs: u64,
    runs: u32,
    port: u16,
    /// Every published file after the last publish, for the next one to compare.
    published: BTreeMap<String, Vec<u8>>,
    /// The size of each successful publish, in order.
    publishes: Vec<u64>,
}

impl Book {
    fn size(&self) -> u64 {
        *self.sizes.last().unwrap()
    }

    /// `prov checkpoint --size S`, verified; its root recorded.
    fn record_checkpoint(&mut self, size: u64) {
        let note = self
            .w
            .run(&["checkpoint", "--size", &size.to_string()])
            .ok()
            .to_owned();
        let cp = open_checkpoint(note.as_bytes(), &self.vkey);
        assert_eq!(cp.size(), size, "{note}");
        self.roots.insert(size, *cp.hash());
    }

    /// `prov add --manifest` of `count` new documents, `batch` per checkpoint; then consistency
    /// proofs from a spread of earlier checkpoints to the new latest one.
    fn add(&mut self, count: u64, batch: u64) {
        self.runs += 1;
        let mut manifest = String::new();
        for i in self.docs..self.docs + count {
            let sha = hex::encode(Sha256::digest(format!("document {i}")));
            // Entries of varied lengths (and some without a name) for the bundles' prefixes.
            let name = if i % 17 == 0 {
                String::new()
            } else {
                format!("doc-{i}-{}", "n".repeat((i % 61) as usize))
            };
            manifest.push_str(&format!("{sha} {} {name}\n", i * 7 + 1));
        }
        self.docs += count;
        let file = format!("manifest-{}.txt", self.runs);
        self.w.write(&file, manifest);
        let source = format!("https://leaks.example/dump-{}", self.runs);
        let b = batch.to_string();
        self.w
            .run(&[
                "add",
                "--manifest",
                &file,
                "--source",
                &source,
                "--batch",
                &b,
                "-q",
            ])
            .ok();
        let previous = self.size();
        let end = previous + count;
        let mut s = previous;
        while s < end {
            s = (s + batch).min(end);
            self.sizes.push(s);
            self.record_checkpoint(s);
        }
        let latest = self.w.run(&["checkpoint"]).ok().to_owned();
        assert_eq!(
            open_checkpoint(latest.as_bytes(), &self.vkey).size(),
            end,
            "the latest checkpoint after adding {count} documents by {batch}: {latest}"
        );

        // Old sizes: the first, those at the edges of the first two tiles, the previous run's
        // end, one in the middle, and the latest itself (an empty proof).
        let mut olds: Vec<u64> = [1, 255, 256, 257, 511, 512, 513, previous, end / 2, end]
            .into_iter()
            .filter_map(|t| self.sizes.iter().copied().find(|&s| s >= t && s > 0))
            .collect();
        olds.sort_unstable();
        olds.dedup();
        for old in olds {
            let cp = self
                .w
                .run(&["checkpoint", "--size", &old.to_string()])
                .ok()
                .to_owned();
            let file = format!("checkpoint-{old}.txt");
            self.w.write(&file, cp);
            let text = self.w.run(&["consistency", &file]).ok().to_owned();
            let (head, note) = text
                .split_once("\n\n")
                .unwrap_or_else(|| panic!("no blank line before the checkpoint: {text}"));
            let (first, lines) = head.split_once('\n').unwrap_or((head, ""));
            assert_eq!(first, format!("old {old}"), "{text}");
            let new = open_checkpoint(note.as_bytes(), &self.vkey);
            assert_eq!(new.size(), end, "{text}");
            assert_eq!(new.hash(), &self.roots[&end], "{text}");
            self.consistency.push(Consistency {
                old,
                new: end,
                proof: hashes(lines, "consistency proof"),
            });
        }
    }

    /// `prov publish DIR --json`, then what a client sees: the checkpoint there is the
    /// ledger's latest and the tiles and bundles present cover it, and the folder holds only
    /// well-formed tiles, none of them changed since the last publish.
    fn publish(&mut self) {
        let r = self.w.run(&["publish", "www/log", "--json"]);
        r.ok();
        let reported = r.json()["size"].as_u64();
        assert_eq!(reported, Some(self.size()), "publish --json: {}", r.stdout);
        self.publishes.push(self.size());
        let latest = self.w.run(&["checkpoint"]).ok().to_owned();
        let served = self.check_served(self.size());
        assert_eq!(
            String::from_utf8_lossy(&served),
            latest,
            "the published checkpoint is not `prov checkpoint`'s"
        );
        self.check_folder();
    }

    /// The published checkpoint, over HTTP: signed by the ledger's key, of `size`, and
    /// covered by what is published: the tiles give its root, and every entry bundle it
    /// covers is there, each entry hashing to its level-0 tile hash (read through
    /// `TileHashReader`, which authenticates every tile it uses against that root).
    fn check_served(&self, size: u64) -> Vec<u8> {
        let log = Log::new(self.port);
        let served = log.checkpoint();
        let cp = open_checkpoint(&served, &self.vkey);
        assert_eq!(cp.size(), size, "the published checkpoint's size");
        assert_eq!(
            cp.hash(),
            &self.roots[&size],
            "the published checkpoint's root"
        );
        assert_eq!(
            root_from_tiles(&log, size),
            *cp.hash(),
            "the published tiles do not give the published checkpoint's root (size {size})"
        );
        let reader = TileHashReader::new(size, *cp.hash(), &log);
        for n in 0..size.div_ceil(u64::from(FULL)) {
            check_bundle_hashes(&log, &reader, n, size);
        }
        served
    }

    /// Every published file: the checkpoint, or a canonical tile path whose size fits its
    /// width, within the published size, with a partial width that some checkpoint's size
    /// gives; files published before are unchanged, or are partial tiles whose full tile is
    /// now published.
    fn check_folder(&mut self) {
        let root = self.w.path("www/log");
        let mut files = BTreeMap::new();
        walk(&root, "", &mut files);
        assert!(files.contains_key("checkpoint"), "no checkpoint file");
        let size = self.size();
        for (path, bytes) in &files {
            if path == "checkpoint" {
                continue;
            }
            let t = tile_of_path(path)
                .unwrap_or_else(|| panic!("{path} in the published folder is not a tile"));
            // How many hashes (or entries) of its level the tile reaches to, and the tree size
            // that is.
            let count = t.level_index() * u64::from(FULL) + u64::from(t.width());
            let reach = count << (HEIGHT * t.level());
            assert!(
                reach <= size,
                "{path} reaches entry {reach}, past the published size {size}"
            );
            if t.is_data() {
                let entries = parse_bundle(bytes, path);
                assert_eq!(entries.len(), t.width() as usize, "entries in {path}");
            } else {
                assert_eq!(
                    bytes.len(),
                    t.width() as usize * HASH_SIZE,
                    "{path}: a tile of {} hashes",
                    t.width()
                );
            }
            if t.width() < FULL {
                let shift = HEIGHT * t.level();
                assert!(
                    self.sizes.iter().any(|s| s >> shift == count),
                    "{path}: no checkpoint had a size that gives this partial tile"
                );
            }
        }
        for (path, bytes) in &self.published {
            if path == "checkpoint" {
                continue;
            }
            match files.get(path) {
                Some(now) => assert!(
                    now == bytes,
                    "{path} changed between two publishes: tiles are immutable"
                ),
                None => {
                    let t = tile_of_path(path).unwrap();
                    let full = Tile::new(HEIGHT, t.level(), t.level_index(), FULL, t.is_data());
                    assert!(
                        t.width() < FULL && files.contains_key(&spec_path(&full)),
                        "{path} was removed, and its full tile {} is not published",
                        spec_path(&full)
                    );
                }
            }
        }
        self.published = files;
    }

    /// Everything, once the last publish is done.
    fn verify_all(&self) {
        let log = Log::new(self.port);
        let size = self.size();
        let root = self.roots[&size];
        assert_eq!(
            open_checkpoint(&log.checkpoint(), &self.vkey).size(),
            size,
            "the published checkpoint is not the latest"
        );

        // The root of every tree size that had a checkpoint, from the tiles.
        for &s in &self.sizes {
            assert_eq!(
                root_from_tiles(&log, s),
                self.roots[&s],
                "the published tiles do not give the root of `prov checkpoint --size {s}`"
            );
        }

        // Every entry, from its bundle, hashing to its level-0 tile hash.
        let reader = TileHashReader::new(size, root, &log);
        let mut entries = Vec::new();
        for n in 0..size.div_ceil(u64::from(FULL)) {
            entries.extend(check_bundle_hashes(&log, &reader, n, size));
        }
        assert_eq!(entries.len() as u64, size);
        // The last bundle of every checkpointed size (partial, or the full one's prefix):
        // exactly those entries.
        for &s in &self.sizes {
            if s % u64::from(FULL) != 0 {
                let n = s / u64::from(FULL);
                let start = (n * u64::from(FULL)) as usize;
                assert!(
                    log.bundle(n, s) == entries[start..s as usize],
                    "entry bundle {n} of size {s} is not the entries the tiles commit to"
                );
            }
        }

        // Inclusion proofs, from the tiles and from `prov prove`: every entry within 2 of a
        // tile boundary, and a sample; each at the final size, at its own batch's checkpoint,
        // and at a checkpoint in between.
        let mut seqs: Vec<u64> = (0..size).step_by(97).collect();
        for edge in (0..=size).step_by(FULL as usize) {
            seqs.extend((edge.saturating_sub(2)..edge + 3).filter(|&s| s < size));
        }
        seqs.push(size - 1);
        seqs.sort_unstable();
        seqs.dedup();
        for seq in seqs {
            let later: Vec<u64> = self.sizes.iter().copied().filter(|&s| s > seq).collect();
            let mut at = vec![later[0], later[later.len() / 2], size];
            at.dedup();
            for s in at {
                self.check_inclusion(&log, &entries, seq, s);
            }
        }

        // Consistency proofs, from the tiles and from `prov consistency`.
        for c in &self.consistency {
            let reader = TileHashReader::new(c.new, self.roots[&c.new], &log);
            let ours = tlog_tiles::prove_tree(c.new, c.old, &reader).unwrap_or_else(|e| {
                panic!("consistency {} -> {} from the tiles: {e}", c.old, c.new)
            });
            assert_eq!(
                ours, c.proof,
                "consistency {} -> {}: the tiles' proof is not prov's",
                c.old, c.new
            );
            tlog_tiles::check_tree(
                &c.proof,
                c.new,
                self.roots[&c.new],
                c.old,
                self.roots[&c.old],
            )
            .unwrap_or_else(|e| panic!("prov's consistency proof {} -> {}: {e}", c.old, c.new));
        }
    }

    fn check_inclusion(&self, log: &Log, entries: &[Vec<u8>], seq: u64, size: u64) {
        let text = self
            .w
            .run(&["prove", &seq.to_string(), "--at", &size.to_string()])
            .ok()
            .to_owned();
        let p = parse_tlog_proof(&text);
        assert_eq!(p.index, seq, "{text}");
        let cp = open_checkpoint(&p.checkpoint, &self.vkey);
        assert_eq!(cp.size(), size, "{text}");
        assert_eq!(cp.hash(), &self.roots[&size], "{text}");
        assert!(
            p.extra == entries[seq as usize],
            "entry {seq}: the entry `prov prove` proves is not the one in its entry bundle"
        );
        let reader = TileHashReader::new(size, self.roots[&size], log);
        let ours = tlog_tiles::prove_record(size, seq, &reader)
            .unwrap_or_else(|e| panic!("inclusion of {seq} in {size} from the tiles: {e}"));
        assert_eq!(
            ours, p.proof,
            "inclusion of {seq} in {size}: the tiles' proof is not prov's"
        );
        tlog_tiles::check_record(
            &p.proof,
            size,
            self.roots[&size],
            seq,
            tlog_tiles::record_hash(&p.extra),
        )
        .unwrap_or_else(|e| panic!("prov's inclusion proof of {seq} in {size}: {e}"));
    }
}

/// Entry bundle `n` of the tree of `size` entries, each entry checked against its level-0
/// hash as `reader` (authenticated against that tree's root) reads it.
/// The tlog-tiles tree a server at `127.0.0.1:port` serves at `/`, read and verified as any
/// tlog-tiles client would, with no prov code: its checkpoint signed by `vkey`, the root its
/// tiles give equal to the checkpoint's, and every entry of every bundle hashing to its
/// level-0 hash (through `TileHashReader`, which authenticates each tile against the root).
/// Returns the checkpoint's size and every entry's bytes, in order.
pub(crate) fn verified_tree(port: u16, vkey: &str) -> (u64, Vec<Vec<u8>>) {
    let log = Log::at(port, "/");
    let cp = open_checkpoint(&log.checkpoint(), vkey);
    let size = cp.size();
    assert_eq!(
        root_from_tiles(&log, size),
        *cp.hash(),
        "the served tiles do not give the served checkpoint's root (size {size})"
    );
    let reader = TileHashReader::new(size, *cp.hash(), &log);
    let mut entries = Vec::new();
    for n in 0..size.div_ceil(u64::from(FULL)) {
        entries.extend(check_bundle_hashes(&log, &reader, n, size));
    }
    (size, entries)
}

fn check_bundle_hashes(log: &Log, reader: &TileHashReader<'_>, n: u64, size: u64) -> Vec<Vec<u8>> {
    let entries = log.bundle(n, size);
    let first = n * u64::from(FULL);
    let indexes: Vec<u64> = (first..first + entries.len() as u64)
        .map(|i| tlog_tiles::stored_hash_index(0, i))
        .collect();
    let leaves = reader
        .read_hashes(&indexes)
        .unwrap_or_else(|e| panic!("level-0 hashes of bundle {n} at size {size}: {e}"));
    for (i, (e, h)) in entries.iter().zip(&leaves).enumerate() {
        assert_eq!(
            tlog_tiles::record_hash(e),
            *h,
            "entry {} in its bundle does not hash to its level-0 tile hash",
            first + i as u64
        );
    }
    entries
}

/// Every file under `dir`, by its path relative to the published folder.
fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().expect("a UTF-8 file name");
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            walk(&e.path(), &path, out);
        } else {
            assert!(ty.is_file(), "{path} in the published folder is not a file");
            out.insert(path, std::fs::read(e.path()).unwrap());
        }
    }
}

#[test]
fn a_published_tree_is_verified_over_http_by_an_independent_tlog_tiles_client() {
    let w = Workspace::new();
    let vkey = w.init();
    assert_eq!(w.run(&["key"]).ok().trim(), vkey);
    std::fs::create_dir(w.path("www")).unwrap();
    let server = Server::start(&w.path("www"));
    let mut b = Book {
        w,
        vkey,
        sizes: vec![0],
        roots: BTreeMap::new(),
        consistency: Vec::new(),
        docs: 0,
        runs: 0,
        port: server.port,
        published: BTreeMap::new(),
        publishes: Vec::new(),
    };
    b.record_checkpoint(0);

    // The empty ledger: a checkpoint of size 0 and nothing else to serve.
    b.publish();
    // Publishes at varied sizes, some after several runs: 250, then one entry per checkpoint
    // through 255, 256, 257 ... 511, 512, 513 to 520; by 7 to 1020; by 256 across 1024 to
    // 1280; one entry (1281), published twice; by 333 and 31 to 2560, a tile boundary (no
    // partial level-0 tile); one by one to 2600.
    b.add(250, 50);
    b.publish();
    b.add(270, 1);
    b.publish();
    b.add(500, 7);
    b.add(260, 256);
    b.publish();
    b.add(1, 1);
    b.publish();
    let before = b.published.clone();
    b.publish();
    assert!(
        b.published == before,
        "publishing again with nothing new changed the published folder"
    );
    b.add(1000, 333);
    b.add(279, 31);
    assert_eq!(b.size(), 2560);
    b.publish();
    b.add(40, 1);
    // A publish that cannot finish (where tile 10's partial entry bundles go, a file is in
    // the way) fails, and leaves the checkpoint published before, which the tiles still
    // cover; once the obstacle is gone, the next publish completes.
    let obstacle = b.w.write("www/log/tile/entries/010.p", "not a folder");
    let r = b.w.run(&["publish", "www/log", "--json"]);
    assert_ne!(
        r.code, 0,
        "publish succeeded though tile/entries/010.p is a file: {}",
        r.stdout
    );
    r.fails_json(5, "not a folder");
    b.check_served(2560);
    std::fs::remove_file(obstacle).unwrap();
    b.publish();
    assert_eq!(b.size(), 2600);
    assert_eq!(b.sizes.len(), 404, "{:?}", b.sizes);
    assert_eq!(
        b.publishes,
        [0, 250, 520, 1280, 1281, 1281, 2560, 2600],
        "publishes"
    );

    b.verify_all();
    drop(server);
}

/// The client's paths are C2SP tlog-tiles paths: the spec's own examples, through
/// `tlog_tiles`' tile coordinates.
#[test]
fn the_client_reads_tiles_at_the_c2sp_paths() {
    // "index 1234067 will be encoded as x001/x234/067"
    let t = Tile::new(HEIGHT, 0, 1_234_067, FULL, false);
    assert_eq!(spec_path(&t), "tile/0/x001/x234/067");
    assert_eq!(tile_of_path("tile/0/x001/x234/067"), Some(t));
    let e = Tile::new(HEIGHT, 0, 1_234_067, 5, true);
    assert_eq!(spec_path(&e), "tile/entries/x001/x234/067.p/5");
    assert_eq!(tile_of_path("tile/entries/x001/x234/067.p/5"), Some(e));
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level
    // 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and
    // one partial level 2 tile of width 1"
    let paths: Vec<String> = Tile::new_tiles(HEIGHT, 0, 70_000)
        .iter()
        .map(spec_path)
        .collect();
    assert_eq!(paths.len(), 273 + 4);
    assert_eq!(paths[0], "tile/0/000");
    assert_eq!(paths[272], "tile/0/272");
    assert_eq!(
        paths[273..],
        [
            "tile/0/273.p/112",
            "tile/1/000",
            "tile/1/001.p/17",
            "tile/2/000.p/1"
        ]
    );
    // Not tiles: another encoding of the same index, an empty or a full-width partial tile,
    // a level beyond 63, Go sumdb's height element and `data` level.
    for p in [
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/64/000",
        "tile/8/0/000",
        "tile/data/000",
        "tile/entries/000.p/",
        "checkpoint.tmp",
    ] {
        assert_eq!(tile_of_path(p), None, "{p}");
    }
}
