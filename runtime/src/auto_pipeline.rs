//! [`AutoPipeline`]: many tasks, one connection. Concurrent commands made through the
//! clones of one `AutoPipeline` are written to the server together, as one pipeline, while
//! the previous such batches are on their way.
//!
//! How a batch forms, what a broken connection does, the bound, and which connections
//! it wraps are documented on [`AutoPipeline`], for users.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

mod batch;

use redis::{Cmd, RedisError, RedisFuture, RedisResult, Value};

/// A multiplexing async connection that [`AutoPipeline`] can wrap: one that many callers
/// may use at once through its clones. Sealed: implemented for
/// `redis::aio::MultiplexedConnection`, and for `redis::aio::ConnectionManager` with the
/// feature `connection-manager`.
pub trait Multiplexed:
    redis::aio::ConnectionLike + Clone + Send + Sync + 'static + sealed::Sealed
{
}

mod sealed {
    /// Keeps [`Multiplexed`](super::Multiplexed) to the connections it was written for.
    pub trait Sealed {}
    impl Sealed for redis::aio::MultiplexedConnection {}
    #[cfg(feature = "connection-manager")]
    impl Sealed for redis::aio::ConnectionManager {}
}

impl Multiplexed for redis::aio::MultiplexedConnection {}
#[cfg(feature = "connection-manager")]
impl Multiplexed for redis::aio::ConnectionManager {}

