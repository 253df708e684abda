//! `Error::ran()` against real server events: every classification comes from something a
//! server (or the connection to it) actually did, and a counter the script increments
//! says whether it ran.

use std::time::Duration;

use evalsha::{ErrorKind, Ran, Reload};
use evalsha_testkit::proxy::{Proxy, Replies};
use evalsha_testkit::{Server, Stats, counter, out_of_memory, requires, reset_stats};
use redis::ConnectionLike;

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");
evalsha::include_script!("tests/scripts/wrong_type.lua");
evalsha::include_script!("tests/scripts/returns_string.lua");
evalsha::include_script!("tests/scripts/spin.lua");
evalsha::include_script!("tests/scripts/flagged_incr.lua");
evalsha::include_script!("tests/scripts/incr_oom.lua");
evalsha::include_script!("tests/scripts/impostor_reply.lua");
evalsha::include_script!("tests/scripts/impostor_table.lua");

fn load(con: &mut dyn ConnectionLike, source: &str) {
    redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(source)
        .query::<String>(con)
        .unwrap();
}

#[test]
fn a_lua_error_ran() {
    let server = Server::start();
    let mut con = server.connection();
    let err = CountThenFail.run::<()>(&mut con, "n", "boom").unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(5),
            file: "tests/scripts/count_then_fail.lua"
        }
    );
    assert_eq!(err.ran(), Ran::Yes, "{err}");
    assert_eq!(counter(&mut con, "n"), 1);
}

#[test]
fn a_failing_redis_call_inside_the_script_ran() {
    let server = Server::start();
    let mut con = server.connection();
    let err = WrongType.run::<i64>(&mut con, "k").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Script { .. }), "{err}");
    assert_eq!(err.ran(), Ran::Yes, "{err}");
    let set: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(set, "x", "the script's first write happened");
}

#[test]
fn a_reply_that_does_not_convert_ran() {
    let server = Server::start();
    let err = ReturnsString.run(&mut server.connection()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Reply { expected: "i64" });
    assert_eq!(err.ran(), Ran::Yes);
}

#[test]
fn noscript_under_reload_never_did_not_run() {
    // Also checks the server's own NOSCRIPT text against the runtime's list: a text the
    // runtime did not know would be taken for the script's own reply (`Ran::Yes`).
    let server = Server::start();
    let mut con = server.connection();
    let raw = redis::cmd("EVALSHA")
        .arg(IncrBy::SHA1)
        .arg(0)
        .exec(&mut con)
        .unwrap_err();
    eprintln!("{} sends: {raw}", server.version());
    let err = IncrBy
        .call("n", 1)
        .reload(Reload::Never)
        .run(&mut con)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NoScript, "{err}");
    assert_eq!(err.ran(), Ran::No);
    assert_eq!(counter(&mut con, "n"), 0);
}

#[test]
fn an_argument_refused_before_sending_did_not_run() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    let err = IncrBy.run(&mut con, vec!["a", "b"], 1).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Argument { .. }));
    assert_eq!(err.ran(), Ran::No);
    assert_eq!(Stats::read(&mut con).calls("evalsha"), 0);
}

#[test]
fn a_load_refused_with_script_renamed_away_did_not_run_and_is_not_a_script_error() {
    let server = Server::start_with(&["--rename-command", "SCRIPT", ""]);
    let mut con = server.connection();
    let err = IncrBy.run(&mut con, "n", 1).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Load, "{err}");
    assert_eq!(err.ran(), Ran::No);
    assert!(err.to_string().contains("did not run"), "{err}");
    assert_eq!(counter(&mut con, "n"), 0);
}

/// An ACL user that may run scripts but not `SCRIPT` (common on managed Redis).
fn user_without_script(server: &Server) -> redis::Client {
    redis::cmd("ACL")
        .arg(&["SETUSER", "u", "on", ">pw", "~*", "&*", "+@all", "-script"])
        .exec(&mut server.connection())
        .unwrap();
    redis::Client::open(format!("redis://u:pw@127.0.0.1:{}/", server.port())).unwrap()
}

#[test]
fn a_load_refused_by_acl_did_not_run() {
    let server = Server::start();
    let mut con = user_without_script(&server).get_connection().unwrap();
    let err = IncrBy.run(&mut con, "n", 1).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Load, "{err}");
    assert_eq!(err.ran(), Ran::No);
    assert!(err.to_string().contains("NOPERM"), "{err}");
    assert_eq!(counter(&mut server.connection(), "n"), 0);
}

