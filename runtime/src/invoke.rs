//! How a call runs, written once for every kind of connection: send `EVALSHA`; on
//! `NOSCRIPT` only, reload as the call's [`Reload`] policy says and retry once.
//!
//! The flow is an `async fn` over a [`Transport`]. Async connections await it; sync
//! connections drive it with [`block_on`], their transport's futures being ready at once,
//! so both follow exactly the same steps.

use std::future::Future;

use redis::{RedisError, RedisResult, Value};

use crate::call::Call;
use crate::cluster;
use crate::error::{Error, ErrorKind};
use crate::flight::{self, Begin, Waited};
use crate::ran::{self, Ran};
use crate::script::{Reload, Script};

/// The server's own reply saying it does not have what the call names (see
/// [`Script::is_not_loaded`]): the only reply that triggers a reload.
fn is_not_loaded(script: &Script, result: &RedisResult<Value>) -> bool {
    matches!(result, Err(err) if script.is_not_loaded(err))
}
use crate::trace;

/// What a connection must do for a script call. Every method sends through the connection
/// it wraps, so the load and the retry reach the same server as the first attempt.
pub(crate) trait Transport {
    /// Whether a caller on this transport may wait for another caller's load: only async
    /// ones, so a sync caller never blocks a thread an async loader may need.
    const MAY_WAIT: bool;
    /// Sends the call's `EVALSHA` (or `EVALSHA_RO`).
    fn evalsha<T>(&mut self, call: &Call<T>) -> impl Future<Output = RedisResult<Value>>;
    /// Sends the call as `EVAL` (or `EVAL_RO`) with the script body.
    fn eval<T>(&mut self, call: &Call<T>) -> impl Future<Output = RedisResult<Value>>;
    /// Sends `SCRIPT LOAD` and the call's `EVALSHA` pipelined, returning both replies.
    fn load_and_evalsha<T>(
        &mut self,
        call: &Call<T>,
    ) -> impl Future<Output = RedisResult<(Value, Value)>>;
}

/// How many times a caller retries behind other callers' loads before loading itself.
const MAX_WAITS: u32 = 3;

/// Turns an error reply into an `Err`, as `redis::Cmd::query` does.
fn reply(result: RedisResult<Value>) -> RedisResult<Value> {
    result.and_then(Value::extract_error)
}

/// Runs `call` through `transport`, inside a `tracing` span when that feature is on.
pub(crate) async fn invoke<T, Tr: Transport>(
    transport: &mut Tr,
    call: &Call<T>,
) -> Result<Value, Error> {
    trace::in_span(call.script(), invoke_untraced(transport, call)).await
}

