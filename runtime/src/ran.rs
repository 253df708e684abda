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
//!   `@user_script` marker (Redis 6.2, 7.0, 8.0, Valkey 8.1, 9.1): it ran.
//! - The server's `NOSCRIPT` is recognised by its exact text, kept as data in
//!   [`SERVER_NOSCRIPT`] and checked against every server of the test matrix by
//!   `tests/ran.rs` (`noscript_under_reload_never_did_not_run`). A script's own `NOSCRIPT ...` reply with any other text
//!   ran; it is never taken for a missing script.
//! - Other refusals (`BUSY`, `OOM` of a flagged script, `NOPERM` on the call itself, a
//!   cluster redirect, Valkey's `REDIRECT`, ...) are recognised by their code, see
//!   [`REFUSED`]; a few `ERR` ones by their text ([`REFUSED_ERR`]: Valkey 9 without Lua).
//! - The errors a cluster node raises inside a running script (undeclared keys of another
//!   slot, of a migrating slot, of a slot not served) are recognised by their text too
//!   ([`RAISED_IN_SCRIPT_ERR`]): they ran, also when a script passes one on from
//!   `redis.pcall` without the marker.
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

/// The server's own `NOSCRIPT` replies, after the code: Redis 6.2, 7.0 and 8.0 send the
/// first, Valkey 8.1 and 9.1 the second (read from each server by `tests/ran.rs`).
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
    // Valkey 8+: `REDIRECT host:port` from a replica (or a primary handing over in a
    // failover) to a client that sent `CLIENT CAPA redirect`, instead of running the call.
    "REDIRECT",
];

/// `ERR` replies with which the server refuses the command itself (before any script
/// runs): the text after `ERR ` starts with one of these.
const REFUSED_ERR: &[&str] = &[
    "unknown command",
    "wrong number of arguments",
    "Number of keys",
    "Error compiling script",
    "unknown subcommand",
    // Valkey 9+ without its Lua engine (`MODULE UNLOAD lua`): `EVAL`, `SCRIPT LOAD`.
    NO_LUA_ENGINE,
];

/// What Valkey 9+ answers (after `ERR `) to `EVAL` and `SCRIPT LOAD` when its Lua engine,
/// a module there, is not loaded: `Could not find scripting engine 'lua'`.
pub(crate) const NO_LUA_ENGINE: &str = "Could not find scripting engine";

/// Errors that a command called by a running script meets on a cluster node (Redis 7.4+
/// and 8.0, older Redis and Valkey), after `ERR `: the script ran up to that command, so
/// [`Ran::Yes`], also without the `@user_script` marker (a script that returns what
/// `redis.pcall` gave it). Read from Redis 8.0.6's `scriptVerifyClusterState` and checked
/// on each server of the matrix by `tests/new_server_errors.rs`.
const RAISED_IN_SCRIPT_ERR: &[&str] = &[
    // "Command 'mget' in script attempted to access keys that don't hash to the same slot"
    "in script attempted to access keys that don't hash to the same slot",
    // "Unable to execute command 'mget' in script because undeclared keys were accessed
    // during rehashing of the slot" (a multi-key command in a migrating slot)
    "in script because undeclared keys were accessed during rehashing of the slot",
    "Script attempted to access a slot not served",
    "Script attempted to access keys that do not hash to the same slot",
    "Script attempted to access a non local key in a cluster node",
    // Redis 6.2.
    "Lua script attempted to access a non local key in a cluster node",
    // Valkey 9.1, whose Lua module calls commands through the module API.
    "Attempted to access a non local key in a cluster node",
];

/// Marks an error raised while the script ran (all servers of the test matrix add it).
const RAN_MARKER: &str = "@user_script";

/// True for an error raised while the script ran (the server's `@user_script` marker):
/// `error()`, a failing `redis.call`, a command refused inside the script.
pub(crate) fn raised_in_script(err: &RedisError) -> bool {
    err.detail()
        .is_some_and(|detail| detail.contains(RAN_MARKER))
}

/// True when the server has no Lua engine to run or load the script (Valkey 9+ after
/// `MODULE UNLOAD lua`).
pub(crate) fn no_lua_engine(err: &RedisError) -> bool {
    err.code() == Some("ERR")
        && err
            .detail()
            .is_some_and(|detail| detail.starts_with(NO_LUA_ENGINE))
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
    if code == "ERR" && RAISED_IN_SCRIPT_ERR.iter().any(|t| detail.contains(t)) {
        return Ran::Yes;
    }
    if REFUSED.contains(&code) {
        return Ran::No;
    }
    if code == "ERR" && REFUSED_ERR.iter().any(|p| detail.starts_with(p)) {
        return Ran::No;
    }
    Ran::Yes
}
