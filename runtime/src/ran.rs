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
//!   [`CODES`]; a few `ERR` ones by their text (`REFUSED_ERR`: Valkey 9 without Lua).
//! - The errors a cluster node raises inside a running script (undeclared keys of another
//!   slot, of a migrating slot, of a slot not served) are recognised by their text too
//!   (`RAISED_IN_SCRIPT_ERR`): they ran, also when a script passes one on from
//!   `redis.pcall` without the marker.
//!
//! What remains indistinguishable: a script that returns, without the marker, an error
//! whose text copies the server's own refusal (exactly `NOSCRIPT No matching script.
//! Please use EVAL.`, or any reply starting with a [`Code::Refused`] code) is reported as not
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

/// What an error code says about the call it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// The server refused the call before its script started: without the `@user_script`
    /// marker, the script did not run.
    Refused,
    /// The server's own state or the connection's (authentication, a blocked client
    /// released), never the script's error reply; the server did not say whether it ran.
    ServerState,
}

/// Error codes the server answers with for reasons of its own, each listed once. A code
/// not listed is the script's (an error reply it returned) unless the `@user_script`
/// marker or an `ERR` text below says more. Add a code here when a server starts sending
/// a new one.
pub(crate) const CODES: &[(&str, Code)] = &[
    ("NOSCRIPT", Code::Refused),
    ("BUSY", Code::Refused),
    ("OOM", Code::Refused),
    ("NOPERM", Code::Refused),
    ("NOAUTH", Code::Refused),
    ("LOADING", Code::Refused),
    ("MOVED", Code::Refused),
    ("ASK", Code::Refused),
    ("CROSSSLOT", Code::Refused),
    ("TRYAGAIN", Code::Refused),
    ("CLUSTERDOWN", Code::Refused),
    ("MASTERDOWN", Code::Refused),
    ("READONLY", Code::Refused),
    ("MISCONF", Code::Refused),
    ("NOREPLICAS", Code::Refused),
    ("EXECABORT", Code::Refused),
    ("WRONGPASS", Code::ServerState),
    ("UNBLOCKED", Code::ServerState),
    // Valkey 8+: `REDIRECT host:port` from a replica (or a primary handing over in a
    // failover) to a client that sent `CLIENT CAPA redirect`, instead of running the call.
    ("REDIRECT", Code::Refused),
    // evalsha's own, from a tokened call's wrapper (`once`): the token's record holds
    // another call, so the wrapper ran nothing of the script.
    (TOKEN_REUSED, Code::Refused),
];

/// The error code of the reply a tokened call's wrapper gives when the token's record
/// holds a call of another script, keys or arguments (see `once`): nothing ran.
pub(crate) const TOKEN_REUSED: &str = "TOKENREUSED";

/// What a tokened call's wrapper appends to an error the script raised (see `once`): the
/// line where it was raised, read at that moment by the wrapper's error handler, since the
/// server's own position in the message names the wrapper's line that raises it again.
/// [`script_line`] reads this one first.
pub(crate) const RAISED_AT: &str = " [raised at user_script:";

/// [`RAISED_AT`] for a function of a library, whose lines the server names
/// `user_function:N`.
pub(crate) const RAISED_AT_FUNCTION: &str = " [raised at user_function:";

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

/// Where the server names the line of a Lua error: a script's, then a function's
/// (`ERR user_function:3: boom script: push_.., on @user_function:3.`).
const LINE_TAGS: &[&str] = &["user_script:", "user_function:"];

/// The server's reply to `FCALL` of a function it does not have (Redis 7.0, Valkey 8.1).
/// Nothing ran.
const FUNCTION_NOT_FOUND: &str = "Function not found";

/// The server's reply to `FUNCTION DELETE` of a library it does not have.
const LIBRARY_NOT_FOUND: &str = "Library not found";