/// Many tasks, one connection: a `redis::aio::ConnectionLike` over a multiplexing
/// connection that writes concurrent commands together, as pipelines.
///
/// Cheap to clone (one clone per task); every clone shares the queue. Script calls
/// (`run_async`) work through it as through the wrapped connection: their own reply,
/// their own `NOSCRIPT` reload (single flight, as always), their own errors and
/// [`Ran`](crate::Ran).
///
/// ```rust,ignore
/// let con = evalsha::AutoPipeline::new(client.get_multiplexed_async_connection().await?);
/// let mut c = con.clone(); // one per task
/// let left: i64 = RateLimit.run_async(&mut c, "rate:user:42", 10, 60_000).await?;
/// ```
///
/// # How a batch forms
///
/// The clones share one queue (the *forming* batch) and know the batches on their way.
///
/// - A command that finds no batch in flight and none forming is sent at once by its own
///   caller, as the command it is, on the wrapped connection: a lone caller waits for
///   nothing but its own round trip, and pays for no batch (no copy of the command, no
///   shared future to drive). It counts as a batch in flight until its reply is in, or
///   until its caller is dropped (the command, already handed to the connection, keeps
///   its place there: the next batch is written behind it).
/// - A command that finds a batch in flight joins the forming batch, starting it if there
///   is none. A batch just started first lets the tasks that are ready to run join it
///   (its task yields to the runtime once: calls woken together by one reply go out
///   together), then is written, as one `req_packed_commands` on the wrapped connection,
///   at once if fewer than [`AutoPipeline::in_flight`] batches are on their way
///   ([`AutoPipeline::DEFAULT_IN_FLIGHT`], 8, unless set with
///   [`AutoPipeline::with_in_flight`]), else the moment the oldest of them has its
///   replies; every call that arrives meanwhile joins it. So the server always has work
///   while the client forms the next write, and under load a batch grows to the number
///   of waiting tasks, as `redis-benchmark -P N` does by hand. With one batch in flight
///   (`with_in_flight(1)`) the connection is used in strict turns: one write, its replies,
///   the next write.
/// - Each batch is one shared future (`batch::Batch`, a leaner `futures::future::Shared`):
///   one caller of the batch drives it, the others wait to be woken, and a driver that is
///   dropped hands over to them: a dropped caller takes nothing with it. No task is
///   spawned, so any async runtime works.
/// - Replies are handed out by position: the `n`th command of a batch takes the `n`th reply,
///   and nothing else ever does. A dropped caller's reply is discarded with its batch; it
///   never shifts to another caller. (A command whose caller is dropped after it was
///   queued may still be sent with its batch, as a command handed to any connection may.)
/// - Server errors stay per command: redis returns a pipeline's error replies as
///   `Value::ServerError` in their positions (only a transport error fails the whole
///   pipeline), so a Lua error in one call is that call's reply alone, exactly what the
///   wrapped connection would have returned for that command sent by itself.
///
/// # Failures
///
/// A batch whose write or read fails (a dropped connection, a timeout) fails every command
/// in it with that error (a lone call's likewise): they were written, so a script call's
/// [`Ran`](crate::Ran) is `Unknown`; so do the batches written after it, which the
/// connection fails likewise. A batch not yet written when one before it is known to
/// have broken the connection is not sent at all: its commands fail with a
/// connection-refusal error (`io::ErrorKind::ConnectionRefused`), which evalsha reads as
/// `Ran::No`. The next command starts afresh on the wrapped connection (a
/// `ConnectionManager` reconnects there; a broken `MultiplexedConnection` stays broken).
///
/// # Bounded
///
/// The forming batch holds at most [`AutoPipeline::limit`] commands ([`AutoPipeline::DEFAULT_LIMIT`]
/// unless set with [`AutoPipeline::with_limit`]), and at most
/// [`AutoPipeline::in_flight`] batches are on their way. A command that finds the forming
/// batch full waits until that batch has its replies, then tries again: callers beyond
/// the limit are slowed to the connection's pace, and memory stays bounded.
///
/// # What goes through the queue
///
/// Single commands (`req_packed_command`: every `EVALSHA`, and any `redis::Cmd` run with
/// `query_async`). A pipeline (`req_packed_commands`: `redis::Pipeline`, a transaction,
/// [`Pipeline`](crate::Pipeline), evalsha's `SCRIPT LOAD` + `EVALSHA` after `NOSCRIPT`) is
/// already one write: it goes to the wrapped connection as it is, unchanged, so its
/// order, its transaction and its offsets are the wrapped connection's own.
///
/// # Connections
///
/// It wraps a connection that multiplexes, named by the sealed trait [`Multiplexed`]:
/// `redis::aio::MultiplexedConnection`, and `redis::aio::ConnectionManager` with the
/// feature `connection-manager`. Not redis's async cluster connection: its
/// `req_packed_commands` routes a whole pipeline by its first key, so one batch of several
/// slots would reach one node, and evalsha would no longer see a cluster connection (no
/// cross-slot check, no redirects followed). What redis 1.x and 2.x would allow:
/// `route_pipeline` sends a pipeline to the node that serves a given slot, so a batch could
/// be split per slot (not per node: the node of a slot is not exposed), with
/// `ClusterClientBuilder::retries(0)` so that redis does not resend a batch after a
/// connection error; each call's `MOVED`/`ASK` would still have to be followed per call.
/// Not built.
pub struct AutoPipeline<C = redis::aio::MultiplexedConnection> {
    con: C,
    queue: Arc<Queue>,
}

impl<C: Clone> Clone for AutoPipeline<C> {
    fn clone(&self) -> Self {
        AutoPipeline {
            con: self.con.clone(),
            queue: self.queue.clone(),
        }
    }
}

impl<C> std::fmt::Debug for AutoPipeline<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoPipeline")
            .field("limit", &self.queue.limit)
            .field("in_flight", &self.queue.in_flight)
            .finish_non_exhaustive()
    }
}

/// The shared part: the bounds, the forming batch and the batches on their way.
struct Queue {
    limit: usize,
    in_flight: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The batch being filled, not yet sent.
    forming: Option<Forming>,
    /// The batches started and not known to be done, oldest first (they finish in
    /// order: one connection answers in order).
    in_flight: VecDeque<Batch>,
}

/// A batch being filled: its commands, and the future every caller of it awaits.
struct Forming {
    cmds: Vec<Cmd>,
    batch: Batch,
}

/// One batch: sends its commands once, then holds their replies.
type Batch = batch::Batch<Outcome>;

/// What a batch came to.
#[derive(Clone)]
enum Outcome {
    /// The replies, one per command in order; each caller takes its own.
    Replies(Arc<Mutex<Vec<Value>>>),
    /// Nothing came back for the batch: every command gets this error.
    Failed(RedisError),
    /// A lone caller's command, sent by the caller itself, which took its reply.
    Alone,
}

