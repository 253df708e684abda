//! The one error type of evalsha: every failure names the script it came from.

use std::fmt;

use redis::RedisError;

use crate::ran::{self, Ran};
use crate::script::Script;

/// What `Error::script` names for a failed ordinary command of a pipeline.
pub const PIPELINE: &str = "(pipeline)";

/// What went wrong in a script call. Matched through [`Error::kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered `NOSCRIPT` and the reload policy forbade a reload (or, in a
    /// pipeline, the script's first call, which loads it, failed). Nothing ran.
    NoScript,
    /// The server refused to load the script (`SCRIPT LOAD` failed: the command renamed
    /// away or denied by ACL, ...), the source says how. The call did not run. Consider
    /// [`Reload::Eval`](crate::Reload::Eval), or loading scripts at deploy time.
    Load,
    /// A `MULTI`/`EXEC` pipeline was discarded (`EXECABORT`) because the server refused one
    /// of its commands while queuing it (`OOM`, `NOPERM`, a wrong argument count, ...).
    /// Nothing in it ran. The error names the script of that command (or
    /// [`PIPELINE`](crate::PIPELINE) for an ordinary command) and its source is the
    /// server's reason.
    TransactionAborted {
        /// Position of the refused command among those added to the pipeline, from 0.
        command: usize,
    },
    /// The script ran and raised an error (`error()`, `redis.error_reply`, a failing
    /// `redis.call`, also its own error reply reading `NOSCRIPT ...`). `line` is the line
    /// in the `.lua` file when the server reported one.
    Script {
        /// 1-based line of the `.lua` file the server blamed, if it named one: a line
        /// of [`file`](ErrorKind::Script::file).
        line: Option<u32>,
        /// The file that holds that line: the script itself, or for a script composed
        /// with `@include`, the included file where the failing code was written.
        file: &'static str,
    },
    /// The script ran but its reply could not be converted to the Rust type.
    Reply {
        /// The Rust type that was expected (`std::any::type_name`).
        expected: &'static str,
    },
    /// A parameter produced a number of Redis arguments other than one. Nothing was sent.
    Argument {
        /// The parameter's name from the script header.
        name: &'static str,
        /// How many arguments its value produced.
        count: usize,
    },
    /// A trailing optional argument was given after an earlier one left out (`None`):
    /// `None` sends nothing, so the value would reach the script in the left-out one's
    /// place. Nothing was sent.
    OptionalGap {
        /// The optional parameter given as `None`.
        missing: &'static str,
        /// The later optional parameter given a value.
        given: &'static str,
    },
    /// On a Redis Cluster connection, the call's keys hash to different slots, so no node
    /// could run it. Nothing was sent. Use hash tags (`{user}:a`, `{user}:b`) to keep keys
    /// that one script touches in one slot.
    CrossSlot {
        /// Every key of the call with its hash slot, in call order (non-UTF-8 bytes shown
        /// lossily).
        keys: Vec<(String, u16)>,
    },
    /// The script declares `#!lua flags=no-writes`, so it is sent as `EVALSHA_RO`, and the
    /// server does not know that command (Redis before 7.0). Nothing ran. Run it on
    /// Redis 7+ or Valkey, or drop the flags line to send it as `EVALSHA`.
    ReadOnlyUnsupported,
    /// The operation cannot work on this kind of connection; nothing was sent.
    Unsupported {
        /// What is not supported, and what to do instead.
        what: &'static str,
    },
    /// A Redis Functions library could not be loaded because the server holds a different
    /// body under its name, or another library registers one of its function names. The
    /// server's library was left alone and the call did not run. Happens with
    /// `include_library!(.., versioned = false)`; versioned libraries have names of their
    /// own per build.
    LibraryConflict,
    /// The server has no Redis Functions (`FCALL`, `FUNCTION LOAD`): Redis before 7.0.
    /// Nothing ran.
    FunctionsUnsupported,
    /// The server has no Lua engine to run or load the script: Valkey 9+, where Lua is a
    /// module, after `MODULE UNLOAD lua` (the server answers `EVAL` and `SCRIPT LOAD` with
    /// `ERR Could not find scripting engine 'lua'`, and has forgotten every script, so
    /// `EVALSHA` meets `NOSCRIPT` first). Nothing ran. Restart the server with its Lua
    /// engine.
    NoLua,
    /// The call's [`Token`](crate::Token) was used before for another call (another
    /// script, other keys or other arguments) whose record is still on the server (see
    /// [`Call::once`](crate::Call::once)). Nothing ran. Use a new token for a new call.
    TokenReused,
    /// Anything else the connection or the server reported (I/O, `BUSY`, `OOM`, `READONLY`,
    /// a script that does not compile on the server, ...). Never retried by evalsha; see
    /// [`Error::ran`] for whether the script ran.
    Redis,
}