/// The commands that a server without them names in ``ERR unknown command `X` ``: the
/// read-only script commands (Redis before 7.0), then those of Redis Functions.
const READ_ONLY_COMMANDS: &[&str] = &["EVALSHA_RO", "EVAL_RO"];
const FUNCTION_COMMANDS: &[&str] = &["`FCALL`", "`FCALL_RO`", "`FUNCTION`"];

/// What the server says about an error `code`, if it is one of its own.
fn code(code: &str) -> Option<Code> {
    CODES
        .iter()
        .find_map(|&(known, says)| (known == code).then_some(says))
}

/// The error's code when it is one of the server's own (listed in [`CODES`]), as the
/// table spells it: a fixed word, safe to use as a metric attribute.
pub(crate) fn server_code(err: &RedisError) -> Option<&'static str> {
    let code = err.code()?;
    CODES
        .iter()
        .find_map(|&(known, _)| (known == code).then_some(known))
}

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

/// True for any `NOSCRIPT` reply: the server's own or a script's error reply reading so.
pub(crate) fn is_noscript(err: &RedisError) -> bool {
    err.kind() == redis::ErrorKind::Server(ServerErrorKind::NoScript)
}

/// True for the server's `ERR Function not found`, the only reply that may trigger a
/// function's reload.
pub(crate) fn is_function_not_found(err: &RedisError) -> bool {
    err.code() == Some("ERR") && err.detail() == Some(FUNCTION_NOT_FOUND)
}

/// The server's reply to `FUNCTION LOAD` (without `REPLACE`) when the library, or one of
/// its function names, is already loaded: ``ERR Library 'queue_..' already exists`` or
/// `ERR Function push_.. already exists` (Redis 7.0, Valkey 8.1).
pub(crate) fn is_library_loaded(err: &RedisError) -> bool {
    // Read from the text: redis's cluster connection reports a fanned-out command's
    // failure (`FUNCTION LOAD` goes to every primary) without the usual code and detail.
    // Only ever asked of a `FUNCTION LOAD` reply.
    let text = err.to_string();
    text.contains(" already exists") && (text.contains("Library '") || text.contains("Function "))
}

/// The server's reply to `FUNCTION DELETE` of a library it does not have (also through
/// redis's cluster connection, which reports a fanned-out failure as text).
pub(crate) fn is_library_not_found(err: &RedisError) -> bool {
    err.to_string().contains(LIBRARY_NOT_FOUND)
}

/// The server's answer to `EVALSHA_RO` or `EVAL_RO` when it predates them (Redis 6.2:
/// ``ERR unknown command `EVALSHA_RO`, with args beginning with: ...``).
pub(crate) fn lacks_read_only_commands(err: &RedisError) -> bool {
    unknown_command_among(err, READ_ONLY_COMMANDS)
}

/// The answer of a server without Redis Functions (Redis 6.2):
/// ``ERR unknown command `FCALL`, with args beginning with: ...``.
pub(crate) fn lacks_functions(err: &RedisError) -> bool {
    unknown_command_among(err, FUNCTION_COMMANDS)
}

fn unknown_command_among(err: &RedisError, commands: &[&str]) -> bool {
    let text = err.to_string();
    text.contains("unknown command") && commands.iter().any(|command| text.contains(command))
}

/// A Redis Cluster redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// `MOVED`: the slot has a new owner.
    Moved,
    /// `ASK`: the slot is being migrated; `ASKING` must precede the command there.
    Ask,
}

/// The redirect `err` is, and the address (`host:port`) it names: the command did not
/// run on the node that said it.
pub(crate) fn redirect(err: &RedisError) -> Option<(Redirect, Option<&str>)> {
    let redirect = match err.kind() {
        redis::ErrorKind::Server(ServerErrorKind::Moved) => Redirect::Moved,
        redis::ErrorKind::Server(ServerErrorKind::Ask) => Redirect::Ask,
        _ => return None,
    };
    Some((redirect, err.redirect_node().map(|(address, _)| address)))
}

