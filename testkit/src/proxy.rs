//! A loopback TCP proxy that counts what a client sends and how many round trips it takes,
//! and can hold every reply back for a fixed delay (a slow network, made visible).
//!
//! A *round trip* is counted each time the client sends after having received something
//! (and once for its first send): bytes the client writes in one go, even across several
//! commands of a pipeline, count once. The reply delay is applied before the first chunk of
//! each reply is passed on, so the rest of a pipeline the client already wrote is read
//! within the same round trip. [`Proxy::set_replies`] makes it hold replies back for good
//! or drop the connection when a reply arrives (after the server ran the command), for
//! tests of timeouts and lost connections. Counts are exact for one connection used by one caller at a
//! time; with many callers interleaving on one connection they lose their meaning.
//!
//! [`Proxy::drop_reply_to`] loses one reply the same way, only on the connection that sent
//! a given command, leaving other connections through the proxy (a replica's replication
//! link, for one) alone.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Who last sent data through a connection.
const NOBODY: u8 = 0;
const CLIENT: u8 = 1;
const SERVER: u8 = 2;

/// What the proxy does with the server's replies, from the next reply on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replies {
    /// Pass them on (after the reply delay, if any): the default.
    Forward,
    /// Swallow them: the client waits for an answer that never comes (a timeout).
    Hold,
    /// Close the client's connection when a reply arrives, without passing it on: the
    /// server ran the command, the client sees the connection drop.
    Drop,
}

#[derive(Default)]
struct Counters {
    /// A [`Replies`] as a number.
    replies: AtomicU8,
    /// Under [`Replies::Hold`], how many more reply chunks still pass.
    pass: AtomicU64,
    round_trips: AtomicU64,
    bytes_sent: AtomicU64,
    /// Reads of client data (see [`Proxy::client_reads`]).
    client_reads: AtomicU64,
    bytes_received: AtomicU64,
    connections: AtomicU64,
    /// Set: the reply to the next request containing these bytes is swallowed and its
    /// connection closed.
    drop_reply_to: Mutex<Option<Vec<u8>>>,
    dropped_replies: AtomicU64,
}