/// A failed script call. Its message names the script file; the `redis` error, when there
/// is one, is its [`source`](std::error::Error::source); [`ran`](Self::ran) says whether
/// the script ran.
#[derive(Clone)]
pub struct Error {
    subject: Subject,
    kind: ErrorKind,
    ran: Ran,
    source: Option<RedisError>,
    resent: Resent,
}

/// Who may have sent a call again after no answer came: what an [`Ran::Unknown`] error
/// says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resent {
    /// Nobody: evalsha sent it once, on a connection that does not resend by itself.
    No,
    /// redis's cluster connection, which resends after a connection error unless built
    /// with `ClusterClientBuilder::retries(0)`; evalsha cannot see that setting.
    MaybeByRedis,
    /// evalsha, this many times in all, with the call's token ([`Call::retries`](crate::Call::retries)).
    WithToken(u32),
}

impl Error {
    /// An error of `kind`; whether the script ran follows from the kind and the source.
    pub(crate) fn new(
        subject: impl Into<Subject>,
        kind: ErrorKind,
        source: Option<RedisError>,
    ) -> Self {
        let ran = match &kind {
            ErrorKind::Script { .. } | ErrorKind::Reply { .. } => Ran::Yes,
            ErrorKind::NoScript
            | ErrorKind::Load
            | ErrorKind::TransactionAborted { .. }
            | ErrorKind::Argument { .. }
            | ErrorKind::OptionalGap { .. }
            | ErrorKind::CrossSlot { .. }
            | ErrorKind::ReadOnlyUnsupported
            | ErrorKind::LibraryConflict
            | ErrorKind::FunctionsUnsupported
            | ErrorKind::NoLua
            | ErrorKind::TokenReused
            | ErrorKind::Unsupported { .. } => Ran::No,
            ErrorKind::Redis => source.as_ref().map_or(Ran::Unknown, ran::classify),
        };
        Self {
            subject: subject.into(),
            kind,
            ran,
            source,
            resent: Resent::No,
        }
    }

    /// The same error, saying who may have sent the call again (see [`Resent`]).
    pub(crate) fn resent(mut self, resent: Resent) -> Self {
        self.resent = resent;
        self
    }

    /// The same error with `ran` as the answer to "did it run?", where the caller knows
    /// better than the reply (a `NOSCRIPT` right after evalsha's own successful load).
    pub(crate) fn with_ran(mut self, ran: Ran) -> Self {
        self.ran = ran;
        self
    }

    /// A refused `SCRIPT LOAD`: the call did not run.
    pub(crate) fn load_refused(script: impl Into<Subject>, err: RedisError) -> Self {
        match ran::classify(&err) {
            // The connection failed: the load's fate, and so the retry's, is unknown.
            Ran::Unknown => Self::new(script, ErrorKind::Redis, Some(err)),
            _ if ran::no_lua_engine(&err) => Self::new(script, ErrorKind::NoLua, Some(err)),
            _ => Self::new(script, ErrorKind::Load, Some(err)),
        }
    }

