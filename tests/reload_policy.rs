//! The three reload policies, each against the deployment it is for, counting commands.

use evalsha::{ErrorKind, Reload};
use evalsha_testkit::{Server, Stats, reset_stats};

// One script type per test: the single flight of `SCRIPT LOAD` is per type, and tests run
// in parallel on different servers, so sharing a type could add a retry to the counts.
evalsha::include_script!(IncrBy = "tests/scripts/incr_by.lua");
evalsha::include_script!(Refused = "tests/scripts/incr_by.lua");
evalsha::include_script!(OverrideToEval = "tests/scripts/incr_by.lua");
evalsha::include_script!(ThroughProxy = "tests/scripts/incr_by.lua", reload = eval);
evalsha::include_script!(EvalCaches = "tests/scripts/incr_by.lua", reload = eval);
evalsha::include_script!(Preloaded = "tests/scripts/incr_by.lua", reload = never);

/// A server where `SCRIPT` is disabled, as behind a proxy that refuses keyless commands
/// (twemproxy, Envoy's Redis proxy): every `SCRIPT ...` is an unknown command.
fn server_without_script_command() -> Server {
    Server::start_with(&["--rename-command", "SCRIPT", ""])
}

#[test]
fn load_default_loads_through_the_connection_and_retries() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    assert_eq!(IncrBy::script().reload(), Reload::Load);
    assert_eq!(IncrBy.run(&mut con, "k", 1).unwrap(), 1);
    assert_eq!(IncrBy.run(&mut con, "k", 1).unwrap(), 2);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 3, "cold: try + retry; warm: one");
    assert_eq!(stats.calls("script|load"), 1);
    assert_eq!(stats.calls("eval"), 0);
}

#[test]
fn load_fails_where_script_is_refused() {
    let server = server_without_script_command();
    let mut con = server.connection();
    let err = Refused.run(&mut con, "k", 1).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("tests/scripts/incr_by.lua"), "{message}");
    assert!(
        message.to_lowercase().contains("unknown command"),
        "the refused SCRIPT LOAD explains it: {message}"
    );
    let exists: i64 = redis::cmd("EXISTS").arg("k").query(&mut con).unwrap();
    assert_eq!(exists, 0, "the script never ran");
}

#[test]
fn eval_works_where_script_load_is_refused() {
    let server = server_without_script_command();
    let mut con = server.connection();
    reset_stats(&mut con);
    assert_eq!(ThroughProxy::script().reload(), Reload::Eval);
    for expected in 1..=3 {
        assert_eq!(ThroughProxy.run(&mut con, "k", 1).unwrap(), expected);
    }
    let stats = Stats::read(&mut con);
    // First call: EVALSHA -> NOSCRIPT -> EVAL with the body. EVAL caches the script on the
    // server, so the next two are warm EVALSHAs; SCRIPT LOAD is never sent.
    assert_eq!(stats.calls("evalsha"), 3);
    assert_eq!(stats.calls("eval"), 1);
    assert_eq!(stats.calls("script|load"), 0);
    // The server's cache cannot be flushed here (SCRIPT is gone); a fresh server shows the
    // per-call override on the default-policy type.
    drop(con);
    let server = server_without_script_command();
    let mut con = server.connection();
    assert_eq!(
        OverrideToEval
            .call("k", 1)
            .reload(Reload::Eval)
            .run(&mut con)
            .unwrap(),
        1
    );
}

#[test]
fn eval_on_a_normal_server_sends_the_body_once_then_runs_warm() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    assert_eq!(EvalCaches.run(&mut con, "k", 2).unwrap(), 2);
    // EVAL caches the script on the server, so the next call is warm.
    assert_eq!(EvalCaches.run(&mut con, "k", 2).unwrap(), 4);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 2);
    assert_eq!(stats.calls("eval"), 1);
    assert_eq!(stats.calls("script|load"), 0);
}

#[test]
fn never_returns_noscript_until_the_deploy_loads_it() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    assert_eq!(Preloaded::script().reload(), Reload::Never);
    let err = Preloaded.run(&mut con, "k", 1).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NoScript);
    let message = err.to_string();
    assert!(message.contains("tests/scripts/incr_by.lua"), "{message}");
    assert!(
        message.contains("NOSCRIPT") || message.contains("not loaded"),
        "{message}"
    );
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("script|load") + stats.calls("eval"), 0);

    // The deploy step loads the script (as `redis-cli SCRIPT LOAD "$(cat ..)"` would).
    let sha1: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(Preloaded::SOURCE)
        .query(&mut con)
        .unwrap();
    assert_eq!(sha1, Preloaded::SHA1);
    reset_stats(&mut con);
    assert_eq!(Preloaded.run(&mut con, "k", 1).unwrap(), 1);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("script|load") + stats.calls("eval"), 0);
}