/// What [`AutoPipeline::enqueue`] did with a command.
enum Enqueued {
    /// Joined this batch, at this position.
    Joined(Batch, usize),
    /// Nothing in flight, nothing forming: the caller sends the command itself, now, and
    /// finishes this batch (which later calls wait for) when the reply is in.
    Alone(Lone),
    /// The forming batch is full: wait for this one, then try again.
    Full(Batch),
}

/// A lone caller's batch ([`Batch::later`]), finished when the reply is in or, if the
/// caller is dropped first, on drop.
struct Lone(Batch);

impl Lone {
    /// Finishes the batch with what the command got: its error, if it failed.
    /// (`drop` then finds it finished and does nothing.)
    fn finish(self, reply: &RedisResult<Value>) {
        self.0.finish(match reply {
            Err(err) => Outcome::Failed(err.clone()),
            Ok(_) => Outcome::Alone,
        });
    }
}

impl Drop for Lone {
    fn drop(&mut self) {
        self.0.finish(Outcome::Alone);
    }
}

impl<C: Multiplexed> AutoPipeline<C> {
    /// How many commands a forming batch holds by default before callers wait
    /// (see [`AutoPipeline::with_limit`]).
    pub const DEFAULT_LIMIT: usize = 1024;

    /// Wraps `con`, with a forming batch of at most [`Self::DEFAULT_LIMIT`] commands.
    pub fn new(con: C) -> Self {
        Self::with_limit(con, Self::DEFAULT_LIMIT)
    }

    /// Wraps `con`, with a forming batch of at most `limit` commands (at least 1): a
    /// command that finds it full waits until that batch has its replies.
    pub fn with_limit(con: C, limit: usize) -> Self {
        Self::with_bounds(con, limit, Self::DEFAULT_IN_FLIGHT)
    }

    /// Wraps `con` with a new queue of these bounds (each at least 1).
    fn with_bounds(con: C, limit: usize, in_flight: usize) -> Self {
        AutoPipeline {
            con,
            queue: Arc::new(Queue {
                limit: limit.max(1),
                in_flight: in_flight.max(1),
                state: Mutex::default(),
            }),
        }
    }

    /// How many commands a batch holds at most.
    pub fn limit(&self) -> usize {
        self.queue.limit
    }

    /// How many batches may be on their way at once by default (see
    /// [`AutoPipeline::with_in_flight`]).
    pub const DEFAULT_IN_FLIGHT: usize = 8;

    /// The same queue, allowing at most `batches` batches (at least 1) on their way at
    /// once: a batch formed beyond them is written when the oldest has its replies. With
    /// 1, every call that arrives during a round trip waits for it and goes out in the
    /// next write. Call it before cloning: clones made earlier keep the old setting.
    pub fn with_in_flight(self, batches: usize) -> Self {
        let limit = self.queue.limit;
        Self::with_bounds(self.con, limit, batches)
    }

    /// How many batches may be on their way at once.
    pub fn in_flight(&self) -> usize {
        self.queue.in_flight
    }

    /// The wrapped connection (this clone's).
    pub fn get_ref(&self) -> &C {
        &self.con
    }

    /// Sends `cmd` with the next batch, or alone and at once when nothing is in flight,
    /// and returns its own reply.
    async fn send(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        loop {
            match self.enqueue(cmd) {
                Enqueued::Full(full) => {
                    // Back-pressure: wait for the full batch's replies, then try again.
                    let _ = full.wait().await;
                }
                Enqueued::Alone(lone) => {
                    crate::trace::batch(1);
                    let reply = self.con.req_packed_command(cmd).await;
                    lone.finish(&reply);
                    return reply;
                }
                Enqueued::Joined(batch, index) => {
                    return match batch.wait().await {
                        Outcome::Replies(replies) => {
                            let mut replies =
                                replies.lock().unwrap_or_else(PoisonError::into_inner);
                            Ok(std::mem::replace(&mut replies[index], Value::Nil))
                        }
                        Outcome::Failed(err) => Err(err),
                        // Never: a batch that takes commands is not a lone caller's.
                        Outcome::Alone => Err(missing_replies()),
                    };
                }
            }
        }
    }