/// Runs `call` through `transport`. Never sends a call again after any reply other than
/// the server's own `NOSCRIPT`, which guarantees the script did not run (or, after the
/// load, a cluster redirect, which guarantees the same).
async fn invoke_untraced<T, Tr: Transport>(
    transport: &mut Tr,
    call: &Call<T>,
) -> Result<Value, Error> {
    call.check()?;
    let script = call.script();
    let fail = |err: RedisError| Error::from_redis(script, err).located(script);
    let mut seen = script.flight().generation();

    let first = reply(transport.evalsha(call).await);
    if !is_not_loaded(script, &first) {
        return first.map_err(fail);
    }
    match call.reload_policy() {
        Reload::Never => return first.map_err(fail),
        Reload::Eval => {
            return reply(transport.eval(call).await).map_err(|e| Error::own_reply(script, e));
        }
        Reload::Load => {}
    }

    // Single flight (see `flight`): if a load finished after we sent, our NOSCRIPT may be
    // stale and a plain retry suffices; if a load is in progress, an async caller waits
    // for it, at most `flight::WAIT_BOUND`; otherwise, or after `MAX_WAITS` stale rounds
    // (loads on other servers), we load ourselves.
    let mut waits = 0;
    let loading = loop {
        let now = script.flight().generation();
        if now != seen && waits < MAX_WAITS {
            waits += 1;
            seen = now;
            let retry = reply(transport.evalsha(call).await);
            if !is_not_loaded(script, &retry) {
                return retry.map_err(fail);
            }
            continue;
        }
        match script.flight().begin(now) {
            Begin::Loader(loading) => break loading,
            // A load finished just now: retry (or, after `MAX_WAITS` rounds, load).
            Begin::Stale => continue,
            Begin::Busy if !Tr::MAY_WAIT || waits == MAX_WAITS => {
                break script.flight().untracked();
            }
            Begin::Busy => {}
        }
        match script.flight().wait(seen, flight::WAIT_BOUND).await {
            Waited::Ended if script.flight().generation() == seen => {
                // That load failed, was cancelled or was taken over: try again.
                waits += 1;
            }
            Waited::Ended => {}
            // The other load did not end in time: it may be to another server that never
            // answers, or to ours with its reply slow (a busy machine). A retry tells
            // which (a NOSCRIPT proves the call did not run); then take the load over,
            // unless another waiter already did.
            Waited::TimedOut { epoch } => {
                waits += 1;
                let retry = reply(transport.evalsha(call).await);
                if !is_not_loaded(script, &retry) {
                    return retry.map_err(fail);
                }
                if let Some(loading) = script.flight().take_over(epoch, seen) {
                    break loading;
                }
            }
        }
    };
    let timer = trace::start();
    let (loaded, retry) = match transport.load_and_evalsha(call).await {
        Err(err) if ran::redirect(&err).is_some() => {
            // Redis Cluster: the slot is moving and `redis` followed the redirect with the
            // whole load-and-call pipeline, so the script is now loaded where the key is,
            // but the call itself was refused there (`ASK` applies to one command). A
            // redirect guarantees the call did not run: send it once more, as at first.
            drop(loading);
            return reply(transport.evalsha(call).await).map_err(fail);
        }
        other => other.map_err(fail)?,
    };
    let loaded = reply(Ok(loaded));
    let retry = reply(Ok(retry));
    let loaded = match loaded {
        // A library is loaded without `REPLACE`, so a server that has it already says so.
        // Another caller loaded this version meanwhile: the retry's reply stands. But
        // when the function is still missing, the name is taken by a different body
        // (`versioned = false`, or a foreign library registering the same function name).
        Err(err) if script.is_loaded_already(&err) => {
            if is_not_loaded(script, &retry) {
                Err(Error::new(script, ErrorKind::LibraryConflict, Some(err)).with_ran(Ran::No))
            } else {
                Ok(())
            }
        }
        // A refused load explains the retry's NOSCRIPT: nothing ran.
        other => other.map(drop).map_err(|e| Error::load_refused(script, e)),
    };
    trace::loaded(script, timer, loaded.is_ok());
    if loaded.is_ok() {
        loading.loaded();
    }
    drop(loading);
    loaded?;
    retry.map_err(|e| Error::own_reply(script, e))
}

/// Drives a future to completion on this thread, parking while it is pending. Used for
/// sync connections, whose transport futures are ready at once and which never wait for
/// another caller's load (`Transport::MAY_WAIT`), so it does not park in practice.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    thread_local! {
        static WAKER: Waker = Waker::from(Arc::new(Unpark(thread::current())));
    }

    let mut future = pin!(future);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            thread::park();
        }
    })
}

/// A sync connection as a [`Transport`]: sends pre-packed bytes.
pub(crate) struct SyncTransport<'c, C: ?Sized>(pub(crate) &'c mut C);

impl<C: redis::ConnectionLike + ?Sized> Transport for SyncTransport<'_, C> {
    const MAY_WAIT: bool = false;

    async fn evalsha<T>(&mut self, call: &Call<T>) -> RedisResult<Value> {
        self.0.req_packed_command(call.packed())
    }

    async fn eval<T>(&mut self, call: &Call<T>) -> RedisResult<Value> {
        self.0.req_packed_command(&call.packed_eval())
    }

    async fn load_and_evalsha<T>(&mut self, call: &Call<T>) -> RedisResult<(Value, Value)> {
        if !self.0.supports_pipelining() {
            // A sync cluster connection: see `cluster` for why the call goes first.
            let mut replies =
                self.0
                    .req_packed_commands(&cluster::packed_probe_load_and_call(call), 0, 3)?;
            replies.remove(0);
            return pair(&mut replies);
        }
        let mut replies = self
            .0
            .req_packed_commands(&call.packed_load_and_call(), 0, 2)?;
        pair(&mut replies)
    }
}

