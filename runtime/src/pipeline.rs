//! Script calls in pipelines and `MULTI`/`EXEC` transactions, next to ordinary commands.
//!
//! # How a script reaches the server inside a pipeline
//!
//! A pipeline cannot take the single-call route (send `EVALSHA`, reload on `NOSCRIPT`,
//! retry): by the time a `NOSCRIPT` reply arrives, the commands after it have already run,
//! so retrying the failed call would run it out of order, and in `MULTI`/`EXEC` the rest of
//! the "atomic" block would already have run without it. So, for [`Reload::Load`] (the
//! default), **each script's first call in the pipeline goes as `EVAL` (or `EVAL_RO`) with
//! the body, and its later calls as `EVALSHA`**. `EVAL` runs the call and leaves the
//! script in the server's cache (on Redis 6.2, 7.0 and Valkey 8.1 alike, which
//! `tests/pipeline.rs` checks right after `SCRIPT FLUSH`), so the `EVALSHA`s after it find
//! it: every call runs exactly once and in order, in one round trip.
//!
//! Redis 7.4+ and Valkey evict scripts cached by `EVAL` beyond the latest 500 (`INFO`
//! `evicted_scripts`). A pipeline sends a script's call as `EVAL` again when 400 `EVAL`s
//! came between it and the script's previous call, so a pipeline of any number of
//! scripts still runs every call once (`tests/new_server_errors.rs`, 600 scripts). Should
//! other clients' `EVAL`s evict a script all the same, its `EVALSHA` fails with the
//! server's `NOSCRIPT`: not run ([`Ran::No`](crate::Ran::No)), not retried.
//!
//! No `SCRIPT LOAD` ever goes into a pipeline, so pipelines work for ACL users denied
//! `SCRIPT` (common on managed Redis), and a script that cannot be loaded fails only its
//! own calls: every call's result is its own, with [`Error::ran`](crate::Error::ran)
//! saying whether it ran.
//!
//! Calls with [`Reload::Eval`] always go as `EVAL` with the body; calls with
//! [`Reload::Never`] as plain `EVALSHA` (a missing script is that call's error, not run).
//! Nothing in a pipeline is ever retried.
//!
//! # Why a warm pipeline still carries each body once
//!
//! A pipeline of already-loaded scripts could go as `EVALSHA`s only, but no design keeps
//! exactly-once-in-order that way, because the client cannot know the server still holds
//! the script when the pipeline arrives (another client's `SCRIPT FLUSH`, a failover, a
//! restart):
//!
//! | strategy | round trips | bytes | order and exactly-once |
//! |---|---|---|---|
//! | `EVALSHA` only, retry the `NOSCRIPT` calls | 1, or 2 after a flush | none warm | **broken**: the retried calls run after later ones; in `MULTI`/`EXEC` the rest of the block runs without them |
//! | `SCRIPT EXISTS` first | **2, always** | none | **broken** by a flush between the two |
//! | `SCRIPT LOAD` inside the pipeline (evalsha before) | 1 | body once per script | kept, but fails for users without `SCRIPT` |
//! | first call as `EVAL` (evalsha now) | 1 | body once per script | kept; needs only the right to run scripts |
//!
//! The price is each distinct script's body once per pipeline (measured in
//! BENCHMARKS.md beside a hand-written `EVALSHA` pipeline); the server compiles a body
//! only when it does not have it cached. Single calls ([`Call::run`](crate::Call::run))
//! never send the body when warm.
//!
//! # Transactions
//!
//! With [`Pipeline::atomic`], a command the server refuses while queuing it (`OOM` under
//! `maxmemory`, `NOPERM`, a wrong argument count) makes `EXEC` discard the whole block
//! (`EXECABORT`): the error is [`ErrorKind::TransactionAborted`] naming that command's
//! position and script, with the server's reason as its source, and
//! [`Ran::No`](crate::Ran::No). Redis 6.2 and 7.0 refuse *every* command queued in
//! `MULTI` while over `maxmemory` (Valkey 8.1 queues them), so there a transaction cannot
//! run under OOM at all, whatever it holds; use a plain pipeline.
//!
//! # Redis Functions
//!
//! A function has no `EVAL` form, so for the first call of each library (with
//! [`Reload::Load`]) the pipeline carries a `FUNCTION LOAD` of the library right before
//! it (inside `MULTI` for a transaction), and every call goes as `FCALL`/`FCALL_RO`. The
//! load is sent without `REPLACE`: on a server that has the library it is refused with
//! `Library '..' already exists` at the cost of a dictionary lookup, and that reply is
//! dropped, as is a successful load's. Every call runs exactly once and in order, also
//! right after `FUNCTION FLUSH`. When the load failed for another reason, the library's
//! calls fail with that reason ([`ErrorKind::Load`], not run); when the name is taken by
//! another body (`versioned = false`) and the function is missing, with
//! [`ErrorKind::LibraryConflict`]. Load replies are not among the results.
//!
//! One limit, inherent to Redis: a plain (non-atomic) pipeline too large for the server to
//! read at once is executed in several reads, between which another client's
//! `SCRIPT FLUSH` can run; the affected calls then fail with `NOSCRIPT` (not run, not
//! retried). Use [`Pipeline::atomic`] where that matters.

