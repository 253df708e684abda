//! Exactly once (`Call::once`, `evalsha::Token`, `Call::retries`) against real servers: the
//! fault proxy drops the reply after the server ran the call, then the same call with the
//! same token returns the first reply, and a counter the script increments says it ran
//! once.

use std::time::Duration;

use evalsha::{ErrorKind, Ran, Reload, Token};
use evalsha_testkit::proxy::Proxy;
use evalsha_testkit::{Server, Stats, counter, reset_stats};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");
evalsha::include_script!("tests/scripts/wrong_type.lua");
evalsha::include_script!("tests/scripts/keyless_hello.lua");
evalsha::include_script!("tests/scripts/read_counter.lua");
evalsha::include_script!("tests/scripts/once_shapes.lua");

/// Where the reply is lost: the first request holding `needle` reaches the server, which
/// runs it; its connection is then closed before the reply reaches the client.
fn proxy(server: &Server, needle: &[u8]) -> Proxy {
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    proxy.drop_reply_to(needle);
    proxy
}

/// The request that carries the load and the call on the cold path.
const LOAD: &[u8] = b"$4\r\nLOAD\r\n";
/// The request that carries the body ([`Reload::Eval`]).
const EVAL: &[u8] = b"$4\r\nEVAL\r\n";

/// Loads the tokened form of `IncrBy` (a tokened call of another token), so that the next
/// tokened call is warm.
fn warm(server: &Server) {
    let _: i64 = IncrBy
        .call("warming", 1)
        .once(&Token::new())
        .run(&mut server.connection())
        .unwrap();
}

/// Sync, plain connection: warm, cold (after `SCRIPT FLUSH`) and `Reload::Eval`.
#[test]
fn sync_a_lost_reply_is_returned_by_the_second_send() {
    let server = Server::start();
    for (path, needle, reload) in [
        ("warm", &b"EVALSHA"[..], Reload::Load),
        ("cold", LOAD, Reload::Load),
        ("eval", EVAL, Reload::Eval),
    ] {
        let mut admin = server.connection();
        redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
        if path == "warm" {
            warm(&server);
        }
        let token = Token::new();
        let proxy = proxy(&server, needle);
        let mut con = proxy.client().get_connection().unwrap();
        let call = || IncrBy.call(path, 5).once(&token).reload(reload);
        let err = call().run(&mut con).unwrap_err();
        assert_eq!(err.ran(), Ran::Unknown, "{path}: {err}");
        assert!(
            err.to_string()
                .contains("after 1 send with the call's token"),
            "{err}"
        );
        assert_eq!(proxy.dropped_replies(), 1, "{path}");
        assert_eq!(counter(&mut admin, path), 5, "{path}: it ran");
        let mut con = proxy.client().get_connection().unwrap();
        assert_eq!(call().run(&mut con).unwrap(), 5, "{path}: the first reply");
        assert_eq!(call().run(&mut con).unwrap(), 5, "{path}: and again");
        assert_eq!(counter(&mut admin, path), 5, "{path}: it ran once");
    }
}