/// Takes the two replies of a load-and-call pipeline.
fn pair(replies: &mut Vec<Value>) -> RedisResult<(Value, Value)> {
    if replies.len() != 2 {
        return Err(RedisError::from((
            redis::ErrorKind::Parse,
            "expected two replies to SCRIPT LOAD + EVALSHA",
        )));
    }
    let retry = replies.pop().unwrap_or(Value::Nil);
    let loaded = replies.pop().unwrap_or(Value::Nil);
    Ok((loaded, retry))
}

/// An async connection as a [`Transport`]: builds `redis::Cmd`s.
#[cfg(feature = "aio")]
pub(crate) struct AsyncTransport<'c, C: ?Sized>(pub(crate) &'c mut C);

#[cfg(feature = "aio")]
impl<C: redis::aio::ConnectionLike + ?Sized> Transport for AsyncTransport<'_, C> {
    const MAY_WAIT: bool = true;

    fn evalsha<T>(&mut self, call: &Call<T>) -> impl Future<Output = RedisResult<Value>> {
        let cmd = call.to_cmd(call.command(), call.script().target());
        async move { self.0.req_packed_command(&cmd).await }
    }

    fn eval<T>(&mut self, call: &Call<T>) -> impl Future<Output = RedisResult<Value>> {
        let cmd = call.to_cmd(call.eval_command(), call.script().source());
        async move { self.0.req_packed_command(&cmd).await }
    }

    fn load_and_evalsha<T>(
        &mut self,
        call: &Call<T>,
    ) -> impl Future<Output = RedisResult<(Value, Value)>> {
        let mut pipe = redis::pipe();
        pipe.add_command(crate::call::load_cmd(call.script()));
        pipe.add_command(call.to_cmd(call.command(), call.script().target()));
        async move {
            let mut replies = self.0.req_packed_commands(&pipe, 0, 2).await?;
            pair(&mut replies)
        }
    }
}

impl<T: redis::FromRedisValue> Call<T> {
    /// Runs the call on a sync connection: `EVALSHA`, and on `NOSCRIPT` only, the reload
    /// and one retry through the same connection.
    ///
    /// On a Redis Cluster connection the keys must hash to one slot (checked before
    /// anything is sent) and the reload happens on the node that runs the call.
    pub fn run<C: redis::ConnectionLike + ?Sized>(&self, con: &mut C) -> Result<T, Error> {
        #[cfg(feature = "cluster")]
        if let Some(con) = cluster::as_sync_cluster(con) {
            return self.decode(cluster::invoke_sync(con, self)?);
        }
        if !con.supports_pipelining() {
            cluster::check_slots(self)?;
        }
        let value = block_on(invoke(&mut SyncTransport(con), self))?;
        self.decode(value)
    }

    /// Runs the call on an async connection: `EVALSHA`, and on `NOSCRIPT` only, the reload
    /// and one retry through the same connection.
    ///
    /// On `redis::cluster_async::ClusterConnection` (feature `cluster-async`) the keys must
    /// hash to one slot, checked before anything is sent; the reload and the retry go to
    /// the node that runs the call.
    #[cfg(feature = "aio")]
    pub async fn run_async<C: redis::aio::ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
    ) -> Result<T, Error> {
        #[cfg(feature = "cluster-async")]
        if let Some(con) = cluster::as_async_cluster(con) {
            return self.decode(cluster::invoke_async(con, self).await?);
        }
        let value = invoke(&mut AsyncTransport(con), self).await?;
        self.decode(value)
    }
}
