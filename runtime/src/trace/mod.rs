//! Observability, recorded in one place for every path a call takes (sync, async, cluster,
//! pipeline): with the feature `tracing` a span per call and an event per load, with the
//! feature `metrics` the metrics below, through the `metrics` crate's facade. Names and
//! attributes follow OpenTelemetry's database conventions:
//!
//! | metric | kind | attributes |
//! |---|---|---|
//! | `db.client.operation.duration` | histogram, seconds, one per call (its reload included) | `db.system.name` = `redis`, `db.operation.name`, `db.stored_procedure.name`; on failure `error.type` and `evalsha.ran` |
//! | `evalsha.script.loads` | counter | `db.stored_procedure.name`, `evalsha.load.reason`; on failure `error.type` |
//! | `evalsha.pipeline.calls` | histogram, calls per written batch | `db.system.name` |
//!
//! Who calls what: `invoke` observes each call with [`Observed`] and reports its load step with
//! [`loaded`]; `bulk`'s preload reports each script with [`loaded`]; `pipeline` reports
//! each script call it sent with [`call_done`] and each batch it wrote with [`batch`]
//! (an auto-pipelining connection reports each batch it writes with [`batch`] too).
//!
//! Nothing here ever sees a key, an argument or a script body: the attributes are the
//! script's type name, the command's name and fixed words. Without either feature every
//! function is an empty inline one and [`Timer`] a zero-sized value, so the calls compile
//! to nothing.

#[cfg(feature = "metrics")]
mod meter;
#[cfg(feature = "tracing")]
mod spans;

use crate::error::{Error, ErrorKind};
use crate::ran::{self, Ran};
use crate::script::Script;

#[cfg(feature = "metrics")]
pub use meter::describe_metrics;

/// Why a script was loaded: `evalsha.load.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A call met `NOSCRIPT`.
    NoScript,
    /// A function call met `ERR Function not found`.
    FunctionNotFound,
    /// `preload` loaded it.
    Preload,
}

impl Reason {
    /// The attribute value.
    #[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Reason::NoScript => "noscript",
            Reason::FunctionNotFound => "function_not_found",
            Reason::Preload => "preload",
        }
    }

    /// The reason a call of `script` reloads it.
    pub(crate) fn reload_of(script: &Script) -> Reason {
        if script.library().is_some() {
            Reason::FunctionNotFound
        } else {
            Reason::NoScript
        }
    }
}

/// Measures a call or a load, when a feature is on.
pub(crate) struct Timer {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    start: std::time::Instant,
}

/// Starts timing.
#[inline(always)]
pub(crate) fn start() -> Timer {
    Timer {
        #[cfg(any(feature = "tracing", feature = "metrics"))]
        start: std::time::Instant::now(),
    }
}

/// `error.type` of a failed call or load: the server's own error code for a failure
/// evalsha does not name itself (`BUSY`, `OOM`, `NOPERM`...: only the codes listed in
/// `ran::CODES`, never free text), `timeout` or `io` when no answer came, else evalsha's
/// [`ErrorKind`] in snake case. A fixed vocabulary: never a key, an argument or a message.
#[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
fn error_type(err: &Error) -> &'static str {
    match err.kind() {
        ErrorKind::NoScript => "noscript",
        ErrorKind::Load => "load",
        ErrorKind::TransactionAborted { .. } => "transaction_aborted",
        ErrorKind::Script { .. } => "script",
        ErrorKind::Reply { .. } => "reply",
        ErrorKind::Argument { .. } => "argument",
        ErrorKind::OptionalGap { .. } => "optional_gap",
        ErrorKind::CrossSlot { .. } => "cross_slot",
        ErrorKind::ReadOnlyUnsupported => "read_only_unsupported",
        ErrorKind::Unsupported { .. } => "unsupported",
        ErrorKind::LibraryConflict => "library_conflict",
        ErrorKind::FunctionsUnsupported => "functions_unsupported",
        ErrorKind::NoLua => "no_lua",
        ErrorKind::TokenReused => "token_reused",
        ErrorKind::Redis => match err.redis_error() {
            Some(e) if e.is_timeout() => "timeout",
            Some(e) => {
                ran::server_code(e).unwrap_or(if e.code().is_none() { "io" } else { "redis" })
            }
            None => "redis",
        },
    }
}

/// `evalsha.ran` of a failed call.
#[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
fn ran_value(ran: Ran) -> &'static str {
    match ran {
        Ran::No => "no",
        Ran::Yes => "yes",
        Ran::Unknown => "unknown",
    }
}

