//! Walks a file and prints one line per member: `index parent kind size sha256 path`, then
//! the summary. For trying the crate by hand: `cargo run -p prov-ingest --example walk FILE`.

use std::ops::ControlFlow;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let path = std::env::args_os().nth(1).expect("usage: walk FILE");
    let quiet = std::env::var_os("QUIET").is_some();
    let summary = prov_ingest::walk(path.as_ref(), &prov_ingest::Limits::default(), &mut |f| {
        if !quiet {
            println!(
                "{} {:?} {} {} {} {:?} {}",
                f.index,
                f.parent,
                f.kind.name(),
                f.size,
                hex(&f.sha256),
                String::from_utf8_lossy(&f.path),
                f.note.unwrap_or_default()
            );
        }
        ControlFlow::Continue(())
    });
    match summary {
        Ok(s) => println!(
            "top {} {} bytes {} members, {} bytes hashed; {:?}",
            s.kind.name(),
            s.size,
            s.members,
            s.bytes,
            s.note
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
