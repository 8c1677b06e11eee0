//! Connections: the accept loop, at most [`Limits::max_connections`] served at once, and
//! the time each may hold its slot without making progress.
//!
//! A slot is taken before `accept`, so the connections past the limit wait in the kernel's
//! backlog and hold no file. Every way a client can keep its slot without doing anything is
//! bounded, so that the slots come back and the waiting connections are served:
//!
//! - a request's headers must arrive within [`Limits::header_timeout`], counted from the
//!   connection's start or, on a keep-alive connection, from the end of the previous answer
//!   (hyper's header read timer, started when the connection goes idle): a client that never
//!   speaks and an idle keep-alive connection are closed after it; so is a TLS handshake
//!   that does not finish;
//! - a body must arrive within [`Limits::body_timeout`] (the handlers' 408);
//! - an answer must be taken: a write that makes no progress for [`Limits::write_timeout`]
//!   (the client does not read, its window and our socket buffer are full) ends the
//!   connection ([`WriteDeadline`], under TLS too). hyper has no such timer of its own.

use crate::Limits;
use crate::error::{Error, Result};
use crate::server::{Ctx, handle};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long a failed `accept` waits before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` and serves each on its own task, until the process
/// ends.
pub(crate) async fn accept_loop(
    listener: std::net::TcpListener,
    ctx: Arc<Ctx>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<()> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Server(e.to_string()))?;
    let listener =
        tokio::net::TcpListener::from_std(listener).map_err(|e| Error::Server(e.to_string()))?;
    let limits = ctx.limits.clone();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // A connection that failed before it was accepted (reset), or no descriptor left
            // to accept it with (EMFILE): the connection waits in the backlog, and an accept
            // retried at once would fail at once, spinning a worker; wait a little first.
            Err(_) => {
                drop(permit);
                tokio::time::sleep(ACCEPT_RETRY).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (ctx, tls, limits) = (ctx.clone(), tls.clone(), limits.clone());
        tokio::spawn(async move {
            serve_connection(stream, ctx, tls, &limits).await;
            drop(permit);
        });
    }
}

/// Serves one connection until it ends, fails or runs out of time.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    ctx: Arc<Ctx>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: &Limits,
) {
    let stream = WriteDeadline::new(stream, limits.write_timeout);
    let service = hyper::service::service_fn(move |req| handle(ctx.clone(), req));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    match tls {
        None => {
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        }
        Some(acceptor) => {
            let hs = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream));
            if let Ok(Ok(stream)) = hs.await {
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            }
        }
    }
}

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once one has waited
/// `timeout` without the socket taking a byte (write, flush or shutdown pending all that
/// time). Any write that completes starts the count again, so a slow client that keeps
/// reading is never cut off; reads pass through.
pub(crate) struct WriteDeadline<T> {
    inner: T,
    timeout: Duration,
    /// Since the first write that found the socket full, and no write completed since.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> WriteDeadline<T> {
    pub(crate) fn new(inner: T, timeout: Duration) -> Self {
        WriteDeadline {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// What a write, flush or shutdown of the inner stream gave, with the deadline applied.
    fn deadline<R>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if r.is_ready() {
            self.stalled = None;
            return r;
        }
        let timeout = self.timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client took nothing of the answer for {timeout:?}"),
            ))),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.deadline(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.deadline(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.deadline(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.deadline(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn paused() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
    }

    /// A peer that never reads: the writes fill the pipe, then fail once the deadline passes.
    #[test]
    fn a_write_that_makes_no_progress_fails_after_the_timeout() {
        paused().block_on(async {
            let (ours, _theirs) = tokio::io::duplex(1024);
            let mut w = WriteDeadline::new(ours, Duration::from_secs(5));
            let chunk = [7u8; 512];
            w.write_all(&chunk).await.unwrap();
            w.write_all(&chunk).await.unwrap();
            let e = w.write_all(&chunk).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        });
    }

    /// A peer that reads slowly, but within the timeout each time, is never cut off.
    #[test]
    fn a_slow_reader_that_keeps_reading_is_served() {
        paused().block_on(async {
            let (ours, mut theirs) = tokio::io::duplex(64);
            let reader = tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 16];
                loop {
                    tokio::time::sleep(Duration::from_secs(4)).await;
                    match tokio::io::AsyncReadExt::read(&mut theirs, &mut buf).await {
                        Ok(0) | Err(_) => return got.len(),
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
            });
            let mut w = WriteDeadline::new(ours, Duration::from_secs(5));
            w.write_all(&[1u8; 1000]).await.unwrap();
            w.shutdown().await.unwrap();
            drop(w);
            assert_eq!(reader.await.unwrap(), 1000);
        });
    }
}