#[test]
fn noperm_on_the_call_itself_did_not_run() {
    let server = Server::start();
    let mut admin = server.connection();
    load(&mut admin, IncrBy::SOURCE);
    redis::cmd("ACL")
        .arg(&["SETUSER", "v", "on", ">pw", "~*", "&*", "+@all", "-evalsha"])
        .exec(&mut admin)
        .unwrap();
    let client = redis::Client::open(format!("redis://v:pw@127.0.0.1:{}/", server.port())).unwrap();
    let err = IncrBy
        .run(&mut client.get_connection().unwrap(), "n", 1)
        .unwrap_err();
    assert!(err.to_string().contains("NOPERM"), "{err}");
    assert_eq!(err.ran(), Ran::No, "{err}");
    assert_eq!(counter(&mut admin, "n"), 0);
}

#[test]
fn busy_did_not_run() {
    let server = Server::start_busy_after(50);
    let mut spinner = server.connection();
    load(&mut spinner, Spin::SOURCE);
    load(&mut spinner, IncrBy::SOURCE);
    let spin = std::thread::spawn(move || Spin.run::<()>(&mut spinner));
    std::thread::sleep(Duration::from_millis(30));
    let mut other = server.connection();
    let busy = IncrBy.run(&mut other, "n", 1).unwrap_err();
    assert!(busy.to_string().contains("BUSY"), "{busy}");
    assert_eq!(busy.ran(), Ran::No);
    redis::cmd("SCRIPT").arg("KILL").exec(&mut other).unwrap();
    let killed = spin.join().unwrap().unwrap_err();
    assert_eq!(killed.ran(), Ran::Yes, "a killed script ran: {killed}");
    assert_eq!(counter(&mut other, "n"), 0);
}

#[test]
fn oom_refusing_a_flagged_script_did_not_run_and_oom_inside_a_script_ran() {
    let server = Server::start_with(&["--maxmemory-policy", "noeviction"]);
    let mut con = server.connection();
    load(&mut con, IncrOom::SOURCE);
    let flagged = requires(&server, 7, "OOM refusing a `#!lua` script before it runs");
    if flagged {
        load(&mut con, FlaggedIncr::SOURCE);
    }
    out_of_memory(&mut con);
    if flagged {
        let err = FlaggedIncr.run(&mut con, "n").unwrap_err();
        assert!(err.to_string().contains("OOM"), "{err}");
        assert_eq!(err.ran(), Ran::No, "{err}");
    }
    let err = IncrOom.run(&mut con, "n").unwrap_err();
    assert!(err.to_string().contains("OOM"), "{err}");
    assert_eq!(
        err.ran(),
        Ran::Yes,
        "the script ran; its write failed: {err}"
    );
    redis::cmd("CONFIG")
        .arg(&["SET", "maxmemory", "0"])
        .exec(&mut con)
        .unwrap();
    assert_eq!(counter(&mut con, "n"), 0);
}

/// A warm call through a proxy whose connection is already set up.
fn through_proxy(server: &Server) -> (Proxy, redis::Connection) {
    load(&mut server.connection(), IncrBy::SOURCE);
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    let con = proxy.client().get_connection().unwrap();
    (proxy, con)
}

#[test]
fn a_timeout_after_the_server_ran_it_is_unknown() {
    let server = Server::start();
    let (proxy, mut con) = through_proxy(&server);
    con.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    proxy.set_replies(Replies::Hold);
    let err = IncrBy.run(&mut con, "n", 1).unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    assert_eq!(err.kind(), &ErrorKind::Redis);
    assert_eq!(counter(&mut server.connection(), "n"), 1, "it ran, once");
}

#[test]
fn a_connection_dropped_after_the_server_ran_it_is_unknown() {
    let server = Server::start();
    let (proxy, mut con) = through_proxy(&server);
    proxy.set_replies(Replies::Drop);
    let err = IncrBy.run(&mut con, "n", 1).unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    assert!(err.is_io_error(), "{err}");
    assert_eq!(counter(&mut server.connection(), "n"), 1, "it ran, once");
}

#[test]
fn client_kill_while_the_reply_is_awaited_is_unknown() {
    let server = Server::start();
    let (proxy, mut con) = through_proxy(&server);
    proxy.set_replies(Replies::Hold);
    let call = std::thread::spawn(move || IncrBy.run(&mut con, "n", 1));
    let mut admin = server.connection();
    // Wait until the call ran, then kill every other client (the proxy's upstream).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while counter(&mut admin, "n") == 0 {
        assert!(std::time::Instant::now() < deadline, "the call never ran");
        std::thread::sleep(Duration::from_millis(5));
    }
    redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "normal", "SKIPME", "yes"])
        .exec(&mut admin)
        .unwrap();
    let err = call.join().unwrap().unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    assert_eq!(counter(&mut admin, "n"), 1);
}

#[tokio::test]
async fn an_async_response_timeout_is_unknown() {
    let server = Server::start();
    load(&mut server.connection(), IncrBy::SOURCE);
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_millis(200)));
    let mut con = proxy
        .client()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    proxy.set_replies(Replies::Hold);
    let err = IncrBy.run_async(&mut con, "n", 1).await.unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    assert_eq!(counter(&mut server.connection(), "n"), 1);
}