    /// Classifies a `redis` error that a script call returned.
    pub(crate) fn from_redis(subject: impl Into<Subject>, err: RedisError) -> Self {
        let subject = subject.into();
        let script = subject.name();
        let kind = match err.kind() {
            _ if ran::is_function_not_found(&err) => ErrorKind::NoScript,
            _ if ran::is_token_reused(&err) => ErrorKind::TokenReused,
            _ if ran::no_lua_engine(&err) => ErrorKind::NoLua,
            _ if ran::lacks_functions(&err) => ErrorKind::FunctionsUnsupported,
            _ if ran::is_servers_noscript(&err) => ErrorKind::NoScript,
            // A script's own error reply that reads `NOSCRIPT ...`: it ran.
            _ if ran::is_noscript(&err) => ErrorKind::Script {
                line: ran::script_line(&err.to_string()),
                file: script,
            },
            _ if ran::lacks_read_only_commands(&err) => ErrorKind::ReadOnlyUnsupported,
            // Raised while the script ran (also `OOM`/`READONLY` refusing a command
            // inside it), or an error reply of the script's own; not the server refusing
            // the call (`ERR unknown command`, `ERR wrong number of arguments`, ...).
            _ if ran::raised_in_script(&err)
                || (ran::is_script_error(&err) && ran::classify(&err) != Ran::No) =>
            {
                ErrorKind::Script {
                    line: ran::script_line(&err.to_string()),
                    file: script,
                }
            }
            _ => ErrorKind::Redis,
        };
        Self::new(subject, kind, Some(err))
    }

    /// A `NOSCRIPT` reply that cannot be the server's (to `EVAL`, or to `EVALSHA` right
    /// after evalsha's own successful load of the script on the same connection) is the
    /// script's own error reply: it ran. Any other error as [`Error::from_redis`].
    pub(crate) fn own_reply(script: &'static Script, err: RedisError) -> Self {
        if ran::is_noscript(&err) {
            Self::new(
                script,
                ErrorKind::Script {
                    line: None,
                    file: script.name(),
                },
                Some(err),
            )
            .with_ran(Ran::Yes)
        } else {
            Self::from_redis(script, err).located(script)
        }
    }

    /// What the error names: for [`Pipeline`](crate::Pipeline) to report a refused call.
    pub(crate) fn subject(&self) -> Subject {
        self.subject
    }

    /// Points a script error's line at the file and line where the code was written
    /// (the included file of a composed script); other errors pass unchanged.
    pub(crate) fn located(mut self, script: &crate::Script) -> Self {
        if let ErrorKind::Script {
            line: Some(line),
            file,
        } = &mut self.kind
        {
            (*file, *line) = script.origin(*line);
        }
        self
    }

    /// The script file, as written in `include_script!` (for example `scripts/rate_limit.lua`).
    pub fn script(&self) -> &'static str {
        self.subject.name()
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The line of the `.lua` file a script error points at, when the server named one.
    pub fn line(&self) -> Option<u32> {
        match self.kind {
            ErrorKind::Script { line, .. } => line,
            _ => None,
        }
    }

    /// The underlying `redis` error, if the failure came from the connection or server.
    pub fn redis_error(&self) -> Option<&RedisError> {
        self.source.as_ref()
    }

    /// Consumes the error and returns the underlying `redis` error, if any.
    pub fn into_redis_error(self) -> Option<RedisError> {
        self.source
    }

    /// True when the connection failed (refused, dropped, timed out): the call may or may
    /// not have run on the server, and evalsha did not retry it. [`ran`](Self::ran) says
    /// more.
    pub fn is_io_error(&self) -> bool {
        self.source.as_ref().is_some_and(|e| e.is_io_error())
    }

    /// Whether the script ran: [`Ran::No`] (safe to call again), [`Ran::Yes`] (it ran and
    /// failed, or its reply did not convert), or [`Ran::Unknown`] (no answer came).
    pub fn ran(&self) -> Ran {
        self.ran
    }
}