/// Async: a multiplexed connection and a `ConnectionManager`, warm and cold.
#[tokio::test]
async fn async_a_lost_reply_is_returned_by_the_second_send() {
    let server = Server::start();
    let mut admin = server.connection();
    for (path, needle) in [("warm", &b"EVALSHA"[..]), ("cold", LOAD)] {
        for manager in [false, true] {
            let key = format!("{path}-{manager}");
            redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
            if path == "warm" {
                warm(&server);
            }
            let token = Token::new();
            let proxy = proxy(&server, needle);
            let client = proxy.client();
            let call = || IncrBy.call(&key, 3).once(&token);
            if manager {
                let mut con = redis::aio::ConnectionManager::new(client).await.unwrap();
                let err = call().run_async(&mut con).await.unwrap_err();
                assert_eq!(err.ran(), Ran::Unknown, "{key}: {err}");
                // The manager reconnects by itself; a call made while it does may fail.
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                let n = loop {
                    match call().run_async(&mut con).await {
                        Ok(n) => break n,
                        Err(err) => assert!(std::time::Instant::now() < deadline, "{err}"),
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                assert_eq!(n, 3, "{key}");
            } else {
                let mut con = client.get_multiplexed_async_connection().await.unwrap();
                let err = call().run_async(&mut con).await.unwrap_err();
                assert_eq!(err.ran(), Ran::Unknown, "{key}: {err}");
                let mut con = client.get_multiplexed_async_connection().await.unwrap();
                assert_eq!(call().run_async(&mut con).await.unwrap(), 3, "{key}");
            }
            assert_eq!(counter(&mut admin, &key), 3, "{key}: it ran once");
        }
    }
}

/// A script that writes and then raises an error, sent twice with one token: it runs once,
/// and both sends return the same error, at the script's own line.
#[test]
fn an_error_after_a_write_is_recorded_too() {
    let server = Server::start();
    let mut con = server.connection();
    let plain = CountThenFail
        .run::<()>(&mut con, "plain", "boom")
        .unwrap_err();
    let token = Token::new();
    let call = || CountThenFail.call::<()>("n", "boom").once(&token);
    let first = call().run(&mut con).unwrap_err();
    let second = call().run(&mut con).unwrap_err();
    assert_eq!(counter(&mut con, "n"), 1, "one run");
    assert_eq!(
        first.to_string(),
        second.to_string(),
        "the same error twice"
    );
    for err in [&first, &second] {
        assert_eq!(err.ran(), Ran::Yes, "{err}");
        assert_eq!(err.kind(), plain.kind(), "{err} / {plain}");
        assert_eq!(err.line(), Some(5), "{err}");
        assert!(err.to_string().contains("boom"), "{err}");
    }

    // A `redis.call` that fails inside the script (line 3): the same line as without a
    // token, and the server's error code kept.
    let plain = WrongType.run::<i64>(&mut con, "w1").unwrap_err();
    let token = Token::new();
    let first = WrongType
        .call::<i64>("w2")
        .once(&token)
        .run(&mut con)
        .unwrap_err();
    let second = WrongType
        .call::<i64>("w2")
        .once(&token)
        .run(&mut con)
        .unwrap_err();
    assert_eq!(first.to_string(), second.to_string());
    assert_eq!(plain.line(), Some(3), "{plain}");
    assert_eq!(first.line(), Some(3), "{first}");
    let code = |e: &evalsha::Error| e.redis_error().and_then(|e| e.code()).map(str::to_owned);
    assert_eq!(code(&first), code(&plain), "{first} / {plain}");
}

/// The same token with other arguments, or another script: `TokenReused`, nothing ran.
#[test]
fn a_token_is_for_one_call() {
    let server = Server::start();
    let mut con = server.connection();
    let token = Token::from("order-42");
    assert_eq!(
        IncrBy.call("{o}:n", 2).once(&token).run(&mut con).unwrap(),
        2
    );
    reset_stats(&mut con);
    for err in [
        IncrBy
            .call("{o}:n", 7)
            .once(&token)
            .run(&mut con)
            .unwrap_err(),
        CountThenFail
            .call::<()>("{o}:m", "x")
            .once(&token)
            .run(&mut con)
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), &ErrorKind::TokenReused, "{err}");
        assert_eq!(err.ran(), Ran::No, "{err}");
    }
    assert_eq!(counter(&mut con, "{o}:n"), 2, "nothing ran");
    assert_eq!(counter(&mut con, "{o}:m"), 0, "nothing ran");
    assert_eq!(Stats::read(&mut con).calls("incrby"), 0);
    // The record is under the first key's hash tag.
    let ttl: i64 = redis::cmd("PTTL")
        .arg("evalsha:once:{o}:order-42")
        .query(&mut con)
        .unwrap();
    assert!(ttl > 23 * 3600 * 1000, "24 h by default: {ttl}");
}

/// After its TTL the token is new again.
#[test]
fn a_record_lives_its_ttl() {
    let server = Server::start();
    let mut con = server.connection();
    let token = Token::new().ttl(Duration::from_millis(100));
    let call = || IncrBy.call("t", 1).once(&token);
    assert_eq!(call().run(&mut con).unwrap(), 1);
    assert_eq!(call().run(&mut con).unwrap(), 1, "recorded");
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(call().run(&mut con).unwrap(), 2, "expired: it runs again");
    assert_eq!(counter(&mut con, "t"), 2);
}