/// True for an aborted transaction (`EXECABORT`).
pub(crate) fn is_exec_abort(err: &RedisError) -> bool {
    err.kind() == redis::ErrorKind::Server(ServerErrorKind::ExecAbort)
}

/// True for a tokened call's reply saying the token's record holds another call
/// ([`TOKEN_REUSED`]): nothing ran.
pub(crate) fn is_token_reused(err: &RedisError) -> bool {
    err.code() == Some(TOKEN_REUSED)
}

/// An error raised by the script itself (`error()`, `redis.error_reply`, a failing
/// `redis.call`, a compile error on the server) rather than by the transport or the
/// server's state.
pub(crate) fn is_script_error(err: &RedisError) -> bool {
    match err.kind() {
        redis::ErrorKind::Server(ServerErrorKind::ResponseError) => true,
        redis::ErrorKind::Extension => err.code().is_some_and(|c| code(c).is_none()),
        _ => false,
    }
}

/// Finds the line number in a server message such as
/// `ERR user_script:3: Script attempted to access nonexistent global variable 'x' script: ..., on @user_script:3.`
pub(crate) fn script_line(text: &str) -> Option<u32> {
    let at = [RAISED_AT, RAISED_AT_FUNCTION]
        .into_iter()
        .chain(LINE_TAGS.iter().copied())
        .find_map(|tag| text.find(tag).map(|at| at + tag.len()))?;
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
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
    if self::code(code) == Some(Code::Refused) {
        return Ran::No;
    }
    if code == "ERR" && REFUSED_ERR.iter().any(|p| detail.starts_with(p)) {
        return Ran::No;
    }
    Ran::Yes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(reply: &str) -> RedisError {
        redis::parse_redis_value(format!("-{reply}\r\n").as_bytes())
            .unwrap()
            .extract_error()
            .unwrap_err()
    }

    #[test]
    fn each_code_is_listed_once() {
        for (i, (a, _)) in CODES.iter().enumerate() {
            assert!(!CODES[i + 1..].iter().any(|(b, _)| a == b), "{a} twice");
        }
    }

    #[test]
    fn library_replies() {
        for reply in [
            "ERR Library 'q_0123456789ab' already exists",
            "ERR Function push_0123456789ab already exists",
        ] {
            assert!(is_library_loaded(&server_error(reply)), "{reply}");
        }
        let err = server_error("ERR Function not found");
        assert!(!is_library_loaded(&err));
        assert!(is_function_not_found(&err));
        assert!(is_library_not_found(&server_error("ERR Library not found")));
    }

    #[test]
    fn finds_the_line_in_server_messages() {
        assert_eq!(
            script_line(
                "ERR user_script:3: Script attempted to access nonexistent global variable 'x' script: abc, on @user_script:3."
            ),
            Some(3)
        );
        assert_eq!(
            script_line(
                "WRONGTYPE Operation against a key holding the wrong kind of value script: abc, on @user_script:12."
            ),
            Some(12)
        );
        assert_eq!(script_line("MY custom error"), None);
        // A tokened call's error names the line it was raised at, before the server's
        // position of the wrapper's line that raised it again.
        assert_eq!(
            script_line(
                "ERR Error running script (call to f_abc): @user_script:1: ERR no [raised at user_script:7]"
            ),
            Some(7)
        );
    }

    #[test]
    fn server_state_codes_are_not_script_errors() {
        assert!(!is_script_error(&server_error("WRONGPASS invalid")));
        assert!(!is_script_error(&server_error("BUSY running")));
        assert!(is_script_error(&server_error("MYCODE mine")));
        assert!(is_script_error(&server_error("ERR boom")));
        assert_eq!(classify(&server_error("BUSY running")), Ran::No);
        assert_eq!(classify(&server_error("WRONGPASS invalid")), Ran::Yes);
    }
}