/// One call being observed: started by `invoke` when the call's flow begins, its flow run
/// inside [`Observed::instrument`] (the span), ended with its result by
/// [`Observed::end`]. No future of its own: the warm path stays as deep as without the
/// features. Without them it is empty and every method an identity.
pub(crate) struct Observed {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    script: &'static Script,
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    operation: &'static str,
    timer: Timer,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Observed {
    /// Starts observing a call of `script` sent as `operation`.
    #[inline(always)]
    pub(crate) fn start(script: &'static Script, operation: &'static str) -> Observed {
        #[cfg(not(any(feature = "tracing", feature = "metrics")))]
        let _ = (script, operation);
        Observed {
            #[cfg(any(feature = "tracing", feature = "metrics"))]
            script,
            #[cfg(any(feature = "tracing", feature = "metrics"))]
            operation,
            timer: start(),
            #[cfg(feature = "tracing")]
            span: spans::call(script, operation),
        }
    }

    /// `future` (the call's flow) inside the call's span.
    #[cfg(feature = "tracing")]
    pub(crate) fn instrument<F: std::future::Future>(
        &self,
        future: F,
    ) -> tracing::instrument::Instrumented<F> {
        use tracing::Instrument;
        future.instrument(self.span.clone())
    }

    /// Without `tracing`: the future itself.
    #[cfg(not(feature = "tracing"))]
    #[inline(always)]
    pub(crate) fn instrument<F: std::future::Future>(&self, future: F) -> F {
        future
    }

    /// Records the call's outcome (into its span, and as [`call_done`]) and returns it.
    #[inline(always)]
    pub(crate) fn end(self, result: Result<redis::Value, Error>) -> Result<redis::Value, Error> {
        #[cfg(feature = "tracing")]
        if let Err(err) = &result {
            spans::failed(&self.span, error_type(err), ran_value(err.ran()));
        }
        #[cfg(any(feature = "tracing", feature = "metrics"))]
        call_done(
            self.script,
            self.operation,
            &self.timer,
            result.as_ref().err(),
        );
        #[cfg(not(any(feature = "tracing", feature = "metrics")))]
        let _ = self.timer;
        result
    }
}

/// Records one finished call of `script` sent as `operation`, timed by `timer`, in the
/// metrics: failed with `failure`, or succeeded.
#[inline(always)]
pub(crate) fn call_done(
    script: &'static Script,
    operation: &'static str,
    timer: &Timer,
    failure: Option<&Error>,
) {
    #[cfg(feature = "metrics")]
    meter::call(
        script,
        operation,
        timer.start.elapsed().as_secs_f64(),
        failure.map(|err| (error_type(err), ran_value(err.ran()))),
    );
    #[cfg(not(feature = "metrics"))]
    let _ = (script, operation, timer, failure);
}

/// Records a load of `script` for `reason`, timed by `timer`: failed with `failure`, or
/// succeeded.
#[inline(always)]
pub(crate) fn loaded(script: &Script, reason: Reason, timer: &Timer, failure: Option<&Error>) {
    #[cfg(feature = "tracing")]
    spans::loaded(
        script,
        reason.as_str(),
        timer.start.elapsed(),
        failure.map(error_type),
    );
    #[cfg(feature = "metrics")]
    meter::loaded(script, reason.as_str(), failure.map(error_type));
    #[cfg(not(feature = "tracing"))]
    let _ = timer;
    #[cfg(not(any(feature = "tracing", feature = "metrics")))]
    let _ = (script, reason, failure);
}

/// Records a batch of `calls` commands written to the server at once: a
/// [`Pipeline`](crate::Pipeline), or an auto-pipelining connection's write.
#[inline(always)]
pub(crate) fn batch(calls: usize) {
    #[cfg(feature = "metrics")]
    meter::batch(calls);
    #[cfg(not(feature = "metrics"))]
    let _ = calls;
}

#[cfg(test)]
mod tests {
    use super::*;

    static SCRIPT: Script =
        Script::__new("t.lua", "0000", "return 1", false, crate::Reload::Load).__labeled("T");

    fn server_error(reply: &str) -> Error {
        let err = redis::parse_redis_value(format!("-{reply}\r\n").as_bytes())
            .unwrap()
            .extract_error()
            .unwrap_err();
        Error::from_redis(&SCRIPT, err)
    }

    #[test]
    fn error_type_is_a_fixed_word_never_the_message() {
        let cases = [
            ("BUSY Redis is busy running a script. key:secret", "BUSY"),
            (
                "NOPERM this user has no permissions to run the 'evalsha' command",
                "NOPERM",
            ),
            (
                "READONLY You can't write against a read only replica.",
                "READONLY",
            ),
            (
                "OOM command not allowed when used memory > 'maxmemory'.",
                "OOM",
            ),
            (
                "ERR user_script:1: boom script: 0000, on @user_script:1.",
                "script",
            ),
            ("LIMIT exceeded by key:secret", "script"),
            ("NOSCRIPT No matching script. Please use EVAL.", "noscript"),
            ("ERR some new refusal naming key:secret", "script"),
        ];
        for (reply, expected) in cases {
            let err = server_error(reply);
            assert_eq!(error_type(&err), expected, "{reply}: {err:?}");
        }
        let io = Error::from_redis(
            &SCRIPT,
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        );
        assert_eq!(error_type(&io), "io");
        assert_eq!(ran_value(io.ran()), "unknown");
        let timeout = Error::from_redis(
            &SCRIPT,
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut)),
        );
        assert_eq!(error_type(&timeout), "timeout");
    }
}