/// What an error is about: a script, a function of a library, a library, or
/// [`PIPELINE`]. Its name is what [`Error::script`] returns.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject {
    /// A name only: a library's file, [`PIPELINE`].
    Named(&'static str),
    /// A script or a function, whose message names the function and its file.
    Script(&'static Script),
}

impl Subject {
    /// What [`Error::script`] returns.
    fn name(self) -> &'static str {
        match self {
            Subject::Named(name) => name,
            Subject::Script(script) => script.name(),
        }
    }

    /// For a function: its library's file and its name.
    fn function(self) -> Option<(&'static str, &'static str)> {
        match self {
            Subject::Named(_) => None,
            Subject::Script(script) => script.function().map(|f| (script.file(), f)),
        }
    }
}

impl From<&'static str> for Subject {
    fn from(name: &'static str) -> Self {
        Subject::Named(name)
    }
}

impl From<&'static Script> for Subject {
    fn from(script: &'static Script) -> Self {
        Subject::Script(script)
    }
}

impl From<Error> for RedisError {
    /// Keeps the whole message (script name, `.lua` line, the server's text) as the
    /// detail, and the kind of the underlying `redis` error, so `is_io_error()`,
    /// `is_timeout()`-style checks by kind and `?` in functions returning
    /// `redis::RedisResult` keep working.
    fn from(err: Error) -> Self {
        let kind = match &err.source {
            Some(source) => source.kind(),
            None => redis::ErrorKind::Client,
        };
        RedisError::from((kind, "evalsha", err.to_string()))
    }
}

impl Error {
    /// This error as a `redis::RedisError` that carries it whole, so that
    /// [`Error::find`] gets it back (with [`ran`](Self::ran)) from the `RedisError`, or
    /// from any error whose `source()` chain holds it. Generated `run`/`run_async` methods,
    /// the [`Call`](crate::Call)s of generated `call(..)` methods and the functions of
    /// [`redis_result`](crate::redis_result) return it when the crate sets
    /// `error = "redis"` in `[package.metadata.evalsha]`, so `?` works in functions whose
    /// error type converts from `redis::RedisError`.
    ///
    /// redis 1.x and 2.x let a `RedisError` carry another error only as an I/O error
    /// (`From<std::io::Error>`), so its `kind()` is `ErrorKind::Io` and `is_io_error()` is
    /// true whatever went wrong. What else redis's methods tell stays true to the cause:
    /// when the connection failed, the `io::ErrorKind` is the one of the failure, so
    /// `is_timeout()` and `is_connection_dropped()` answer as for the original error; for
    /// any other failure (the script raised an error, the server refused the call, ...) it
    /// is `Unsupported`, so `is_connection_dropped()` is false and `retry_method()` says
    /// `NoRetry`: nothing invites a retry that could run a script twice. Its message is
    /// this error's. The plain `From<Error> for RedisError` keeps the kind of the server's
    /// error instead, and loses the rest.
    pub fn into_redis_wrapped(self) -> RedisError {
        let kind = match &self.source {
            Some(source) => match io_inside(source) {
                Some(io) => io.kind(),
                None if source.is_timeout() => std::io::ErrorKind::TimedOut,
                None if source.is_io_error() => std::io::ErrorKind::ConnectionAborted,
                None => std::io::ErrorKind::Unsupported,
            },
            None => std::io::ErrorKind::Unsupported,
        };
        RedisError::from(std::io::Error::new(kind, self))
    }