    /// Puts `cmd` in the forming batch, starting one if there is none; or says that
    /// nothing is in flight (the caller sends `cmd` alone), or that the forming batch is
    /// full.
    fn enqueue(&self, cmd: &Cmd) -> Enqueued {
        let mut state = self
            .queue
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(forming) = &mut state.forming {
            if forming.cmds.len() >= self.queue.limit {
                return Enqueued::Full(forming.batch.clone());
            }
            forming.cmds.push(cmd.clone());
            return Enqueued::Joined(forming.batch.clone(), forming.cmds.len() - 1);
        }
        while state.in_flight.front().is_some_and(Batch::is_done) {
            state.in_flight.pop_front();
        }
        if state.in_flight.is_empty() {
            let lone = Batch::later();
            state.in_flight.push_back(lone.clone());
            return Enqueued::Alone(Lone(lone));
        }
        let before: Vec<Batch> = state.in_flight.iter().cloned().collect();
        let batch = Batch::new(start(self.queue.clone(), self.con.clone(), before));
        state.forming = Some(Forming {
            cmds: vec![cmd.clone()],
            batch: batch.clone(),
        });
        state.in_flight.push_back(batch.clone());
        Enqueued::Joined(batch, 0)
    }
}

/// The error for a batch that came back with fewer replies than commands.
fn missing_replies() -> RedisError {
    RedisError::from((
        redis::ErrorKind::Parse,
        "AutoPipeline: fewer replies than commands",
    ))
}

/// The future of a new batch, started while the batches `before` it (oldest first) are
/// in flight: lets the calls ready to run join it if fewer than the most allowed are in
/// flight, else waits for the oldest's replies; then, unless a batch `before` it broke
/// the connection, takes the forming batch's commands and sends them as one pipeline on
/// `con`.
fn start<C: Multiplexed>(queue: Arc<Queue>, mut con: C, before: Vec<Batch>) -> batch::Job<Outcome> {
    Box::pin(async move {
        match before.first() {
            Some(oldest) if before.len() >= queue.in_flight => drop(oldest.wait().await),
            _ => batch::YieldNow::default().await,
        }
        let cmds = queue
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forming
            .take()
            .map(|forming| forming.cmds)
            .unwrap_or_default();
        if before.iter().any(broke_connection) {
            return Outcome::Failed(not_sent());
        }
        drop(before);
        let count = cmds.len();
        crate::trace::batch(count);
        if let [cmd] = &cmds[..] {
            // A batch of one (the only call that arrived meanwhile): sent as the command
            // it is.
            return match con.req_packed_command(cmd).await {
                Ok(reply) => Outcome::Replies(Arc::new(Mutex::new(vec![reply]))),
                Err(err) => Outcome::Failed(err),
            };
        }
        let mut pipe = crate::compat::pipeline(count);
        for cmd in cmds {
            pipe.add_command(cmd);
        }
        match con.req_packed_commands(&pipe, 0, count).await {
            Ok(replies) if replies.len() == count => {
                Outcome::Replies(Arc::new(Mutex::new(replies)))
            }
            Ok(_) => Outcome::Failed(missing_replies()),
            Err(err) => Outcome::Failed(err),
        }
    })
}

/// Whether `batch` has failed with an error that means the connection is gone.
fn broke_connection(batch: &Batch) -> bool {
    matches!(batch.peek(), Some(Outcome::Failed(err)) if breaks_connection(&err))
}

/// Whether `err`, which failed a whole batch, means the connection is gone.
fn breaks_connection(err: &RedisError) -> bool {
    err.is_io_error() || err.is_connection_dropped() || err.is_unrecoverable_error()
}

/// The error of a command that was queued behind a batch that broke the connection, and
/// was therefore never written: a connection refusal, which evalsha reads as `Ran::No`.
fn not_sent() -> RedisError {
    RedisError::from(io::Error::new(
        io::ErrorKind::ConnectionRefused,
        "AutoPipeline: not sent, the connection broke while this command was queued",
    ))
}

impl<C: Multiplexed> redis::aio::ConnectionLike for AutoPipeline<C> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(self.send(cmd))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        self.con.req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.con.get_db()
    }
}
