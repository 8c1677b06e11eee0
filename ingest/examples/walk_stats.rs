//! The walk alone, measured: walks FILE with the default limits and prints one JSON object
//! with the wall time, the throughput (of the top file's bytes) and the peak resident memory
//! (`VmHWM` from `/proc/self/status`, Linux), plus the in-memory size of one `Found`.
//! `bench/ingest_walk.sh` runs it; by hand: `cargo run --release -p prov-ingest --example
//! walk_stats FILE`.

use std::ops::ControlFlow;
use std::time::Instant;

/// Peak resident set size of this process, in KiB (0 where `/proc` does not say).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let path = std::env::args_os().nth(1).expect("usage: walk_stats FILE");
    let before = peak_kib();
    let start = Instant::now();
    let (mut members, mut notes, mut path_bytes) = (0u64, 0u64, 0u64);
    let summary = prov_ingest::walk(path.as_ref(), &prov_ingest::Limits::default(), &mut |f| {
        members += 1;
        notes += u64::from(f.note.is_some());
        path_bytes += f.path.len() as u64;
        ControlFlow::Continue(())
    });
    let seconds = start.elapsed().as_secs_f64();
    match summary {
        Ok(s) => println!(
            "{{\"file\":{:?},\"size\":{},\"kind\":\"{}\",\"members\":{},\"notes\":{},\
             \"bytes_hashed\":{},\"seconds\":{:.3},\"mb_per_s\":{:.1},\"peak_rss_kib\":{},\
             \"rss_before_kib\":{},\"found_bytes\":{},\"path_bytes\":{},\"top_note\":{:?}}}",
            path.to_string_lossy(),
            s.size,
            s.kind.name(),
            members,
            notes,
            s.bytes,
            seconds,
            s.size as f64 / 1e6 / seconds,
            peak_kib(),
            before,
            std::mem::size_of::<Option<prov_ingest::Found>>(),
            path_bytes,
            s.note.unwrap_or_default()
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
