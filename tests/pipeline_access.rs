//! Pipelines for ACL users denied `SCRIPT` and under `maxmemory` + `noeviction`; per-call
//! results that say whether each call ran; aborted transactions that name the command at
//! fault. Counters in the scripts prove what ran, on Redis 6.2, 7.0 and Valkey 8.1.

use evalsha::{ErrorKind, PIPELINE, Pipeline, Ran};
use evalsha_testkit::{Server, Stats, counter, reset_stats};
use redis::{ConnectionLike, Value};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/append.lua");
evalsha::include_script!("tests/scripts/get_counter.lua");

fn user(server: &Server, name: &str, rules: &[&str]) -> redis::Client {
    let mut cmd = redis::cmd("ACL");
    cmd.arg("SETUSER")
        .arg(name)
        .arg(&["on", ">pw", "~*", "&*", "+@all"]);
    cmd.arg(rules);
    cmd.exec(&mut server.connection()).unwrap();
    redis::Client::open(format!("redis://{name}:pw@127.0.0.1:{}/", server.port())).unwrap()
}

/// Script calls around an ordinary command; `(n after 1, INCR m, n after 2, n after 3)`.
fn three_calls(atomic: bool) -> Pipeline {
    let mut pipe = Pipeline::new();
    if atomic {
        pipe.atomic();
    }
    pipe.script(IncrBy.call("n", 1))
        .cmd("INCR")
        .arg("m")
        .script(IncrBy.call("n", 1))
        .script(IncrBy.call("n", 1));
    pipe
}

#[test]
fn a_user_denied_script_runs_pipelines_warm_and_cold_atomic_and_not() {
    let server = Server::start();
    let mut admin = server.connection();
    let mut con = user(&server, "u", &["-script"]).get_connection().unwrap();
    for atomic in [false, true] {
        for cold in [true, false] {
            if cold {
                redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
            }
            redis::cmd("DEL").arg(&["n", "m"]).exec(&mut admin).unwrap();
            reset_stats(&mut admin);
            let got: (i64, i64, i64, i64) = three_calls(atomic)
                .query(&mut con)
                .unwrap_or_else(|e| panic!("atomic {atomic}, cold {cold}: {e}"));
            assert_eq!(got, (1, 1, 2, 3), "atomic {atomic}, cold {cold}");
            assert_eq!(counter(&mut admin, "n"), 3, "each call ran exactly once");
            let stats = Stats::read(&mut admin);
            assert_eq!(stats.calls("script|load"), 0);
            assert_eq!(stats.calls("eval") + stats.calls("evalsha"), 3);
        }
    }
}

#[tokio::test]
async fn a_user_denied_script_runs_async_pipelines() {
    let server = Server::start();
    let client = user(&server, "u", &["-script"]);
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    for atomic in [false, true] {
        redis::cmd("DEL")
            .arg("n")
            .exec(&mut server.connection())
            .unwrap();
        let got: (i64, i64, i64, i64) = three_calls(atomic).query_async(&mut con).await.unwrap();
        assert_eq!((got.0, got.2, got.3), (1, 2, 3), "atomic {atomic}");
    }
}

/// `n` = 5 for the pipelines' reads, then the server over its memory limit.
fn out_of_memory(con: &mut dyn ConnectionLike) {
    redis::cmd("SET").arg("n").arg(5).exec(con).unwrap();
    evalsha_testkit::out_of_memory(con);
}

#[test]
fn under_oom_a_plain_pipeline_runs_its_reads_and_reports_each_write() {
    let server = Server::start_with(&["--maxmemory-policy", "noeviction"]);
    let mut con = server.connection();
    out_of_memory(&mut con);
    for cold in [true, false] {
        if cold {
            redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
        }
        let mut pipe = Pipeline::new();
        pipe.script(GetCounter.call("n"))
            .script(IncrBy.call("n", 1))
            .script(GetCounter.call("n"));
        let results = pipe.query_each(&mut con).unwrap();
        assert_eq!(results[0].as_ref().unwrap(), &Value::Int(5), "cold {cold}");
        let write = results[1].as_ref().unwrap_err();
        assert!(write.to_string().contains("OOM"), "{write}");
        assert_eq!(
            write.ran(),
            Ran::Yes,
            "it ran; its INCR was refused: {write}"
        );
        assert_eq!(results[2].as_ref().unwrap(), &Value::Int(5));
    }
    assert_eq!(counter(&mut con, "n"), 5);
}