use redis::{Cmd, FromRedisValue, RedisError, ToRedisArgs, Value};

use crate::call::{Call, CallError};
use crate::connection;
pub use crate::error::PIPELINE;
use crate::error::{Error, ErrorKind, Subject};
use crate::script::{Kind, Reload};
use crate::trace::{self, Timer};

/// How many `EVAL`s of other scripts a pipeline lets pass after a script's latest call
/// before it sends that script's next call as `EVAL` again rather than `EVALSHA`. Redis
/// 7.4+ and Valkey keep the scripts cached by `EVAL` in an LRU list of 500 and evict the
/// oldest beyond it (`INFO` `evicted_scripts`); a script used again before 500 others
/// came in is still there. The margin leaves room for other clients' `EVAL`s
/// (`tests/new_server_errors.rs` runs 600 scripts through one pipeline).
const EVICTION_MARGIN: usize = 400;

/// A pipeline (or, with [`atomic`](Self::atomic), a `MULTI`/`EXEC` transaction) of script
/// calls and ordinary commands, whose results come back in the order they were added.
///
/// ```rust,ignore
/// let (left, n): (i64, i64) = evalsha::Pipeline::new()
///     .script(RateLimit.call("rate:user:42", 10, 60_000))
///     .cmd("SET").arg("seen").arg(1).ignore()
///     .cmd("INCR").arg("hits")
///     .query(&mut con)?;
/// ```
///
/// `E` is the error type of its `query` methods: [`Error`], or `redis::RedisError`
/// carrying it for a pipeline from [`redis_result::pipeline`](crate::redis_result::pipeline)
/// (a crate that sets `error = "redis"`).
pub struct Pipeline<E = Error> {
    /// The commands to send, in order.
    items: Vec<Item>,
    atomic: bool,
    /// Libraries whose `FUNCTION LOAD` is already in this pipeline.
    loaded: Vec<&'static str>,
    /// Scripts whose `EVAL` is already in this pipeline, each with the value of `evals`
    /// at its latest call.
    evaled: Vec<(&'static str, usize)>,
    /// How many calls in this pipeline go as `EVAL`.
    evals: usize,
    /// A call that could not be encoded: the pipeline fails with it before sending.
    refused: Option<(Subject, ErrorKind)>,
    error: std::marker::PhantomData<fn() -> E>,
}

impl<E> Default for Pipeline<E> {
    fn default() -> Self {
        Pipeline {
            items: Vec::new(),
            atomic: false,
            loaded: Vec::new(),
            evaled: Vec::new(),
            evals: 0,
            refused: None,
            error: std::marker::PhantomData,
        }
    }
}

enum Item {
    /// A `FUNCTION LOAD` of a library before its first call; its reply is dropped.
    Load(&'static crate::Library),
    /// A script call, already packed; `eval` sends it as `EVAL` with the body.
    Call {
        call: Call<Value>,
        eval: bool,
        ignore: bool,
    },
    /// An ordinary command.
    Cmd { cmd: Cmd, ignore: bool },
}

/// What a pipeline sent got back, and since when it was on its way (for the metrics).
struct Sent {
    replies: redis::RedisResult<Vec<Value>>,
    timer: Timer,
}

impl Item {
    /// Appends the packed command: calls are copied as packed, never re-encoded.
    fn write_packed(&self, out: &mut Vec<u8>) {
        match self {
            Item::Load(library) => crate::resp::push_command(out, &library.load_command()),
            Item::Call {
                call, eval: false, ..
            } => out.extend_from_slice(call.packed()),
            Item::Call {
                call, eval: true, ..
            } => out.extend_from_slice(&call.packed_eval()),
            Item::Cmd { cmd, .. } => cmd.write_packed_command(out),
        }
    }

