//! Did the script run? [`Ran`], and the one place that reads the answer from what the
//! server (or the connection) said. Used by every path: sync, async, cluster, pipelines.
//!
//! # What the wire tells apart
//!
//! A script's own error reply (`redis.error_reply('X ...')`, `return {err='X ...'}`) reaches
//! the client exactly as the server's own error replies do: a RESP error line. So:
//!
//! - An error raised *inside* a script (`error()`, a failing `redis.call`, a command the
//!   server refused while the script ran: `OOM`, ACL, `WRONGTYPE`) carries the server's
//!   `@user_script` marker (Redis 6.2, 7.0, Valkey 8.1): it ran.
//! - The server's `NOSCRIPT` is recognised by its exact text, kept as data in
//!   [`SERVER_NOSCRIPT`] and checked against every server of the test matrix by
//!   `tests/ran.rs` (`noscript_under_reload_never_did_not_run`). A script's own `NOSCRIPT ...` reply with any other text
//!   ran; it is never taken for a missing script.
//! - Other refusals (`BUSY`, `OOM` of a flagged script, `NOPERM` on the call itself, a
//!   cluster redirect, ...) are recognised by their code, see [`REFUSED`].
//!
//! What remains indistinguishable: a script that returns, without the marker, an error
//! whose text copies the server's own refusal (exactly `NOSCRIPT No matching script.
//! Please use EVAL.`, or any reply starting with a code of [`REFUSED`]) is reported as not
//! run. For the exact `NOSCRIPT` text that also means a reload and a retry: a call of
//! such a script runs twice (the retry's `NOSCRIPT`, right after evalsha's own successful
//! load, is known to be the script's, so it ends there), and up to five times when it
//! meets other callers' loads (at most three stale-`NOSCRIPT` retries behind them, then
//! one after its own load). `tests/ran.rs` pins the single-call case.

use redis::{RedisError, ServerErrorKind};

/// Whether a failed call's script ran on the server. Read it with
/// [`Error::ran`](crate::Error::ran) before deciding to call again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ran {
    /// The server guarantees the script did not run: `NOSCRIPT` under
    /// [`Reload::Never`](crate::Reload::Never), a refused load, `CROSSSLOT`, a redirect,
    /// `BUSY`, `NOPERM` on the call itself, a flagged script refused under `OOM`, an aborted
    /// transaction, or a call refused before anything was sent. Safe to call again.
    No,
    /// The script ran: it raised an error, a `redis.call` inside it failed, or its reply
    /// did not convert to the Rust type. Its writes up to the failure happened.
    Yes,
    /// The request may have reached the server and no answer came (I/O error, timeout,
    /// dropped connection): it may or may not have run. evalsha never resends it.
    Unknown,
}

/// The server's own `NOSCRIPT` replies, after the code: Redis 6.2 and 7.0 send the first,
/// Valkey 8.1 the second (read from each server by `tests/ran.rs`).
pub(crate) const SERVER_NOSCRIPT: &[&str] = &[
    "No matching script. Please use EVAL.",
    "No matching script.",
];

/// Error codes with which the server refuses a call before its script starts. Without the
/// `@user_script` marker, such a reply means the script did not run.
pub(crate) const REFUSED: &[&str] = &[
    "NOSCRIPT",
    "BUSY",
    "OOM",
    "NOPERM",
    "NOAUTH",
    "LOADING",
    "MOVED",
    "ASK",
    "CROSSSLOT",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "MASTERDOWN",
    "READONLY",
    "MISCONF",
    "NOREPLICAS",
    "EXECABORT",
];

/// `ERR` replies with which the server refuses the command itself (before any script
/// runs): the text after `ERR ` starts with one of these.
const REFUSED_ERR: &[&str] = &[
    "unknown command",
    "wrong number of arguments",
    "Number of keys",
    "Error compiling script",
    "unknown subcommand",
];

/// Marks an error raised while the script ran (all servers of the test matrix add it).
const RAN_MARKER: &str = "@user_script";

/// True for an error raised while the script ran (the server's `@user_script` marker):
/// `error()`, a failing `redis.call`, a command refused inside the script.
pub(crate) fn raised_in_script(err: &RedisError) -> bool {
    err.detail()
        .is_some_and(|detail| detail.contains(RAN_MARKER))
}

/// True for the server's own `NOSCRIPT`, the only reply that may trigger a reload.
pub(crate) fn is_servers_noscript(err: &RedisError) -> bool {
    err.kind() == redis::ErrorKind::Server(ServerErrorKind::NoScript)
        && err
            .detail()
            .is_some_and(|detail| SERVER_NOSCRIPT.contains(&detail.trim_end()))
}

/// Whether the script ran, judged from the error a call returned.
pub(crate) fn classify(err: &RedisError) -> Ran {
    if err.is_connection_refusal() || err.kind() == redis::ErrorKind::ClusterConnectionNotFound {
        // Nothing reached a server (redis had no connection to route the call to).
        return Ran::No;
    }
    let Some(code) = err.code() else {
        // No server reply: a dropped connection, a timeout, a reply that did not parse.
        return Ran::Unknown;
    };
    if raised_in_script(err) {
        return Ran::Yes;
    }
    let detail = err.detail().unwrap_or("");
    if code == "NOSCRIPT" {
        return if is_servers_noscript(err) {
            Ran::No
        } else {
            Ran::Yes
        };
    }
    if REFUSED.contains(&code) {
        return Ran::No;
    }
    if code == "ERR" && REFUSED_ERR.iter().any(|p| detail.starts_with(p)) {
        return Ran::No;
    }
    Ran::Yes
}
