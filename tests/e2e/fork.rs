//! A forked ledger (same origin and key, diverging history) and a ledger that rewrote its
//! history are caught by `consistency` and `verify-consistency` against a saved checkpoint.

use prov_tests::Workspace;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn a_fork_is_caught_against_a_saved_checkpoint() {
    let a = Workspace::new();
    let vkey = a.init();
    a.write("d/1.txt", "one");
    a.run(&["add", "d", "--source", "s"]).ok();
    // The operator copies the ledger, key included: two histories under one origin and key.
    let b = Workspace::new();
    copy_dir(&a.ledger(), &b.ledger());
    a.write("d/2.txt", "two (the history auditors saw)");
    a.run(&["add", "d", "--source", "s"]).ok();
    let seen = a.run(&["checkpoint"]).ok().to_owned();
    b.write("d/2.txt", "two (rewritten)");
    b.run(&["add", "d", "--source", "s"]).ok();
    b.write("d/3.txt", "three");
    b.run(&["add", "d", "--source", "s"]).ok();
    // Both audit clean on their own: the fork only shows against the saved checkpoint.
    a.run(&["audit"]).ok();
    b.run(&["audit"]).ok();
    b.write("seen.txt", &seen);
    b.run(&["consistency", "seen.txt"])
        .fails(1, "history was rewritten or forked");
    // A dishonest operator hands over a proof from the fork's own tree: it fails offline.
    let fork_proof = {
        let old = Workspace::new();
        copy_dir(&b.ledger(), &old.ledger());
        // The fork's own checkpoint at size 2, then a proof from it to size 3.
        let cp2 = old.run(&["checkpoint", "--size", "2"]).ok().to_owned();
        old.write("cp2.txt", &cp2);
        old.run(&["consistency", "cp2.txt"]).ok().to_owned()
    };
    a.write("seen.txt", &seen);
    a.write("fork-proof.txt", &fork_proof);
    a.run(&[
        "verify-consistency",
        "seen.txt",
        "fork-proof.txt",
        "--key",
        &vkey,
    ])
    .fails(1, "does not verify");
}
