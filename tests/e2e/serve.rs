//! `prov serve` with real processes on the loopback and a real HTTP client (ureq):
//! several archivists appending at once, SIGKILL of the server and a restart, tokens,
//! hostile clients, and the tiles tree read by an independent tlog-tiles client.
//! Servers are waited for by reading the line they print once bound, never by a timeout.

mod appends;
mod batched;
mod client;
mod hostile;
mod http;
mod names;
mod parity;
mod proofs;
mod queue;
mod stalls;
mod tiles;

use prov_tests::Workspace;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};

/// `prov --server URL ARGS` in the workspace, with the archivist's token.
pub(crate) fn remote(w: &Workspace, s: &Serve, token: &str, args: &[&str]) -> prov_tests::Run {
    let mut c = w.cmd(&["--server", &s.url]);
    c.args(args).env("PROV_TOKEN", token);
    prov_tests::Run::from(c.output().unwrap())
}

/// Two workspaces made alike by `make`: one whose ledger is used locally, and one served,
/// with an archivist's token, so that what the CLI prints through the server can be compared
/// with what it prints on a ledger of its own.
pub(crate) fn local_and_served(make: impl Fn(&Workspace)) -> (Workspace, Workspace, String, Serve) {
    let (local, w) = (Workspace::new(), Workspace::new());
    make(&local);
    make(&w);
    let token = archivist(&w, "ada@news.example");
    let s = Serve::start(&w, &[], &[]);
    (local, w, token, s)
}

/// A running `prov serve`; killed (SIGKILL) when dropped.
pub(crate) struct Serve {
    child: Child,
    pub(crate) url: String,
    pub(crate) port: u16,
    log: PathBuf,
}

impl Serve {
    /// Starts `prov serve --addr 127.0.0.1:0 ARGS` on the workspace's ledger.
    pub(crate) fn start(w: &Workspace, args: &[&str], env: &[(&str, &str)]) -> Serve {
        let n = std::fs::read_dir(w.path("")).unwrap().count();
        let log = w.path(&format!("serve-{n}.log"));
        let mut c = w.cmd(&["serve", "--addr", "127.0.0.1:0"]);
        c.args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "no address line: {line:?}; {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_owned();
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        // The hold is a debug build's only (as `cargo test` builds prov): a binary that
        // ignores it would leave a test waiting for uploads that never queue.
        let log_now = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            env.iter().all(|(k, _)| *k != "PROV_TEST_HOLD_WRITER")
                || log_now.contains("PROV_TEST_HOLD_WRITER"),
            "{} does not honour PROV_TEST_HOLD_WRITER (a release build?): run the tests with the debug binary",
            prov_tests::prov_bin().display()
        );
        Serve {
            child,
            url,
            port,
            log,
        }
    }

    /// What the server logged on stderr.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, and waits for it to be gone.
    pub(crate) fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status, headers we look at, body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) content_type: String,
    pub(crate) cache_control: String,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.body.trim())
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", self.body))
    }

    /// A refusal: the status, and a JSON error with a hint.
    pub(crate) fn refused(&self, status: u16, needle: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let v = self.json();
        assert!(
            v["error"].as_str().unwrap().contains(needle),
            "{needle:?} not in {v}"
        );
        assert!(!v["hint"].as_str().unwrap().is_empty(), "{v}");
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Reply, ureq::Error> {
    let mut r = r?;
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (retry_after, content_type, cache_control) = (
        header("retry-after"),
        header("content-type").unwrap_or_default(),
        header("cache-control").unwrap_or_default(),
    );
    Ok(Reply {
        status: r.status().as_u16(),
        retry_after,
        content_type,
        cache_control,
        body: String::from_utf8_lossy(&r.body_mut().read_to_vec()?).into_owned(),
    })
}

/// `GET url`.
pub(crate) fn get(url: &str) -> Reply {
    reply(agent().get(url).call()).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// `POST url` with `body`, `content_type` and an optional bearer token; an error only when
/// the connection fails (the server was killed).
pub(crate) fn try_post(
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Result<Reply, ureq::Error> {
    let mut req = agent().post(url).header("content-type", content_type);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    reply(req.send(body))
}

/// `POST PATH` (`/v1/claims`, `/v1/documents`) with a JSON body; panics only when the
/// connection fails.
pub(crate) fn post_json(s: &Serve, token: Option<&str>, path: &str, json: &str) -> Reply {
    try_post(
        &format!("{}{path}", s.url),
        token,
        "application/json",
        json.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// `POST /v1/documents?QUERY` with the document's bytes.
pub(crate) fn upload(s: &Serve, token: Option<&str>, query: &str, body: &[u8]) -> Reply {
    try_post(
        &format!("{}/v1/documents?{query}", s.url),
        token,
        "application/octet-stream",
        body,
    )
    .unwrap_or_else(|e| panic!("POST {query}: {e}"))
}

/// `prov archivist add NAME`: its token.
pub(crate) fn archivist(w: &Workspace, name: &str) -> String {
    w.run(&["archivist", "add", name]).ok().trim().to_owned()
}

/// A hold on the server's writer (`PROV_TEST_HOLD_WRITER`): while it is held, uploads wait
/// in the queue; [`Hold::waiting`] says how many.
pub(crate) struct Hold {
    pub(crate) path: PathBuf,
}

impl Hold {
    pub(crate) fn new(w: &Workspace) -> Hold {
        let path = w.write("hold", "");
        Hold { path }
    }

    pub(crate) fn env(&self) -> (&'static str, &str) {
        ("PROV_TEST_HOLD_WRITER", self.path.to_str().unwrap())
    }

    /// Waits until `n` uploads wait in the queue (the writer says so before each group).
    pub(crate) fn wait_for(&self, n: usize) {
        let mut queued = self.path.as_os_str().to_owned();
        queued.push(".queued");
        loop {
            let now = std::fs::read_to_string(&queued).unwrap_or_default();
            if now.trim().parse::<usize>().ok() == Some(n) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    pub(crate) fn release(&self) {
        std::fs::remove_file(&self.path).unwrap();
    }
}
