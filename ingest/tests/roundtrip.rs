//! Property: random trees of nested tar, zip and gzip, written with the `tar`, `zip` and
//! `flate2` writers, walk back to exactly their files: every file found once, under its
//! path, with its SHA-256 and size, and nothing else.

mod common;

use common::{check_order, sha};
use flate2::Compression;
use flate2::write::GzEncoder;
use prop::collection::vec;
use proptest::prelude::*;
use prov_ingest::{Found, Hashed, Limits, walk_reader};
use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::ops::ControlFlow;
use zip::write::SimpleFileOptions;

#[derive(Clone, Debug)]
enum Node {
    File(Vec<u8>),
    Tar(Vec<Node>),
    Zip(Vec<Node>, bool),
    Gz(Box<Node>),
}

fn tree() -> impl Strategy<Value = Node> {
    let leaf = vec(any::<u8>(), 0..3000).prop_map(|mut b| {
        b.splice(0..0, *b"data:"); // never sniffed as a container
        Node::File(b)
    });
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Node::Tar),
            (vec(inner.clone(), 0..5), any::<bool>()).prop_map(|(v, d)| Node::Zip(v, d)),
            inner.prop_map(|n| Node::Gz(Box::new(n))),
        ]
    })
}

fn name(i: usize) -> String {
    format!("dir/m{i}")
}

/// The bytes of a node.
fn bytes(node: &Node) -> Vec<u8> {
    match node {
        Node::File(b) => b.clone(),
        Node::Tar(members) => {
            let mut t = tar::Builder::new(Vec::new());
            for (i, m) in members.iter().enumerate() {
                let data = bytes(m);
                let mut h = tar::Header::new_ustar();
                h.set_size(data.len() as u64);
                h.set_mode(0o644);
                h.set_mtime(1_700_000_000);
                t.append_data(&mut h, name(i), &data[..]).unwrap();
            }
            t.into_inner().unwrap()
        }
        Node::Zip(members, deflate) => {
            let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let method = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            for (i, m) in members.iter().enumerate() {
                let options = SimpleFileOptions::default().compression_method(method);
                z.start_file(name(i), options).unwrap();
                z.write_all(&bytes(m)).unwrap();
            }
            z.finish().unwrap().into_inner()
        }
        Node::Gz(inner) => {
            let mut g = GzEncoder::new(Vec::new(), Compression::fast());
            g.write_all(&bytes(inner)).unwrap();
            g.finish().unwrap()
        }
    }
}

/// Every file under `node`, by its path chain from the top, with its bytes.
fn files(node: &Node, chain: Vec<Vec<u8>>, out: &mut BTreeMap<Vec<Vec<u8>>, Vec<u8>>) {
    let members: Vec<(Vec<u8>, &Node)> = match node {
        Node::File(_) => return,
        Node::Tar(m) | Node::Zip(m, _) => m
            .iter()
            .enumerate()
            .map(|(i, n)| (name(i).into_bytes(), n))
            .collect(),
        Node::Gz(n) => vec![(Vec::new(), &**n)],
    };
    for (path, member) in members {
        let mut chain = chain.clone();
        chain.push(path);
        match member {
            Node::File(b) => {
                out.insert(chain.clone(), b.clone());
            }
            // An empty tar is 1024 zero bytes: nothing tells it is a tar, so it is a file.
            Node::Tar(m) if m.is_empty() => {
                out.insert(chain.clone(), bytes(member));
            }
            _ => {}
        }
        files(member, chain, out);
    }
}

fn chain_of(found: &[Found], f: &Found) -> Vec<Vec<u8>> {
    let mut chain = vec![f.path.clone()];
    let mut at = f.parent;
    while let Some(p) = at {
        chain.insert(0, found[p as usize].path.clone());
        at = found[p as usize].parent;
    }
    chain
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nested_archives_round_trip(node in tree()) {
        let top = bytes(&node);
        let mut found = Vec::new();
        let summary = walk_reader(&mut &top[..], &Limits::default(), &mut |f| {
            found.push(f);
            ControlFlow::Continue(())
        })
        .unwrap();
        check_order(&found);
        prop_assert_eq!(summary.sha256, sha(&top));
        let mut expected = BTreeMap::new();
        files(&node, Vec::new(), &mut expected);
        let mut got = BTreeMap::new();
        for f in &found {
            prop_assert_eq!(f.hashed, Hashed::Content);
            prop_assert!(f.note.is_none(), "{:?}", f);
            if !f.kind.is_container() {
                prop_assert!(got.insert(chain_of(&found, f), (f.sha256, f.size)).is_none());
            }
        }
        let expected: BTreeMap<_, _> = expected
            .into_iter()
            .map(|(k, v)| (k, (sha(&v), v.len() as u64)))
            .collect();
        prop_assert_eq!(got, expected);
    }
}

/// The magic numbers and headers the walk opens containers by.
const MAGICS: &[&[u8]] = &[
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b\x08",
    b"From a@b Mon Jan  1 00:00:00 2024\nFrom: a\nSubject: s\n",
    b"From: a@b\nSubject: s\nContent-Type: multipart/mixed; boundary=x\n\n--x\n",
    b"",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Garbage after a magic number, and real archives cut or with a byte changed: the walk
    /// never panics, never fails (the input is a reader that does not fail), and keeps its
    /// visiting order.
    #[test]
    fn damaged_input_never_panics(
        node in tree(),
        magic in 0..MAGICS.len(),
        garbage in vec(any::<u8>(), 0..2000),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let limits = Limits {
            max_total_bytes: 1 << 24,
            max_buffered: 1 << 22,
            max_members: 10_000,
            ..Limits::default()
        };
        let mut junk = MAGICS[magic].to_vec();
        junk.extend_from_slice(&garbage);
        let mut damaged = bytes(&node);
        if !damaged.is_empty() {
            let at = flip.index(damaged.len());
            damaged[at] ^= byte;
            damaged.truncate(cut.index(damaged.len()) + 1);
        }
        for input in [junk, damaged] {
            let mut found = Vec::new();
            let summary = walk_reader(&mut &input[..], &limits, &mut |f| {
                found.push(f);
                ControlFlow::Continue(())
            });
            let summary = summary.unwrap();
            prop_assert_eq!(summary.sha256, sha(&input));
            check_order(&found);
        }
    }
}
