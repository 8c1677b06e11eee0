//! The link index a server keeps in memory (`link_index.rs`) answers as the pass over the
//! log does (`Ledger::links_to`): the same linking entries, links and count past the limit,
//! for every entry and for sets of them, on a ledger of documents linked to earlier ones
//! (`altered_copy_of`, `contained_in`), claims about documents and about claims, with
//! evidence, and retractions; the index extended batch by batch as a server's is.
#![forbid(unsafe_code)]

use prov_ledger::{Content, Kind, Ledger, LinkIndex, NewClaim, NewDocument, Related, Verdict};
use sha2::{Digest, Sha256};

const T0: u64 = 1_767_225_600_000;

fn doc(n: u64, related: Vec<Related>) -> NewDocument {
    let content = format!("document {n}");
    NewDocument {
        content: Content {
            sha256: Sha256::digest(content.as_bytes()).into(),
            size: content.len() as u64,
            ..Default::default()
        },
        source: "test".into(),
        related,
        ..Default::default()
    }
}

fn same(l: &Ledger, index: &LinkIndex, targets: &[u64]) -> usize {
    let pass = l.links_to(targets).unwrap();
    let indexed = l.links_to_indexed(targets, index).unwrap();
    let seqs = |s: &prov_ledger::Story| s.linking.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(&indexed),
        seqs(&pass),
        "linking entries of {targets:?}"
    );
    assert_eq!(indexed.links, pass.links, "links of {targets:?}");
    assert_eq!(indexed.more, pass.more);
    pass.links.len()
}

#[test]
fn the_index_answers_as_the_pass_over_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(&tmp.path().join("ledger"), "test.example/links").unwrap();
    let mut state = 7u64;
    let mut pick = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut index = LinkIndex::default();
    let mut n = 0u64;
    let mut claims: Vec<u64> = Vec::new();
    let mut links = 0;
    for round in 0..12 {
        // A batch of documents, some linked to earlier entries.
        let size = l.size();
        let docs: Vec<NewDocument> = (0..5)
            .map(|_| {
                n += 1;
                let mut related = Vec::new();
                if size > 0 && pick(2) == 0 {
                    related.push(Related {
                        relation: "altered_copy_of".into(),
                        seq: pick(size),
                    });
                }
                if size > 0 && pick(3) == 0 {
                    related.push(Related {
                        relation: "contained_in".into(),
                        seq: pick(size),
                    });
                }
                doc(n, related)
            })
            .collect();
        l.append(&docs, T0 + round).unwrap();
        // Claims about entries (documents or claims), with evidence; some retractions.
        for _ in 0..3 {
            let size = l.size();
            let retract = !claims.is_empty() && pick(4) == 0;
            let about = if retract {
                claims[pick(claims.len() as u64) as usize]
            } else {
                pick(size)
            };
            let about_retraction = matches!(
                l.entry(about).unwrap().kind,
                Kind::Claim {
                    verdict: Verdict::Retracted,
                    ..
                }
            );
            if about_retraction {
                continue;
            }
            let c = NewClaim {
                about,
                verdict: Some(if retract {
                    Verdict::Retracted
                } else {
                    Verdict::Forged
                }),
                by: "desk".into(),
                reason: None,
                evidence: if pick(2) == 0 {
                    vec![pick(size)]
                } else {
                    Vec::new()
                },
                agent: None,
                metadata: Default::default(),
            };
            if let Ok((_, e)) = l.claim(&c, T0 + round) {
                claims.push(e.seq);
            }
        }
        l.index_links(&mut index).unwrap();
        assert_eq!(index.size(), l.size());
        for seq in 0..l.size() {
            links += same(&l, &index, &[seq]);
        }
        same(&l, &index, &[0, l.size() / 2, l.size() - 1]);
        same(&l, &index, &[]);
    }
    assert!(claims.len() > 10, "claims made: {}", claims.len());
    assert!(links > 100, "links found: {links}");
    // An index of another length is refused, not trusted.
    assert!(l.links_to_indexed(&[0], &LinkIndex::default()).is_err());
}

/// An index carried over to a log that no longer holds what it was built from (the folder
/// swapped for another ledger, longer or shorter) is rebuilt, never extended: an extended
/// one would keep the old links and miss the new log's.
#[test]
fn an_index_of_another_log_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = Ledger::init(&tmp.path().join("a"), "test.example/a").unwrap();
    a.append(&[doc(1, Vec::new()), doc(2, Vec::new())], T0)
        .unwrap();
    let mut index = LinkIndex::default();
    a.index_links(&mut index).unwrap();
    // Another ledger, longer: its entry 1, within the old index's size, links to entry 0.
    let mut b = Ledger::init(&tmp.path().join("b"), "test.example/b").unwrap();
    b.append(&[doc(10, Vec::new())], T0).unwrap();
    let link = Related {
        relation: "altered_copy_of".into(),
        seq: 0,
    };
    b.append(&[doc(11, vec![link])], T0 + 1).unwrap();
    b.append(&[doc(12, Vec::new())], T0 + 2).unwrap();
    b.index_links(&mut index).unwrap();
    assert_eq!(index.size(), 3);
    assert_eq!(same(&b, &index, &[0]), 1, "entry 1's link to entry 0");
    // And a shorter one.
    let mut c = Ledger::init(&tmp.path().join("c"), "test.example/c").unwrap();
    c.append(&[doc(20, Vec::new())], T0).unwrap();
    c.index_links(&mut index).unwrap();
    assert_eq!(index.size(), 1);
    same(&c, &index, &[0]);
}

/// Past [`prov_ledger::MAX_LINKING`] entries linking to one, the index keeps and counts
/// what the pass keeps and counts.
#[test]
fn past_the_limit_the_index_keeps_and_counts_as_the_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(&tmp.path().join("ledger"), "test.example/many").unwrap();
    l.append(&[doc(0, Vec::new())], T0).unwrap();
    let copy_of_first = || Related {
        relation: "altered_copy_of".into(),
        seq: 0,
    };
    let over = prov_ledger::MAX_LINKING as u64 + 5;
    let mut n = 0u64;
    while n < over {
        let docs: Vec<NewDocument> = (n..over.min(n + 4096))
            .map(|i| doc(i + 1, vec![copy_of_first()]))
            .collect();
        n += docs.len() as u64;
        l.append(&docs, T0 + n).unwrap();
    }
    let mut index = LinkIndex::default();
    l.index_links(&mut index).unwrap();
    same(&l, &index, &[0]);
    let story = l.links_to_indexed(&[0], &index).unwrap();
    assert_eq!(story.linking.len(), prov_ledger::MAX_LINKING);
    assert_eq!(story.more, 5);
}