    /// The command as a `redis::Cmd`, for async connections (which take commands).
    fn to_cmd(&self) -> Cmd {
        match self {
            Item::Load(library) => crate::resp::to_cmd(&library.load_command()),
            Item::Call {
                call, eval: true, ..
            } => call.to_body_cmd(),
            Item::Call { call, .. } => call.to_call_cmd(),
            Item::Cmd { cmd, .. } => cmd.clone(),
        }
    }
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<E> Pipeline<E> {
    /// Makes this a `MULTI`/`EXEC` transaction: every command runs, or none does.
    pub fn atomic(&mut self) -> &mut Self {
        self.atomic = true;
        self
    }

    /// Adds a prepared script call (`RateLimit.call(..)`).
    pub fn script<T, F>(&mut self, call: Call<T, F>) -> &mut Self {
        if let Err(err) = call.check() {
            // A parameter that expanded to several arguments: the whole pipeline fails
            // before anything is sent, like a single call would.
            self.refused
                .get_or_insert((err.subject(), err.kind().clone()));
            return self;
        }
        let script = call.script();
        // A Redis Function has no `EVAL` form: its library's first call is preceded by a
        // `FUNCTION LOAD` (see the module docs), and every call goes as `FCALL`.
        if let Kind::Function { library, .. } = script.kind() {
            if call.reload_policy() == Reload::Load && !self.loaded.contains(&library.loaded_name())
            {
                self.loaded.push(library.loaded_name());
                self.items.push(Item::Load(library));
            }
            self.items.push(Item::Call {
                call: call.erase(),
                eval: false,
                ignore: false,
            });
            return self;
        }
        // The first call of a script with `Reload::Load` goes as `EVAL`, which also puts
        // the script in the server's cache for the `EVALSHA`s after it. A later call goes
        // as `EVAL` again when so many `EVAL`s came between that the server may have
        // evicted the script (see EVICTION_MARGIN).
        let eval = match call.reload_policy() {
            Reload::Eval => true,
            Reload::Never => false,
            _ => {
                let at = self
                    .evaled
                    .iter()
                    .position(|(sha1, _)| *sha1 == script.sha1());
                match at {
                    Some(at) if self.evals - self.evaled[at].1 < EVICTION_MARGIN => {
                        self.evaled[at].1 = self.evals;
                        false
                    }
                    Some(at) => {
                        self.evaled[at].1 = self.evals + 1;
                        true
                    }
                    None => {
                        self.evaled.push((script.sha1(), self.evals + 1));
                        true
                    }
                }
            }
        };
        self.evals += usize::from(eval);
        self.items.push(Item::Call {
            call: call.erase(),
            eval,
            ignore: false,
        });
        self
    }

    /// Adds an ordinary command.
    pub fn add_command(&mut self, cmd: Cmd) -> &mut Self {
        self.items.push(Item::Cmd { cmd, ignore: false });
        self
    }

    /// Starts an ordinary command; add its arguments with [`arg`](Self::arg).
    pub fn cmd(&mut self, name: &str) -> &mut Self {
        self.add_command(redis::cmd(name))
    }

    /// Adds an argument to the last ordinary command (ignored after a script call).
    pub fn arg<A: ToRedisArgs>(&mut self, arg: A) -> &mut Self {
        if let Some(Item::Cmd { cmd, .. }) = self.items.last_mut() {
            cmd.arg(arg);
        }
        self
    }

    /// Leaves the reply of the last command or script call out of the results (its error,
    /// if it fails, is still reported).
    pub fn ignore(&mut self) -> &mut Self {
        match self.items.last_mut() {
            Some(Item::Call { ignore, .. }) | Some(Item::Cmd { ignore, .. }) => *ignore = true,
            _ => {}
        }
        self
    }

    /// Number of commands and script calls added (not counting evalsha's library loads).
    pub fn len(&self) -> usize {
        self.items
            .iter()
            .filter(|i| !matches!(i, Item::Load(_)))
            .count()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pipeline as a `redis::Pipeline`: what is sent.
    pub fn to_redis(&self) -> redis::Pipeline {
        let mut pipe = crate::compat::pipeline(self.items.len());
        if self.atomic {
            pipe.atomic();
        }
        for item in &self.items {
            pipe.add_command(item.to_cmd());
        }
        pipe
    }

    /// What a sync connection is sent, for the benchmarks. Not a public API.
    #[doc(hidden)]
    pub fn __packed(&self) -> Vec<u8> {
        self.packed()
    }

    /// Every command packed, with `MULTI`/`EXEC` around them for a transaction.
    fn packed(&self) -> Vec<u8> {
        let bytes: usize = self
            .items
            .iter()
            .map(|i| match i {
                Item::Call {
                    call, eval: false, ..
                } => call.packed().len(),
                Item::Call { call, .. } => call.packed().len() + call.script().source().len(),
                Item::Load(library) => 64 + library.body().len(),
                Item::Cmd { .. } => 64,
            })
            .sum();
        let mut out = Vec::with_capacity(bytes + 32);
        if self.atomic {
            crate::resp::push_command(&mut out, &[b"MULTI"]);
        }
        for item in &self.items {
            item.write_packed(&mut out);
        }
        if self.atomic {
            crate::resp::push_command(&mut out, &[b"EXEC"]);
        }
        out
    }

    /// Runs the pipeline on a sync connection and converts the results (not ignored) to
    /// `T`, like `redis::Pipeline::query`. The first failed command or call is the error;
    /// use [`query_each`](Self::query_each) to see every result.
    pub fn query<T: FromRedisValue, C: redis::ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
    ) -> Result<T, E>
    where
        E: CallError,
    {
        self.send(con)
            .and_then(|replies| self.typed(replies))
            .map_err(E::__from_error)
    }

    /// Runs the pipeline on a sync connection and returns every result (not ignored), each
    /// its own `Result`: a script error in the middle does not hide the other results.
    pub fn query_each<C: redis::ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
    ) -> Result<Vec<Result<Value, E>>, E>
    where
        E: CallError,
    {
        let each = self.send(con).and_then(|replies| self.each(replies));
        Self::errors_as_e(each)
    }