/// Every reply shape comes back the same from the record; a keyless script records under
/// a key of its own; a read-only script ignores the token.
#[test]
fn replies_of_every_shape_are_recorded() {
    let server = Server::start();
    let mut con = server.connection();
    for shape in [
        "int", "str", "nil", "array", "status", "error", "bool", "float", "nested",
    ] {
        let plain: redis::Value = OnceShapes
            .run(&mut server.connection(), shape)
            .unwrap_or_else(|e| {
                redis::Value::SimpleString(format!("error: {}", e.redis_error().unwrap()))
            });
        let token = Token::new();
        for _ in 0..2 {
            let tokened: redis::Value = OnceShapes
                .call(shape)
                .once(&token)
                .run(&mut con)
                .unwrap_or_else(|e| {
                    redis::Value::SimpleString(format!("error: {}", e.redis_error().unwrap()))
                });
            assert_eq!(tokened, plain, "{shape}");
        }
    }
    let token = Token::new();
    for _ in 0..2 {
        let hello = KeylessHello.call("you").once(&token).run(&mut con).unwrap();
        assert_eq!(hello, "hello you");
    }
    let record: bool = redis::cmd("EXISTS")
        .arg(format!("evalsha:once:{token}"))
        .query(&mut con)
        .unwrap();
    assert!(record, "a keyless script's record");
    if server.major_version() >= 7 {
        reset_stats(&mut con);
        let n = ReadCounter.call("t").once(&token).run(&mut con).unwrap();
        assert_eq!(n, 0);
        let stats = Stats::read(&mut con);
        assert!(stats.calls("evalsha_ro") > 0, "sent as it is");
        assert_eq!(
            stats.calls("evalsha") + stats.calls("eval"),
            0,
            "not wrapped"
        );
    }
}

/// `retries(n)` through a `ConnectionManager`: the reply is lost, evalsha sends the call
/// again with its token once the manager has reconnected, and returns `Ok`: one run.
#[tokio::test]
async fn retries_return_ok_after_a_drop() {
    let server = Server::start();
    warm(&server);
    let token = Token::new();
    let proxy = proxy(&server, token.as_str().as_bytes());
    let mut con = redis::aio::ConnectionManager::new(proxy.client())
        .await
        .unwrap();
    let n = IncrBy
        .call("r", 4)
        .once(&token)
        .retries(5)
        .run_async(&mut con)
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(proxy.dropped_replies(), 1);
    assert_eq!(proxy.connections(), 2, "one reconnection");
    assert_eq!(counter(&mut server.connection(), "r"), 4, "one run");

    // Without a token: refused before sending, unless the script is read-only.
    reset_stats(&mut server.connection());
    let err = IncrBy
        .call("r", 1)
        .retries(1)
        .run_async(&mut con)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported { .. }), "{err}");
    assert_eq!(err.ran(), Ran::No);
    assert_eq!(Stats::read(&mut server.connection()).calls("evalsha"), 0);
    if server.major_version() >= 7 {
        let n = ReadCounter.call("r").retries(2).run_async(&mut con).await;
        assert_eq!(n.unwrap(), 4);
    }
}

/// Pipelines and transactions, per call: the reply to the whole pipeline is lost after the
/// server ran it; the same pipeline sent again with the same tokens returns the first
/// replies, and each call ran once. Cold (after `SCRIPT FLUSH`, the first call goes as
/// `EVAL` with the wrapped body) and warm, sync and async.
#[tokio::test]
async fn pipelines_and_transactions_record_each_call() {
    let server = Server::start();
    let mut admin = server.connection();
    for atomic in [false, true] {
        for cold in [true, false] {
            for sync in [true, false] {
                let case = format!("atomic={atomic} cold={cold} sync={sync}");
                if cold {
                    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
                } else {
                    warm(&server);
                }
                let (ta, tb) = (Token::new(), Token::new());
                let (a, b) = (format!("{case}:a"), format!("{case}:b"));
                let pipeline = || {
                    let mut p = evalsha::Pipeline::new();
                    if atomic {
                        p.atomic();
                    }
                    p.script(IncrBy.call(&a, 2).once(&ta));
                    p.script(IncrBy.call(&b, 3).once(&tb));
                    p.script(IncrBy.call(&a, 4).once(&Token::from(format!("{ta}-2"))));
                    p
                };
                let proxy = proxy(&server, tb.as_str().as_bytes());
                let client = proxy.client();
                let first = if sync {
                    pipeline()
                        .query::<(i64, i64, i64), _>(&mut client.get_connection().unwrap())
                        .unwrap_err()
                } else {
                    let mut con = client.get_multiplexed_async_connection().await.unwrap();
                    pipeline()
                        .query_async::<(i64, i64, i64), _>(&mut con)
                        .await
                        .unwrap_err()
                };
                assert_eq!(first.ran(), Ran::Unknown, "{case}: {first}");
                assert_eq!(proxy.dropped_replies(), 1, "{case}");
                let again = if sync {
                    pipeline()
                        .query::<(i64, i64, i64), _>(&mut client.get_connection().unwrap())
                        .unwrap()
                } else {
                    let mut con = client.get_multiplexed_async_connection().await.unwrap();
                    pipeline().query_async(&mut con).await.unwrap()
                };
                assert_eq!(again, (2, 3, 6), "{case}: the first replies");
                assert_eq!(counter(&mut admin, &a), 6, "{case}: each call ran once");
                assert_eq!(counter(&mut admin, &b), 3, "{case}: each call ran once");
            }
        }
    }
}