/// A running proxy in front of a server on `127.0.0.1`; stopped on drop.
pub struct Proxy {
    port: u16,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy on a free loopback port forwarding to `127.0.0.1:target_port`,
    /// holding each reply back for `reply_delay` (zero: no delay).
    pub fn start(target_port: u16, reply_delay: Duration) -> io::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (counters, stop, streams) = (counters.clone(), stop.clone(), streams.clone());
            thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                        continue;
                    };
                    counters.connections.fetch_add(1, Ordering::Relaxed);
                    if let Err(err) = splice(client, server, &counters, &streams, reply_delay) {
                        eprintln!("evalsha-testkit proxy: {err}");
                    }
                }
            })
        };
        Ok(Proxy {
            port,
            counters,
            stop,
            streams,
            accept: Some(accept),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A client that connects through the proxy.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("valid url")
    }

    /// A new multiplexed async connection through the proxy.
    pub async fn multiplexed(&self) -> redis::aio::MultiplexedConnection {
        crate::server::multiplexed(&self.client()).await
    }

    /// Round trips since the last [`reset`](Self::reset), over all connections.
    pub fn round_trips(&self) -> u64 {
        self.counters.round_trips.load(Ordering::Acquire)
    }

    /// Bytes from clients to the server since the last reset.
    pub fn bytes_sent(&self) -> u64 {
        self.counters.bytes_sent.load(Ordering::Acquire)
    }

    /// Reads of client data since the last reset, over all connections: each write of a
    /// client is read in one go unless it exceeds 64 KiB, and writes that follow each other
    /// closely may be read together, so this is at most the number of the clients' writes
    /// (of up to 64 KiB).
    pub fn client_reads(&self) -> u64 {
        self.counters.client_reads.load(Ordering::Acquire)
    }

    /// Bytes from the server to clients since the last reset.
    pub fn bytes_received(&self) -> u64 {
        self.counters.bytes_received.load(Ordering::Acquire)
    }

    /// Connections accepted since the proxy started.
    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::Acquire)
    }

    /// Chooses what happens to replies from now on, on every connection.
    pub fn set_replies(&self, replies: Replies) {
        let code = match replies {
            Replies::Forward => 0,
            Replies::Hold => 1,
            Replies::Drop => 2,
        };
        self.counters.pass.store(0, Ordering::Release);
        self.counters.replies.store(code, Ordering::Release);
    }

    /// Passes the next `replies` reply chunks on (a small reply is one chunk), then holds
    /// every later one back for good: "the first answer comes, the next never does".
    pub fn hold_after(&self, replies: u64) {
        self.counters.pass.store(replies, Ordering::Release);
        self.counters.replies.store(1, Ordering::Release);
    }

    /// Arms the proxy: the next request that contains `needle` (a command name, say
    /// `b"EVALSHA"`) is passed on to the server, but its reply is not delivered: that client
    /// connection (and its server side) is closed instead. Other connections through the
    /// proxy (a replica's replication link, for one) are left alone.
    pub fn drop_reply_to(&self, needle: &[u8]) {
        *self
            .counters
            .drop_reply_to
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(needle.to_vec());
    }

    /// Replies swallowed so far by [`drop_reply_to`](Self::drop_reply_to).
    pub fn dropped_replies(&self) -> u64 {
        self.counters.dropped_replies.load(Ordering::Acquire)
    }

    /// Zeroes the round-trip and byte counters. Call it when no reply is in flight.
    pub fn reset(&self) {
        self.counters.round_trips.store(0, Ordering::Release);
        self.counters.bytes_sent.store(0, Ordering::Release);
        self.counters.client_reads.store(0, Ordering::Release);
        self.counters.bytes_received.store(0, Ordering::Release);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop, then close every forwarded connection.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        for stream in self
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Forwards both directions of one connection on two threads.
fn splice(
    client: TcpStream,
    server: TcpStream,
    counters: &Arc<Counters>,
    streams: &Mutex<Vec<TcpStream>>,
    reply_delay: Duration,
) -> io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    {
        let mut streams = streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.push(client.try_clone()?);
        streams.push(server.try_clone()?);
    }
    let last = Arc::new(AtomicU8::new(NOBODY));
    // Set when this connection carried the request whose reply `drop_reply_to` drops.
    let drop_reply = Arc::new(AtomicBool::new(false));
    let (up_from, up_to) = (client.try_clone()?, server.try_clone()?);
    let (up_counters, up_last, up_drop) = (counters.clone(), last.clone(), drop_reply.clone());
    thread::spawn(move || {
        forward(up_from, up_to, |chunk| {
            if up_last.swap(CLIENT, Ordering::AcqRel) != CLIENT {
                up_counters.round_trips.fetch_add(1, Ordering::AcqRel);
            }
            up_counters
                .bytes_sent
                .fetch_add(chunk.len() as u64, Ordering::AcqRel);
            up_counters.client_reads.fetch_add(1, Ordering::AcqRel);
            let mut needle = up_counters
                .drop_reply_to
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if needle
                .as_deref()
                .is_some_and(|needle| chunk.windows(needle.len()).any(|w| w == needle))
            {
                *needle = None;
                up_drop.store(true, Ordering::Release);
            }
            true
        })
    });
    let down_counters = counters.clone();
    let client_side = client.try_clone()?;
    let server_side = server.try_clone()?;
    thread::spawn(move || {
        forward(server, client, |chunk| {
            let n = chunk.len() as u64;
            if drop_reply.swap(false, Ordering::AcqRel) {
                down_counters.dropped_replies.fetch_add(1, Ordering::AcqRel);
                let _ = client_side.shutdown(Shutdown::Both);
                let _ = server_side.shutdown(Shutdown::Both);
                return false;
            }
            match down_counters.replies.load(Ordering::Acquire) {
                1 if down_counters
                    .pass
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_err() =>
                {
                    return false;
                }
                2 => {
                    let _ = client_side.shutdown(Shutdown::Both);
                    return false;
                }
                _ => {}
            }
            // The first chunk of a reply: hold it back, and only then let the client's
            // next send count as a new round trip.
            if last.load(Ordering::Acquire) != SERVER && !reply_delay.is_zero() {
                thread::sleep(reply_delay);
            }
            last.store(SERVER, Ordering::Release);
            down_counters.bytes_received.fetch_add(n, Ordering::AcqRel);
            true
        })
    });
    Ok(())
}

/// Copies `from` to `to`, calling `seen(chunk)` for each chunk before writing it; a chunk
/// for which it returns false is not passed on.
fn forward(mut from: TcpStream, mut to: TcpStream, mut seen: impl FnMut(&[u8]) -> bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if seen(&buf[..n]) && to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
