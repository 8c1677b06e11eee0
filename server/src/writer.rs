//! The one writer: a thread that owns the ledger opened for writing and records every
//! upload waiting in its queue as one group (`Ledger::ingest` of
//! [`prov_ledger::Documents::Prepared`]: one append, one fsync, one signed checkpoint for
//! all of them, up to [`GROUP`] documents).
//!
//! Storage contract, per group: the entries are durable and their checkpoint committed
//! (`Ledger::append`'s contract); then the publisher thread brings the published tiles tree
//! up to the ledger (`Ledger::publish`, its checkpoint file written last) and moves the
//! readers' snapshot, and only then is each upload answered. The writer records the next
//! group meanwhile, and the publisher publishes once for every group that waits. A crash
//! anywhere before the answers loses no acknowledged entry; a crash after the commit and
//! before the answers leaves entries that no client was told of, which a client's retry
//! reports as `already_recorded`.
//!
//! Uploads are prepared (hashed, looked into, their fields checked) before they are queued,
//! so a group fails only for what only the ledger can tell: a content it holds with another
//! size. Then each upload of the group is recorded alone, so only the one at fault is
//! refused.

use crate::answer::{self, Answer, JSON_LINES};
use crate::state::State;
use prov_ledger::{Documents, Fields, Ingested, Ledger, NewClaim, Options, Prepared, Report};
use serde_json::Value;
use std::ops::ControlFlow;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Uploads waiting are taken into one group until it holds this many documents; the rest
/// wait for the next. One upload is never split: its documents are one commit, however many.
pub const GROUP: usize = prov_ledger::DEFAULT_BATCH;

/// A test's hold on the writer: asked with the number of uploads waiting, true to wait.
pub type Hold = Arc<dyn Fn(usize) -> bool + Send + Sync>;

/// What an upload asks the writer to record.
pub(crate) enum Work {
    /// Documents (an upload and its members, or documents by hash).
    Documents(Prepared),
    /// A claim about an entry (`POST /v1/claims`).
    Claim(NewClaim),
}

impl Work {
    fn documents(&self) -> usize {
        match self {
            Work::Documents(p) => p.documents(),
            Work::Claim(_) => 1,
        }
    }
}

/// One upload waiting for the writer, and where its answer goes.
pub(crate) struct Upload {
    pub work: Work,
    pub reply: oneshot::Sender<Answer>,
}

/// Documents waiting, and where their answer goes.
struct Docs {
    prepared: Prepared,
    reply: oneshot::Sender<Answer>,
}

/// The queue into the writer.
#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Upload>,
}

impl Writer {
    /// Starts the writer thread on `ledger`, with room for `queue` uploads waiting; `hold`
    /// (tests only) is asked before each group, with the number of uploads waiting, and the
    /// writer waits while it says so.
    pub fn start(
        ledger: Ledger,
        queue: usize,
        state: Arc<State>,
        hold: Option<Hold>,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let (ptx, prx) = std::sync::mpsc::channel();
        let for_publisher = state.clone();
        std::thread::Builder::new()
            .name("prov-publisher".into())
            .spawn(move || publisher(prx, &for_publisher))?;
        std::thread::Builder::new()
            .name("prov-writer".into())
            .spawn(move || run(ledger, rx, &state, hold, &ptx))?;
        Ok(Writer { tx })
    }

    /// Whether the queue has room for one more upload now: checked before an upload's body
    /// is read, so that a full queue is answered at once rather than after the whole body
    /// was taken in (the room may still be gone when it is submitted, which [`submit`]
    /// refuses alike).
    ///
    /// [`submit`]: Writer::submit
    pub fn has_room(&self) -> bool {
        self.tx.capacity() > 0
    }

    /// A full queue's answer: 503 with `Retry-After`, closing the connection when the
    /// request's body was left unread.
    pub fn full() -> Answer {
        Answer::busy("the server has too many uploads waiting", 1)
    }

    /// Queues `upload`; a full queue is 503 with `Retry-After`, at once.
    pub fn submit(&self, upload: Upload) -> Result<(), Answer> {
        self.tx.try_send(upload).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Writer::full(),
            mpsc::error::TrySendError::Closed(_) => Answer::stopped(),
        })
    }
}

/// Each recorded document as `prov add --json` prints it, in order.
#[derive(Default)]
struct Collected(Vec<Value>);

impl Report for Collected {
    fn recorded(&mut self, d: &Ingested<'_>) -> ControlFlow<()> {
        self.0.push(prov_report::added_json(d));
        ControlFlow::Continue(())
    }
}

/// Answers waiting for the publish of the tree that covers their entries.
type Pending = Vec<(oneshot::Sender<Answer>, Answer)>;

