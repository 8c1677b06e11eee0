//! `prov --server URL add` with the bytes: the files in batches, each one request, several
//! in flight, results shown in the order of the files as one by one shows them.

use super::multipart::{boundary, send_batch};
use super::*;

/// What a worker hands back: the batch's first file, its end, and the server's answer.
type Sent = (usize, usize, Result<Reply>);

impl Job<'_> {
    /// The bytes: the files in requests of at most `per_request` files and
    /// [`BYTES_PER_REQUEST`] bytes, `in_flight` requests at once.
    pub(super) fn by_bytes(
        &mut self,
        files: &[WalkedFile],
        per_request: usize,
        in_flight: usize,
    ) -> Result<()> {
        let extract = self.limits.is_some();
        let (job_tx, job_rx) = std::sync::mpsc::channel::<(usize, usize, String)>();
        let job_rx = std::sync::Mutex::new(job_rx);
        let (sent_tx, sent_rx) = std::sync::mpsc::channel::<Sent>();
        let (remote, fields) = (self.remote, self.fields.clone());
        std::thread::scope(|scope| {
            for _ in 0..in_flight.max(1) {
                let (job_rx, sent_tx, fields) = (&job_rx, sent_tx.clone(), &fields);
                scope.spawn(move || {
                    loop {
                        let next = job_rx
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        let Ok((start, end, b)) = next else { return };
                        let r = send_batch(remote, fields, extract, &files[start..end], &b);
                        if sent_tx.send((start, end, r)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(sent_tx);
            let result = self.dispatch(files, per_request, in_flight.max(1), &job_tx, &sent_rx);
            drop(job_tx);
            result
        })
    }

    /// The next batch from `files[next..]`: files looked into here until the request is
    /// full. A file that cannot be read ends the batch before it, and is the error once
    /// the batch is empty.
    fn batch(
        &self,
        files: &[WalkedFile],
        next: usize,
        per_request: usize,
        look: bool,
    ) -> Result<Batch> {
        let mut b = Batch {
            start: next,
            end: next,
            hashes: HashSet::new(),
        };
        let mut bytes = 0u64;
        while b.end < files.len() && b.end - b.start < per_request {
            let f = &files[b.end];
            if b.end > b.start && bytes + f.id.size > BYTES_PER_REQUEST {
                break;
            }
            // Without another request in flight to wait for, a file is only opened here.
            let looked = match look {
                true => self.look(f).map(|l| {
                    let docs = l.docs.iter();
                    b.hashes.extend(
                        docs.map(|(_, v)| v["sha256"].as_str().unwrap_or_default().to_owned()),
                    );
                }),
                false => open(f).map(drop),
            };
            match looked {
                Ok(()) => {}
                Err(e) if b.end == b.start => return Err(e),
                Err(_) => break,
            }
            bytes += f.id.size;
            b.end += 1;
        }
        Ok(b)
    }

    /// Shows one request's answers as `prov add` shows them, each labelled by the local
    /// path of the part it came from (the answer's `path` is the part's index, then
    /// `!member`).
    fn show_batch(&mut self, r: &Reply, files: &[WalkedFile]) -> Result<()> {
        if r.status != 200 {
            // One request is one commit: none of its files was recorded. Say which.
            let mut f = refused(r);
            let names: Vec<String> = files
                .iter()
                .take(3)
                .map(|f| escape::path(&f.path))
                .collect();
            let more = files.len().saturating_sub(3);
            let count = match files.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            };
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            f.msg.push_str(&format!(
                " (nothing of this request was recorded, its {count}: {}{more})",
                names.join(", ")
            ));
            if r.status == 413 && files.len() > 1 {
                f.msg.push_str("; --batch 1 sends one file per request");
            }
            return Err(f);
        }
        for mut v in lines(r)? {
            // The part's index, then `!member` (the member's bytes, which may not be UTF-8).
            let path = path_bytes(&v);
            let (part, member) = match path.iter().position(|&b| b == b'!') {
                Some(at) => (&path[..at], Some(&path[at..])),
                None => (&path[..], None),
            };
            let file = std::str::from_utf8(part)
                .ok()
                .and_then(|p| p.parse::<usize>().ok())
                .and_then(|i| files.get(i));
            let Some(f) = file else {
                return Err(Failure::environment(format!(
                    "the server answered for a part the request did not hold ({})",
                    escape::bytes(&path)
                )));
            };
            let mut label = f.path.as_os_str().as_bytes().to_vec();
            label.extend_from_slice(member.unwrap_or_default());
            relabel(&mut v, &label);
            self.bar
                .suspend(|| show_added(&v, &self.out, self.verbose))?;
            self.answers.push(v);
        }
        self.done += files.len();
        self.bar
            .set_message(format!("{}/{} files recorded", self.done, self.files));
        self.bar.inc(files.iter().map(|f| f.id.size).sum());
        Ok(())
    }

    /// Hands batches to the workers in order, never one sharing a document with a batch in
    /// flight (so each file says what it would say one by one), and shows the answers in
    /// the order of the files. After a failure nothing more is sent; what was in flight is
    /// still shown (it is recorded), then the first failure is the result.
    fn dispatch(
        &mut self,
        files: &[WalkedFile],
        per_request: usize,
        in_flight: usize,
        jobs: &std::sync::mpsc::Sender<(usize, usize, String)>,
        sent: &std::sync::mpsc::Receiver<Sent>,
    ) -> Result<()> {
        let mut flying: BTreeMap<usize, HashSet<String>> = BTreeMap::new();
        let mut answered: BTreeMap<usize, (usize, Result<Reply>)> = BTreeMap::new();
        let mut waiting: Option<Batch> = None;
        let (mut next, mut shown_up_to) = (0usize, 0usize);
        let mut failed: Option<Failure> = None;
        // The documents of each request are needed only to hold back one that shares a
        // document with a request in flight: with one request at a time, or all the files
        // in one request, the files are not looked into here (the server does).
        let bytes: u64 = files.iter().map(|f| f.id.size).sum();
        let one_request = files.len() <= per_request && bytes <= BYTES_PER_REQUEST;
        let look = in_flight > 1 && !one_request;
        loop {
            while failed.is_none()
                && (waiting.is_some() || next < files.len())
                && flying.len() < in_flight
            {
                let b = match waiting.take() {
                    Some(b) => b,
                    None => match self.batch(files, next, per_request, look) {
                        Ok(b) => b,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    },
                };
                next = b.end;
                if flying.values().any(|h| !h.is_disjoint(&b.hashes)) {
                    waiting = Some(b);
                    break;
                }
                if jobs.send((b.start, b.end, boundary())).is_err() {
                    failed = Some(Failure::environment("the upload threads stopped"));
                    break;
                }
                flying.insert(b.start, b.hashes);
            }
            if flying.is_empty() {
                break;
            }
            let Ok((start, end, r)) = sent.recv() else {
                failed.get_or_insert(Failure::environment("the upload threads stopped"));
                break;
            };
            flying.remove(&start);
            answered.insert(start, (end, r));
            while let Some((end, r)) = answered.remove(&shown_up_to) {
                if let Err(e) = r.and_then(|r| self.show_batch(&r, &files[shown_up_to..end])) {
                    failed.get_or_insert(e);
                }
                shown_up_to = end;
            }
        }
        failed.map_or(Ok(()), Err)
    }
}
