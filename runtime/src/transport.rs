//! What the call flow needs from a connection: a [`Transport`] sends one [`Step`] of a
//! call and returns what the server replied. The plain transports (`plain`) send through
//! the connection as it is; the cluster transport (`cluster`) wraps them and follows
//! redirects. The flow (`invoke`) knows only this trait.
//!
//! [`Commands`] is the same for ordinary commands (loads, `SCRIPT EXISTS`, `FUNCTION
//! LIST`, deletes), which the bulk operations (`bulk`) send.

use std::future::Future;

use redis::{Cmd, RedisResult, Value};

use crate::call::Call;

/// One step of a call: what goes to the server in one round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The call naming what the server should have: `EVALSHA` (or `EVALSHA_RO`), `FCALL`
    /// (or `FCALL_RO`).
    Call,
    /// The call carrying the body: `EVAL` (or `EVAL_RO`); a script only.
    CallWithBody,
    /// The load (`SCRIPT LOAD`, `FUNCTION LOAD`) and then the call, on one server.
    LoadAndCall,
}

impl Step {
    /// The command of this step that runs the call, as a `redis::Cmd`.
    #[cfg(any(feature = "aio", feature = "cluster"))]
    pub(crate) fn call_cmd<T, E>(self, call: &Call<T, E>) -> Cmd {
        match self {
            Step::CallWithBody => call.to_body_cmd(),
            Step::Call | Step::LoadAndCall => call.to_call_cmd(),
        }
    }
}

/// The replies to a step: the load's, for [`Step::LoadAndCall`], and the call's.
pub(crate) struct Sent {
    /// The reply to the load; `None` for a step without one.
    pub(crate) loaded: Option<Value>,
    /// The reply to the call.
    pub(crate) reply: Value,
}

impl Sent {
    /// The replies of a step without a load.
    pub(crate) fn call(reply: Value) -> Self {
        Sent {
            loaded: None,
            reply,
        }
    }

    /// The replies of a pipeline `[load] .. call`: its first reply is the load's when
    /// `load` is set, its last the call's; any between (an `ASKING`) are dropped.
    pub(crate) fn of_pipeline(replies: Vec<Value>, load: bool) -> RedisResult<Self> {
        let mut replies = replies.into_iter();
        let loaded = if load { replies.next() } else { None };
        match replies.next_back() {
            Some(reply) if loaded.is_some() == load => Ok(Sent { loaded, reply }),
            _ => Err(missing_replies()),
        }
    }
}

/// The error for a pipeline that came back with fewer replies than commands sent.
pub(crate) fn missing_replies() -> redis::RedisError {
    redis::RedisError::from((
        redis::ErrorKind::Parse,
        "expected two replies to SCRIPT LOAD + EVALSHA",
    ))
}

/// What a connection must do for a script call. It sends through the connection it
/// wraps, so the load and the retry reach the same server as the first attempt.
pub(crate) trait Transport {
    /// Whether a caller on this transport may wait for another caller's load: only async
    /// ones, so a sync caller never blocks a thread an async loader may need.
    const MAY_WAIT: bool;

    /// Sends `step` of `call`.
    fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
    ) -> impl Future<Output = RedisResult<Sent>>;
}

/// What a connection must do for ordinary commands.
pub(crate) trait Commands {
    /// True on a Redis Cluster connection (`connection::Kind::is_cluster`): there a keyless
    /// command goes alone (redis sends it to every node), since a pipeline of them would
    /// reach one node.
    fn is_cluster(&self) -> bool;

    /// Sends one command.
    fn one(&mut self, cmd: &Cmd) -> impl Future<Output = RedisResult<Value>>;

    /// Sends `pipe` and returns its `count` replies.
    fn all(
        &mut self,
        pipe: &redis::Pipeline,
        count: usize,
    ) -> impl Future<Output = RedisResult<Vec<Value>>>;
}
