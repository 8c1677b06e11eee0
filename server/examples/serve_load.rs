//! Load for `bench/serve.sh`: real HTTP clients (ureq, one keep-alive connection each)
//! against a running `prov serve`.
//!
//! ```text
//! serve_load append URL TOKEN DIR CLIENTS
//!     every file of DIR uploaded once, the files dealt out to CLIENTS threads
//! serve_load read URL SHAS CLIENTS SECONDS [TOKEN DIR APPENDERS]
//!     GET /v1/documents/{sha256} of the hashes in SHAS (one a line) by CLIENTS threads
//!     for SECONDS, while APPENDERS threads upload the files of DIR
//! ```
//! Prints one JSON object: requests, seconds, per second, p50 and p99 latency in ms.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn upload(a: &ureq::Agent, url: &str, token: &str, path: &std::path::Path) -> Duration {
    let body = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let t = Instant::now();
    let mut r = a
        .post(format!("{url}/v1/documents?source=bench&name={name}"))
        .header("authorization", format!("Bearer {token}"))
        .send(&body[..])
        .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    assert_eq!(status, 200, "{text}");
    t.elapsed()
}

fn files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn report(mut lat: Vec<Duration>, secs: f64) {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{{\"requests\": {}, \"seconds\": {secs:.3}, \"per_second\": {:.1}, \"p50_ms\": {:.2}, \"p99_ms\": {:.2}}}",
        lat.len(),
        lat.len() as f64 / secs,
        pct(0.50),
        pct(0.99)
    );
}

/// Uploads `files` from `clients` threads; each thread's latencies, until `stop`.
fn appenders(
    url: &str,
    token: &str,
    files: Vec<std::path::PathBuf>,
    clients: usize,
    stop: Option<Arc<AtomicBool>>,
) -> Vec<std::thread::JoinHandle<Vec<Duration>>> {
    let files = Arc::new(files);
    (0..clients)
        .map(|c| {
            let (url, token, files, stop) = (
                url.to_owned(),
                token.to_owned(),
                files.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let a = agent();
                let mut lat = Vec::new();
                for f in files.iter().skip(c).step_by(clients) {
                    if stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                        break;
                    }
                    lat.push(upload(&a, &url, &token, f));
                }
                lat
            })
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("append") => {
            let (url, token, dir) = (&args[1], &args[2], &args[3]);
            let clients: usize = args[4].parse().unwrap();
            let t = Instant::now();
            let lat: Vec<Duration> = appenders(url, token, files(dir), clients, None)
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect();
            report(lat, t.elapsed().as_secs_f64());
        }
        Some("read") => {
            let url = args[1].clone();
            let shas: Vec<String> = std::fs::read_to_string(&args[2])
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
            let clients: usize = args[3].parse().unwrap();
            let secs: f64 = args[4].parse().unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let writers = match args.get(5) {
                Some(token) => appenders(
                    &url,
                    token,
                    files(&args[6]),
                    args[7].parse().unwrap(),
                    Some(stop.clone()),
                ),
                None => Vec::new(),
            };
            let shas = Arc::new(shas);
            let t = Instant::now();
            let readers: Vec<_> = (0..clients)
                .map(|c| {
                    let (url, shas) = (url.clone(), shas.clone());
                    std::thread::spawn(move || {
                        let a = agent();
                        let mut lat = Vec::new();
                        let mut i = c;
                        while t.elapsed().as_secs_f64() < secs {
                            let sha = &shas[i % shas.len()];
                            i += clients;
                            let s = Instant::now();
                            let mut r = a.get(format!("{url}/v1/documents/{sha}")).call().unwrap();
                            let _ = r.body_mut().read_to_vec().unwrap();
                            assert_eq!(r.status().as_u16(), 200);
                            lat.push(s.elapsed());
                        }
                        lat
                    })
                })
                .collect();
            let lat: Vec<Duration> = readers
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect();
            let elapsed = t.elapsed().as_secs_f64();
            stop.store(true, Ordering::Relaxed);
            let appended: usize = writers.into_iter().map(|h| h.join().unwrap().len()).sum();
            eprintln!("appended meanwhile: {appended}");
            report(lat, elapsed);
        }
        _ => {
            eprintln!(
                "usage: serve_load append URL TOKEN DIR CLIENTS | read URL SHAS CLIENTS SECONDS [TOKEN DIR APPENDERS]"
            );
            std::process::exit(2);
        }
    }
}