    /// [`query`](Self::query) on an async connection.
    #[cfg(feature = "aio")]
    pub async fn query_async<T: FromRedisValue, C>(&self, con: &mut C) -> Result<T, E>
    where
        C: redis::aio::ConnectionLike + ?Sized,
        E: CallError,
    {
        match self.send_async(con).await {
            Ok(replies) => self.typed(replies),
            Err(err) => Err(err),
        }
        .map_err(E::__from_error)
    }

    /// [`query_each`](Self::query_each) on an async connection.
    #[cfg(feature = "aio")]
    pub async fn query_each_async<C>(&self, con: &mut C) -> Result<Vec<Result<Value, E>>, E>
    where
        C: redis::aio::ConnectionLike + ?Sized,
        E: CallError,
    {
        let each = match self.send_async(con).await {
            Ok(replies) => self.each(replies),
            Err(err) => Err(err),
        };
        Self::errors_as_e(each)
    }

    /// `query_each`'s results with every error as `E`.
    #[allow(clippy::type_complexity)]
    fn errors_as_e(
        each: Result<Vec<Result<Value, Error>>, Error>,
    ) -> Result<Vec<Result<Value, E>>, E>
    where
        E: CallError,
    {
        match each {
            Ok(each) => Ok(each
                .into_iter()
                .map(|one| one.map_err(E::__from_error))
                .collect()),
            Err(err) => Err(E::__from_error(err)),
        }
    }

    /// Sends the pipeline on a sync connection, packed as is; `Err` when it cannot be
    /// sent, else the replies to read.
    fn send<C: redis::ConnectionLike + ?Sized>(&self, con: &mut C) -> Result<Sent, Error> {
        self.check()?;
        refuse_sync_cluster(con)?;
        let (offset, count) = self.window();
        let timer = trace::start();
        let replies = con.req_packed_commands(&self.packed(), offset, count);
        trace::batch(self.len());
        Ok(Sent { replies, timer })
    }