#[test]
fn into_redis_error_keeps_the_script_and_line() {
    let server = Server::start();
    fn f(con: &mut redis::Connection) -> redis::RedisResult<()> {
        CountThenFail.run::<()>(con, "n", "boom")?;
        Ok(())
    }
    let err = f(&mut server.connection()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("tests/scripts/count_then_fail.lua:5"),
        "{text}"
    );
    assert!(text.contains("boom"), "{text}");
    let err = IncrBy
        .call("n", 1)
        .reload(Reload::Never)
        .run(&mut server.connection())
        .unwrap_err();
    let cloned = err.clone();
    assert_eq!(cloned.ran(), err.ran());
    let redis_err: redis::RedisError = err.into();
    assert_eq!(
        redis_err.kind(),
        redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
    );
    assert!(redis_err.to_string().contains("tests/scripts/incr_by.lua"));
}

/// A script whose own error reply reads `NOSCRIPT ...` ran; it is never reloaded and
/// re-sent. Warm, single call.
#[test]
fn a_scripts_own_noscript_reply_is_not_retried() {
    let server = Server::start();
    let mut con = server.connection();
    for source in [ImpostorReply::SOURCE, ImpostorTable::SOURCE] {
        load(&mut con, source);
    }
    reset_stats(&mut con);
    let a = ImpostorReply.run::<()>(&mut con, "a").unwrap_err();
    let b = ImpostorTable.run::<()>(&mut con, "b").unwrap_err();
    for (err, key) in [(a, "a"), (b, "b")] {
        assert_eq!(counter(&mut con, key), 1, "ran once: {err}");
        assert_eq!(err.ran(), Ran::Yes, "{err}");
        assert!(matches!(err.kind(), ErrorKind::Script { .. }), "{err}");
        assert!(err.to_string().contains("mine"), "{err}");
    }
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 2);
    assert_eq!(stats.calls("script|load"), 0);
}

evalsha::include_script!(ImpostorCold = "tests/scripts/impostor_reply.lua");

/// The same after a flush (the first NOSCRIPT is the server's: one load, one retry, whose
/// NOSCRIPT is the script's), and with 8 concurrent calls on one multiplexed connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripts_own_noscript_reply_is_not_retried_cold_or_concurrent() {
    let server = Server::start();
    let mut con = server.connection();
    let err = ImpostorCold.run::<()>(&mut con, "cold").unwrap_err();
    assert_eq!(err.ran(), Ran::Yes, "{err}");
    assert_eq!(counter(&mut con, "cold"), 1);

    let shared = server.multiplexed().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let mut con = shared.clone();
            tokio::spawn(async move { ImpostorReply.run_async::<()>(&mut con, "c").await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert_eq!(err.ran(), Ran::Yes, "{err}");
    }
    assert_eq!(counter(&mut con, "c"), 8, "each of the 8 calls ran once");
}

/// `ConnectionManager` reconnects after a dropped connection but does not resend the call
/// that was in flight: it ran once, `Unknown`; the next call works on the new connection.
#[tokio::test]
async fn connection_manager_does_not_resend_after_a_drop() {
    let server = Server::start();
    load(&mut server.connection(), IncrBy::SOURCE);
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    let mut con = redis::aio::ConnectionManager::new(proxy.client())
        .await
        .unwrap();
    proxy.set_replies(Replies::Drop);
    let err = IncrBy.run_async(&mut con, "n", 1).await.unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    assert_eq!(counter(&mut server.connection(), "n"), 1, "it ran, once");
    proxy.set_replies(Replies::Forward);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let n = loop {
        match IncrBy.run_async(&mut con, "n", 1).await {
            Ok(n) => break n,
            // A call made while it reconnects may fail; it must not run (checked below).
            Err(err) => assert!(std::time::Instant::now() < deadline, "{err}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        n, 2,
        "the dropped call ran once, the next one once, nothing else"
    );
    assert_eq!(proxy.connections(), 2, "one reconnection");
}

evalsha::include_script!("tests/scripts/impostor_exact.lua");

/// The documented limit: a script copying the server's NOSCRIPT text word for word is
/// taken for a missing script once (reload, retry), and the retry's NOSCRIPT, right after
/// evalsha's own successful load, is known to be the script's: it ran twice, never more.
#[test]
fn a_script_copying_the_servers_exact_noscript_runs_twice_never_more() {
    let server = Server::start();
    let mut con = server.connection();
    load(&mut con, ImpostorExact::SOURCE);
    reset_stats(&mut con);
    let err = ImpostorExact.run::<()>(&mut con, "n").unwrap_err();
    assert_eq!(err.ran(), Ran::Yes, "{err}");
    assert_eq!(counter(&mut con, "n"), 2);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 2);
    assert_eq!(stats.calls("script|load"), 1);
}