evalsha::include_library!("tests/libraries/once_fn.lua");

/// Redis Functions: a tokened call goes to the function's tokened form in the library
/// rewritten for tokens (loaded on first use, cold here): the reply lost after it ran,
/// the second send returns it; an error after a write is recorded, at the file's own line;
/// the same token with other arguments is `TokenReused`.
#[test]
fn functions_take_tokens() {
    let server = Server::start();
    if !evalsha_testkit::requires(&server, 7, "Redis Functions") {
        return;
    }
    let token = Token::new();
    let proxy = proxy(&server, LOAD);
    let mut con = proxy.client().get_connection().unwrap();
    let call = || Oncefn.add_call("f", 7).once(&token);
    let err = call().run(&mut con).unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    let mut con = proxy.client().get_connection().unwrap();
    assert_eq!(call().run(&mut con).unwrap(), 7, "the first reply");
    assert_eq!(counter(&mut con, "f"), 7, "it ran once");
    let other = Oncefn
        .add_call("f", 8)
        .once(&token)
        .run(&mut con)
        .unwrap_err();
    assert_eq!(other.kind(), &ErrorKind::TokenReused, "{other}");
    assert_eq!(counter(&mut con, "f"), 7, "nothing ran");

    let plain = Oncefn
        .add_then_fail::<()>(&mut con, "p", "boom")
        .unwrap_err();
    let token = Token::new();
    let call = || Oncefn.add_then_fail_call::<()>("e", "boom").once(&token);
    let first = call().run(&mut con).unwrap_err();
    let second = call().run(&mut con).unwrap_err();
    assert_eq!(
        first.to_string(),
        second.to_string(),
        "the same error twice"
    );
    assert_eq!(counter(&mut con, "e"), 1, "one run");
    assert_eq!(first.ran(), Ran::Yes, "{first}");
    assert_eq!(first.line(), plain.line(), "{first} / {plain}");
    assert_eq!(first.line(), Some(15), "{first}");
}

/// Tokened function calls in a pipeline and a transaction (cold: the tokened library's
/// `FUNCTION LOAD` goes first): a lost reply, then the same pipeline returns the first
/// replies and each call ran once.
#[test]
fn function_calls_in_pipelines_take_tokens() {
    let server = Server::start();
    if !evalsha_testkit::requires(&server, 7, "Redis Functions") {
        return;
    }
    let mut admin = server.connection();
    for atomic in [false, true] {
        redis::cmd("FUNCTION")
            .arg("FLUSH")
            .exec(&mut admin)
            .unwrap();
        let (ta, tb) = (Token::new(), Token::new());
        let (a, b) = (format!("{atomic}:a"), format!("{atomic}:b"));
        let pipeline = || {
            let mut p = evalsha::Pipeline::new();
            if atomic {
                p.atomic();
            }
            p.script(Oncefn.add_call(&a, 2).once(&ta));
            p.script(Oncefn.add_call(&b, 3).once(&tb));
            p
        };
        let proxy = proxy(&server, tb.as_str().as_bytes());
        let mut con = proxy.client().get_connection().unwrap();
        let err = pipeline().query::<(i64, i64), _>(&mut con).unwrap_err();
        assert_eq!(err.ran(), Ran::Unknown, "{err}");
        let mut con = proxy.client().get_connection().unwrap();
        let again: (i64, i64) = pipeline().query(&mut con).unwrap();
        assert_eq!(again, (2, 3), "atomic={atomic}");
        assert_eq!((counter(&mut admin, &a), counter(&mut admin, &b)), (2, 3));
    }
}