    /// [`send`](Self::send) on an async connection, which takes a `redis::Pipeline`.
    #[cfg(feature = "aio")]
    async fn send_async<C: redis::aio::ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
    ) -> Result<Sent, Error> {
        self.check()?;
        let (offset, count) = self.window();
        let pipe = self.to_redis();
        let timer = trace::start();
        let replies = con.req_packed_commands(&pipe, offset, count).await;
        trace::batch(self.len());
        Ok(Sent { replies, timer })
    }

    /// Fails before sending when a call could not be encoded.
    fn check(&self) -> Result<(), Error> {
        match &self.refused {
            None => Ok(()),
            Some((script, kind)) => Err(Error::new(*script, kind.clone(), None)),
        }
    }

    /// Which replies to read: all of them, or only `EXEC`'s for a transaction.
    fn window(&self) -> (usize, usize) {
        let n = self.items.len();
        if self.atomic { (n + 1, 1) } else { (0, n) }
    }

    /// The script a failure of the whole pipeline (the connection failed) is attributed
    /// to: the first script of the pipeline.
    fn blame(&self) -> Subject {
        self.items
            .iter()
            .find_map(|e| match e {
                Item::Call { call, .. } => Some(call.script().into()),
                Item::Load(library) => Some(library.path().into()),
                Item::Cmd { .. } => None,
            })
            .unwrap_or(PIPELINE.into())
    }

    /// What a failure of the command at `index` is attributed to: its script, or
    /// [`PIPELINE`] for an ordinary command.
    fn name_of(&self, index: usize) -> Subject {
        match self.items.get(index) {
            Some(Item::Call { call, .. }) => call.script().into(),
            Some(Item::Load(library)) => library.path().into(),
            _ => PIPELINE.into(),
        }
    }

    /// The error of a whole failed pipeline: for an aborted transaction (`EXECABORT`),
    /// the first command the server refused while queuing, with its reason; otherwise the
    /// connection's error.
    fn failed(&self, err: RedisError) -> Error {
        if crate::ran::is_exec_abort(&err)
            && let Some(refused) = err.clone().into_server_errors()
            && let Some((index, reason)) = refused.first()
        {
            return Error::new(
                self.name_of(*index),
                ErrorKind::TransactionAborted { command: *index },
                Some(RedisError::from(reason.clone())),
            );
        }
        Error::from_redis(self.blame(), err)
    }

    /// Records each script call of the pipeline as failed with `err` (the whole pipeline
    /// failed).
    fn record_failed(&self, timer: &Timer, err: Error) -> Error {
        for item in &self.items {
            if let Item::Call { call, eval, .. } = item {
                trace::call_done(call.script(), operation(call, *eval), timer, Some(&err));
            }
        }
        err
    }