    /// The evalsha error inside `err`: `err` itself, or one its `source()` chain holds,
    /// also inside a `redis::RedisError` made by [`Error::into_redis_wrapped`] (what
    /// `run` returns under `error = "redis"`), so a crate's own error type that wraps the
    /// `RedisError` still tells [`ran`](Self::ran):
    ///
    /// ```ignore
    /// match evalsha::Error::find(&err).map(evalsha::Error::ran) {
    ///     Some(evalsha::Ran::No) => { /* safe to call again */ }
    ///     _ => {}
    /// }
    /// ```
    pub fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
        let mut next = Some(err);
        while let Some(err) = next {
            if let Some(found) = err.downcast_ref::<Error>() {
                return Some(found);
            }
            // A `RedisError` made from an `io::Error` names as its source the `Arc` it
            // keeps the `io::Error` in; the `io::Error` holds this error.
            let io = match err.downcast_ref::<std::sync::Arc<dyn std::error::Error + Send + Sync>>()
            {
                Some(arc) => (**arc).downcast_ref::<std::io::Error>(),
                None => err.downcast_ref::<std::io::Error>(),
            };
            if let Some(found) = io
                .and_then(std::io::Error::get_ref)
                .and_then(|inner| inner.downcast_ref::<Error>())
            {
                return Some(found);
            }
            next = err.source();
        }
        None
    }
}