#[test]
fn under_oom_a_transaction_runs_on_valkey_and_names_the_refused_command_on_redis() {
    let server = Server::start_with(&["--maxmemory-policy", "noeviction"]);
    let mut con = server.connection();
    out_of_memory(&mut con);
    for cold in [true, false] {
        if cold {
            redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
        } else {
            // SCRIPT LOAD is allowed over maxmemory (outside MULTI).
            evalsha::preload(&mut con, &[GetCounter::script()]).unwrap();
        }
        let mut pipe = Pipeline::new();
        pipe.atomic()
            .cmd("GET")
            .arg("n")
            .script(GetCounter.call("n"))
            .script(GetCounter.call("n"));
        match pipe.query::<(i64, i64, i64), _>(&mut con) {
            // Valkey 8.1 queues commands in MULTI while over maxmemory.
            Ok(got) => assert_eq!(got, (5, 5, 5), "cold {cold}"),
            // Redis 6.2 and 7.0 refuse every queued command: the first one is named.
            Err(err) => {
                assert_eq!(
                    err.kind(),
                    &ErrorKind::TransactionAborted { command: 0 },
                    "{err}"
                );
                assert_eq!(err.script(), PIPELINE, "{err}");
                assert_eq!(err.ran(), Ran::No);
                let text = err.to_string();
                assert!(text.contains("EXECABORT") && text.contains("OOM"), "{text}");
            }
        }
    }
}

#[test]
fn an_aborted_transaction_names_the_refused_call_and_its_script() {
    let server = Server::start();
    let mut admin = server.connection();
    // May run scripts by body (EVAL), not by SHA1 (EVALSHA).
    let mut con = user(&server, "w", &["-evalsha"]).get_connection().unwrap();
    let pipeline = |atomic: bool| {
        let mut pipe = Pipeline::new();
        if atomic {
            pipe.atomic();
        }
        pipe.script(Append.call("l", "a")) // EVAL: allowed
            .script(IncrBy.call("n", 1)) // EVAL: allowed
            .script(IncrBy.call("n", 1)); // EVALSHA: NOPERM
        pipe
    };
    let err = pipeline(true)
        .query::<(i64, i64, i64), _>(&mut con)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TransactionAborted { command: 2 },
        "{err}"
    );
    assert_eq!(err.script(), "tests/scripts/incr_by.lua", "{err}");
    assert_eq!(err.ran(), Ran::No);
    assert!(err.to_string().contains("NOPERM"), "{err}");
    assert_eq!(counter(&mut admin, "n"), 0, "nothing in the block ran");

    // The same calls in a plain pipeline: each result its own, nothing hidden.
    let results = pipeline(false).query_each(&mut con).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Value::Int(1));
    assert_eq!(results[1].as_ref().unwrap(), &Value::Int(1));
    let refused = results[2].as_ref().unwrap_err();
    assert_eq!(refused.ran(), Ran::No, "{refused}");
    assert!(refused.to_string().contains("NOPERM"), "{refused}");
    assert_eq!(counter(&mut admin, "n"), 1);

    // An ordinary command refused while queuing is named as the pipeline's.
    let err = Pipeline::new()
        .atomic()
        .script(IncrBy.call("n", 1))
        .cmd("SET")
        .arg("only-a-key")
        .query::<(i64, ()), _>(&mut admin)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TransactionAborted { command: 1 },
        "{err}"
    );
    assert_eq!(err.script(), PIPELINE);
    assert_eq!(counter(&mut admin, "n"), 1);
}

/// A pipeline whose connection drops after the server ran it: the whole pipeline fails
/// with `Ran::Unknown` (every call ran once, nothing is resent).
#[test]
fn a_pipeline_whose_connection_drops_after_it_ran_is_unknown() {
    use evalsha_testkit::proxy::{Proxy, Replies};
    let server = Server::start();
    let proxy = Proxy::start(server.port(), std::time::Duration::ZERO).unwrap();
    let mut con = proxy.client().get_connection().unwrap();
    proxy.set_replies(Replies::Drop);
    let err = three_calls(false)
        .query::<(i64, i64, i64, i64), _>(&mut con)
        .unwrap_err();
    assert_eq!(err.ran(), Ran::Unknown, "{err}");
    let mut admin = server.connection();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while counter(&mut admin, "n") < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(counter(&mut admin, "n"), 3, "each call ran once");
    assert_eq!(counter(&mut admin, "m"), 1);
}

/// The same naming of the refused command on an async connection.
#[tokio::test]
async fn an_aborted_async_transaction_names_the_refused_command() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    let err = Pipeline::new()
        .atomic()
        .script(IncrBy.call("n", 1))
        .cmd("SET")
        .arg("only-a-key")
        .query_async::<(i64, ()), _>(&mut con)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TransactionAborted { command: 1 },
        "{err}"
    );
    assert_eq!(err.script(), PIPELINE);
    assert_eq!(err.ran(), Ran::No);
    assert_eq!(
        counter(&mut server.connection(), "n"),
        0,
        "nothing in the block ran"
    );
}