    /// Per added command, its reply or error; `None` for a transaction aborted by `WATCH`.
    /// Records each script call's outcome (`trace`).
    fn replies(&self, sent: Sent) -> Result<Option<Vec<Result<Value, Error>>>, Error> {
        let Sent { replies, timer } = sent;
        let timer = &timer;
        let mut replies = replies.map_err(|e| self.record_failed(timer, self.failed(e)))?;
        if self.atomic {
            replies = match replies.pop() {
                Some(Value::Array(items)) => items,
                Some(Value::Nil) => return Ok(None),
                other => {
                    let err = RedisError::from((
                        redis::ErrorKind::UnexpectedReturnType,
                        "EXEC did not answer with an array",
                        format!("{other:?}"),
                    ));
                    return Err(self.record_failed(timer, Error::from_redis(self.blame(), err)));
                }
            };
        }
        if replies.len() != self.items.len() {
            let err = RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "pipeline reply count differs from the commands sent",
            ));
            return Err(self.record_failed(timer, Error::from_redis(self.blame(), err)));
        }
        let mut out = Vec::with_capacity(replies.len());
        // Libraries whose `FUNCTION LOAD` found the name taken (loaded already, or a
        // conflict, which a call's `Function not found` then reveals), and refused loads.
        let mut taken: Vec<&'static str> = Vec::new();
        let mut refused: Vec<(&'static str, RedisError)> = Vec::new();
        for (item, reply) in self.items.iter().zip(replies) {
            let reply = reply.extract_error();
            match item {
                Item::Load(library) => match reply {
                    Err(err) if crate::ran::is_library_loaded(&err) => {
                        taken.push(library.loaded_name());
                    }
                    Err(err) => refused.push((library.loaded_name(), err)),
                    Ok(_) => {}
                },
                Item::Call {
                    call, eval, ignore, ..
                } => {
                    let script = call.script();
                    // `EVAL` never answers the server's `NOSCRIPT`. An `EVALSHA` after
                    // its script's `EVAL` may: Redis 7.4+ and Valkey evict scripts
                    // cached by `EVAL` (other clients' `EVAL`s count too).
                    let own = *eval;
                    let result = reply.map_err(|e| {
                        let library = match script.kind() {
                            Kind::Function { library, .. } => Some(library.loaded_name()),
                            Kind::Script => None,
                        };
                        let missing = library.is_some() && script.is_not_loaded(&e);
                        if missing && taken.iter().any(|t| Some(*t) == library) {
                            Error::new(script, ErrorKind::LibraryConflict, Some(e))
                        } else if let Some((_, load)) =
                            refused.iter().find(|(l, _)| missing && Some(*l) == library)
                        {
                            Error::load_refused(script, load.clone())
                        } else if own {
                            Error::own_reply(script, e)
                        } else {
                            Error::from_redis(script, e).located(script)
                        }
                    });
                    trace::call_done(script, operation(call, own), timer, result.as_ref().err());
                    if !ignore || result.is_err() {
                        out.push(result);
                    }
                }
                Item::Cmd { ignore, .. } => {
                    let result = reply.map_err(|e| Error::new(PIPELINE, ErrorKind::Redis, Some(e)));
                    if !ignore || result.is_err() {
                        out.push(result);
                    }
                }
            }
        }
        Ok(Some(out))
    }

    fn each(&self, replies: Sent) -> Result<Vec<Result<Value, Error>>, Error> {
        Ok(self.replies(replies)?.unwrap_or_default())
    }

    fn typed<T: FromRedisValue>(&self, replies: Sent) -> Result<T, Error> {
        let value = match self.replies(replies)? {
            None => Value::Nil,
            Some(results) => Value::Array(results.into_iter().collect::<Result<_, _>>()?),
        };
        T::from_redis_value(value).map_err(|err| {
            Error::new(
                self.blame(),
                ErrorKind::Reply {
                    expected: std::any::type_name::<T>(),
                },
                Some(err.into()),
            )
        })
    }
}

/// The command a call in a pipeline went as: `EVAL` (or `EVAL_RO`) with the body, or its
/// own (`EVALSHA`, `FCALL`, ...).
fn operation(call: &Call<Value>, eval: bool) -> &'static str {
    if eval {
        call.eval_command()
    } else {
        call.command()
    }
}

/// Refuses an [`evalsha::Pipeline`](crate::Pipeline) on a sync cluster connection.
///
/// redis's sync cluster connection routes a whole pipeline by its first command, which
/// need not have a key (then: a random node). Measured: a plain
/// pipeline then comes back `MOVED` and redis resends all of it to the right node (an
/// ordinary command without a key would run twice), and a `MULTI`/`EXEC` one fails with
/// an aborted transaction. Neither is acceptable, so it is refused before sending. The
/// async cluster connection routes a pipeline by its first keyed command and is fine.
fn refuse_sync_cluster<C: redis::ConnectionLike + ?Sized>(con: &C) -> Result<(), Error> {
    if !connection::Kind::of_sync(con).is_cluster() {
        return Ok(());
    }
    Err(Error::new(
        PIPELINE,
        ErrorKind::Unsupported {
            what: "evalsha::Pipeline on a sync Redis Cluster connection (redis routes the \
                   whole pipeline to a random node); run the calls one by one with `run`, or \
                   use the async cluster connection, whose pipelines work when every \
                   command uses one slot",
        },
        None,
    ))
}

impl<E> std::fmt::Debug for Pipeline<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("commands", &self.len())
            .field("atomic", &self.atomic)
            .finish()
    }
}
