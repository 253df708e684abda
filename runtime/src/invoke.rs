//! How a call runs, written once for every kind of connection and for scripts and
//! functions alike: send the call (`EVALSHA`, `FCALL`); on the server's "not loaded"
//! (`NOSCRIPT`, `ERR Function not found`) only, reload as the call's [`Reload`] policy
//! says and retry once.
//!
//! The flow is an `async fn` over a [`Transport`], which sends each [`Step`]. Async
//! connections await it; sync connections drive it with `plain::block_on`, their
//! transport's futures being ready at once, so both follow exactly the same steps. The
//! entry points (`connection`) choose the transport; nothing here knows the connection's
//! kind.

use redis::{RedisError, RedisResult, Value};

use crate::call::Call;
use crate::error::{Error, ErrorKind};
use crate::flight::{self, Begin, Waited};
use crate::ran::{self, Ran};
use crate::script::{Reload, Script};
use crate::trace;
use crate::transport::{Sent, Step, Transport};

/// The server's own reply saying it does not have what the call names (see
/// [`Script::is_not_loaded`]): the only reply that triggers a reload.
fn is_not_loaded(script: &Script, result: &RedisResult<Value>) -> bool {
    matches!(result, Err(err) if script.is_not_loaded(err))
}

/// The call's reply in what a step without a load returned, an error reply as an `Err`.
/// (A plain function, not another `async fn` around `send`: the warm path stays one
/// future deep.)
#[inline]
fn call_reply(sent: RedisResult<Sent>) -> RedisResult<Value> {
    reply(sent.map(|sent| sent.reply))
}

/// How many times a caller retries behind other callers' loads before loading itself.
const MAX_WAITS: u32 = 3;

/// Turns an error reply into an `Err`, as `redis::Cmd::query` does.
fn reply(result: RedisResult<Value>) -> RedisResult<Value> {
    result.and_then(Value::extract_error)
}

/// Runs `call` through `transport`, timed and inside a span when the features `metrics`
/// and `tracing` are on (`trace::Observed`: one record per call, its reload included).
pub(crate) async fn invoke<T, E, Tr: Transport>(
    transport: &mut Tr,
    call: &Call<T, E>,
) -> Result<Value, Error> {
    let observed = trace::Observed::start(call.script(), call.command());
    let result = observed.instrument(invoke_untraced(transport, call)).await;
    observed.end(result)
}

/// Runs `call` through `transport`. Never sends a call again after any reply other than
/// the server's own `NOSCRIPT`, which guarantees the script did not run (or, after the
/// load, a cluster redirect, which guarantees the same).
async fn invoke_untraced<T, E, Tr: Transport>(
    transport: &mut Tr,
    call: &Call<T, E>,
) -> Result<Value, Error> {
    call.check()?;
    let script = call.script();
    let fail = |err: RedisError| Error::from_redis(script, err).located(script);
    let mut seen = script.flight().generation();

    let first = call_reply(transport.send(Step::Call, call).await);
    if !is_not_loaded(script, &first) {
        return first.map_err(fail);
    }
    match call.reload_policy() {
        Reload::Never => return first.map_err(fail),
        Reload::Eval => {
            return call_reply(transport.send(Step::CallWithBody, call).await)
                .map_err(|e| Error::own_reply(script, e));
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
            let retry = call_reply(transport.send(Step::Call, call).await);
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
                let retry = call_reply(transport.send(Step::Call, call).await);
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
    let reason = trace::Reason::reload_of(script);
    let (loaded, retry) = match transport.send(Step::LoadAndCall, call).await {
        Err(err) if ran::redirect(&err).is_some() => {
            // Redis Cluster: the slot is moving and `redis` followed the redirect with the
            // whole load-and-call pipeline, so the script is now loaded where the key is,
            // but the call itself was refused there (`ASK` applies to one command). A
            // redirect guarantees the call did not run: send it once more, as at first.
            trace::loaded(script, reason, &timer, None);
            drop(loading);
            return call_reply(transport.send(Step::Call, call).await).map_err(fail);
        }
        Ok(Sent {
            loaded: Some(loaded),
            reply,
        }) => (loaded, reply),
        Ok(Sent { loaded: None, .. }) => return Err(fail(crate::transport::missing_replies())),
        Err(err) => {
            // The load may or may not have reached the server: counted, with the error.
            let err = fail(err);
            trace::loaded(script, reason, &timer, Some(&err));
            return Err(err);
        }
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
    trace::loaded(script, reason, &timer, loaded.as_ref().err());
    if loaded.is_ok() {
        loading.loaded();
    }
    drop(loading);
    loaded?;
    retry.map_err(|e| Error::own_reply(script, e))
}