/// The `io::Error` a `redis` error was made from, if any.
fn io_inside(err: &RedisError) -> Option<&std::io::Error> {
    let source = std::error::Error::source(err)?;
    match source.downcast_ref::<std::sync::Arc<dyn std::error::Error + Send + Sync>>() {
        Some(arc) => (**arc).downcast_ref::<std::io::Error>(),
        None => source.downcast_ref::<std::io::Error>(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let function = self.subject.function();
        match function {
            Some((file, function)) => write!(f, "function {function} of {file}")?,
            None => write!(f, "script {}", self.subject.name())?,
        }
        match &self.kind {
            ErrorKind::NoScript if function.is_some() => {
                f.write_str(": the server does not have the function (Function not found)")?
            }
            ErrorKind::NoScript => {
                f.write_str(": the server does not have the script (NOSCRIPT); it did not run")?
            }
            ErrorKind::Load => f.write_str(
                ": the server refused to load the script (SCRIPT LOAD); the call did not run",
            )?,
            ErrorKind::TransactionAborted { command } => write!(
                f,
                ": transaction aborted (EXECABORT), nothing in it ran: the server refused \
                 command #{command} of the pipeline when queuing it"
            )?,
            ErrorKind::Script {
                line: Some(line),
                file,
            } => write!(f, " failed at {file}:{line}")?,
            ErrorKind::Script { line: None, .. } => f.write_str(" returned an error")?,
            ErrorKind::Reply { expected } => write!(f, ": reply does not convert to `{expected}`")?,
            ErrorKind::Argument { name, count } => write!(
                f,
                ": parameter `{name}` produced {count} Redis arguments, expected exactly 1 \
                 (declare it variadic with `...{name}` to pass several); nothing was sent"
            )?,
            ErrorKind::OptionalGap { missing, given } => write!(
                f,
                ": optional parameter `{given}` is given but the earlier `{missing}` is None; \
                 None sends nothing, so `{given}` would take `{missing}`'s place; nothing was sent"
            )?,
            ErrorKind::CrossSlot { keys } => {
                f.write_str(": keys hash to different cluster slots (")?;
                for (i, (key, slot)) in keys.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}`{key}` -> {slot}")?;
                }
                f.write_str("); use a hash tag such as `{user}:a` to keep them in one slot; nothing was sent")?
            }
            ErrorKind::ReadOnlyUnsupported => f.write_str(
                ": the server has no EVALSHA_RO (Redis < 7.0), which `#!lua flags=no-writes` \
                 scripts are sent as; use Redis 7+ or Valkey, or drop the flags line",
            )?,
            ErrorKind::Unsupported { what } => {
                write!(f, ": not supported: {what}; nothing was sent")?
            }
            ErrorKind::LibraryConflict => f.write_str(
                ": the server holds a different library under its name (or another library \
                 registers the same function name); it was not replaced and nothing ran",
            )?,
            ErrorKind::FunctionsUnsupported => f.write_str(
                ": the server has no Redis Functions (FCALL, FUNCTION LOAD: Redis 7.0+ or \
                 Valkey); nothing ran",
            )?,
            ErrorKind::NoLua => f.write_str(
                ": the server has no Lua engine (Valkey 9+ without its `lua` module), so it \
                 cannot run scripts; nothing ran",
            )?,
            ErrorKind::TokenReused => f.write_str(
                ": the token was used before for another call (another script, keys or \
                 arguments) whose record is still on the server; nothing ran",
            )?,
            ErrorKind::Redis => match (self.ran, self.resent) {
                (Ran::No, _) => f.write_str(": refused by the server, the script did not run")?,
                (Ran::Unknown, Resent::No) => {
                    f.write_str(": no answer, the script may or may not have run (not retried)")?
                }
                (Ran::Unknown, Resent::MaybeByRedis) => f.write_str(
                    ": no answer, the script may or may not have run, and may have run more \
                     than once: evalsha did not send it again, but redis's cluster connection \
                     resends after a connection error unless built with retries(0)",
                )?,
                (Ran::Unknown, Resent::WithToken(sends)) => {
                    let times = if sends == 1 { "" } else { "s" };
                    write!(
                        f,
                        ": no answer after {sends} send{times} with the call's token: the \
                         script ran at most once; send it again with the same token to learn \
                         its reply"
                    )?
                }
                (Ran::Yes, _) => f.write_str(": redis error")?,
            },
        }
        if let Some(source) = &self.source {
            match (source.code(), source.detail()) {
                // A server error as the server sent it: `WRONGTYPE Operation against ...`.
                (Some(code), Some(detail)) => write!(f, ": {code} {detail}")?,
                (Some(code), None) => write!(f, ": {code}")?,
                _ => write!(f, ": {source}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("script", &self.subject.name())
            .field("kind", &self.kind)
            .field("ran", &self.ran)
            .field("source", &self.source)
            .field("resent", &self.resent)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_send_sync_static() {
        fn check<T: std::error::Error + Send + Sync + 'static>() {}
        check::<Error>();
    }

    #[test]
    fn wrapped_in_a_redis_error_it_is_found_again_and_keeps_the_io_kind() {
        let refused = Error::new("x.lua", ErrorKind::NoScript, None);
        let wrapped = refused.into_redis_wrapped();
        assert!(
            wrapped.is_io_error(),
            "redis carries other errors only as I/O errors"
        );
        assert!(!wrapped.is_connection_dropped() && !wrapped.is_timeout());
        assert!(matches!(
            wrapped.retry_method(),
            redis::RetryMethod::NoRetry
        ));
        let found = Error::find(&wrapped).expect("found in the RedisError");
        assert_eq!((found.script(), found.ran()), ("x.lua", Ran::No));
        assert!(
            wrapped
                .to_string()
                .starts_with("script x.lua: the server does not have")
        );

        // A user's error type wrapping the RedisError, as `#[from]` makes it.
        #[derive(Debug)]
        struct Mine(RedisError);
        impl fmt::Display for Mine {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("mine")
            }
        }
        impl std::error::Error for Mine {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let mine = Mine(wrapped);
        assert_eq!(Error::find(&mine).map(Error::ran), Some(Ran::No));

        let reset = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let dropped = Error::new("x.lua", ErrorKind::Redis, Some(reset)).into_redis_wrapped();
        assert!(dropped.is_connection_dropped());
        assert_eq!(Error::find(&dropped).map(Error::ran), Some(Ran::Unknown));
        let timeout = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        let timed_out = Error::new("x.lua", ErrorKind::Redis, Some(timeout)).into_redis_wrapped();
        assert!(timed_out.is_timeout());
        assert!(Error::find(&RedisError::from((redis::ErrorKind::Client, "x"))).is_none());
    }
}