fn run(
    mut ledger: Ledger,
    mut rx: mpsc::Receiver<Upload>,
    state: &State,
    hold: Option<Hold>,
    publisher: &std::sync::mpsc::Sender<Pending>,
) {
    loop {
        if let Some(hold) = &hold {
            while hold(rx.len()) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        let Some(first) = rx.blocking_recv() else {
            return;
        };
        let mut docs = first.work.documents();
        let mut waiting = vec![first];
        while docs < GROUP {
            match rx.try_recv() {
                Ok(u) => {
                    docs += u.work.documents();
                    waiting.push(u);
                }
                Err(_) => break,
            }
        }
        let (uploads, size) = (waiting.len(), ledger.size());
        let began = std::time::Instant::now();
        let mut group = Vec::new();
        let mut claims = Vec::new();
        for u in waiting {
            match u.work {
                Work::Documents(prepared) => group.push(Docs {
                    prepared,
                    reply: u.reply,
                }),
                Work::Claim(c) => claims.push((c, u.reply)),
            }
        }
        let mut pending = Pending::new();
        let mut stop = !group.is_empty() && record(&mut ledger, group, &mut pending);
        for (c, reply) in claims {
            if stop {
                let _ = reply.send(Answer::stopped());
                continue;
            }
            match claim_now(&mut ledger, &c) {
                Ok(answer) => pending.push((reply, answer)),
                Err(e) => {
                    stop |= stops(&e);
                    let _ = reply.send(answer::from_ledger(&e));
                }
            }
        }
        // Answered once the publisher has published a tree covering them; meanwhile the
        // writer goes on with the next group.
        if !pending.is_empty() && publisher.send(pending).is_err() {
            stop = true;
        }
        state.log(&format!(
            "writer: {uploads} {} ({docs} documents) recorded at size {size} to {} in {} ms",
            if uploads == 1 { "upload" } else { "uploads" },
            ledger.size(),
            began.elapsed().as_millis()
        ));
        if stop {
            // The ledger is in a state this process must not build on; the queue closes,
            // so every later upload is refused with 503 until a restart.
            state.set_stopped();
            return;
        }
    }
}

/// Records one claim (its own commit): the answer `prov claim --json` gives.
fn claim_now(ledger: &mut Ledger, c: &NewClaim) -> prov_ledger::Result<Answer> {
    let now = prov_ledger::system_time_ms()?;
    let (status, e) = ledger.claim(c, now)?;
    Ok(Answer::json(&prov_report::claimed_json(status, &e)))
}

/// Records a group: the answers of the uploads recorded go to `pending` (sent once
/// published), refusals at once. True when the writer must stop.
fn record(ledger: &mut Ledger, group: Vec<Docs>, pending: &mut Pending) -> bool {
    let (uploads, replies): (Vec<Prepared>, Vec<oneshot::Sender<Answer>>) =
        group.into_iter().map(|u| (u.prepared, u.reply)).unzip();
    let counts: Vec<usize> = uploads.iter().map(Prepared::documents).collect();
    let alone = match uploads.len() {
        1 => None,
        _ => Some(uploads.clone()),
    };
    match ingest(ledger, uploads) {
        Ok(results) => {
            let mut results = results.into_iter();
            for (reply, n) in replies.into_iter().zip(counts) {
                let mine: Vec<Value> = results.by_ref().take(n).collect();
                pending.push((reply, added(&mine)));
            }
            false
        }
        Err(e) if stops(&e) => {
            let a = answer::from_ledger(&e);
            for reply in replies {
                let _ = reply.send(a.clone());
            }
            true
        }
        Err(e) => match alone {
            // One at a time: only the upload at fault is refused.
            Some(uploads) => {
                let mut stop = false;
                for (upload, reply) in uploads.into_iter().zip(replies) {
                    if stop {
                        // The writer stopped on an upload before it: this one was not tried.
                        let _ = reply.send(Answer::stopped());
                        continue;
                    }
                    stop = record(
                        ledger,
                        vec![Docs {
                            prepared: upload,
                            reply,
                        }],
                        pending,
                    );
                }
                stop
            }
            None => {
                for reply in replies {
                    let _ = reply.send(answer::from_ledger(&e));
                }
                false
            }
        },
    }
}

/// Errors after which this process must not append again.
fn stops(e: &prov_ledger::Error) -> bool {
    matches!(
        e,
        prov_ledger::Error::CommitUncertain { .. } | prov_ledger::Error::NotDurable { .. }
    )
}

/// Records `uploads` as one batch, so one commit: every upload is recorded whole or not at
/// all, however many documents it holds (a container of more than [`GROUP`] members is
/// not cut into commits of which an error in a later one would leave the earlier recorded
/// and unreported).
fn ingest(ledger: &mut Ledger, uploads: Vec<Prepared>) -> prov_ledger::Result<Vec<Value>> {
    let mut collected = Collected::default();
    let documents = uploads.iter().map(Prepared::documents).sum::<usize>();
    // Look-alikes are linked as `prov add` links them (the index is loaded at the first
    // group that needs it and kept by the ledger between groups).
    let options = Options {
        batch: documents.max(1),
        similar: Some(prov_ledger::DEFAULT_THRESHOLD),
        ..Options::default()
    };
    ledger.ingest(
        Documents::Prepared(uploads),
        &Fields::default(),
        &options,
        &mut collected,
    )?;
    Ok(collected.0)
}

/// The publisher: for every batch of answers waiting (all those waiting at once, one
/// publish for all), brings the published tree up to the ledger's committed state (which
/// covers their entries: they were committed before they were sent here) from a read-only
/// view of the ledger, renews the readers' snapshot, then sends the answers.
fn publisher(rx: std::sync::mpsc::Receiver<Pending>, state: &State) {
    while let Ok(mut pending) = rx.recv() {
        while let Ok(more) = rx.try_recv() {
            pending.extend(more);
        }
        let published = Ledger::open_read_only(state.ledger_dir())
            .and_then(|l| l.publish(state.public_dir()))
            .map_err(|e| {
                Answer::error(
                    503,
                    format!("recorded, but the tiles could not be published: {e}"),
                    "send it again: it is then reported as already recorded, once the operator has fixed the server",
                )
            });
        state.refresh();
        for (reply, answer) in pending {
            let _ = reply.send(match &published {
                Ok(_) => answer,
                Err(a) => a.clone(),
            });
        }
    }
}

/// The answer to an upload: its one document as one JSON object, or JSON Lines for a
/// container and its members.
fn added(docs: &[Value]) -> Answer {
    match docs {
        [one] => Answer::json(one),
        many => Answer::ok(
            JSON_LINES,
            many.iter()
                .flat_map(|v| (v.to_string() + "\n").into_bytes())
                .collect(),
        ),
    }
}
