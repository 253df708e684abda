//! Script calls in pipelines and transactions on sync connections: each runs exactly once
//! and in order, also right after `SCRIPT FLUSH`; transactions are all-or-nothing.

use evalsha::{ErrorKind, Pipeline, Reload};
use evalsha_testkit::{Server, Stats, reset_stats};
use redis::ConnectionLike;

evalsha::include_script!("tests/scripts/append.lua");
evalsha::include_script!("tests/scripts/append_upper.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");

fn flush(con: &mut dyn ConnectionLike) {
    redis::cmd("SCRIPT").arg("FLUSH").exec(con).unwrap();
}

fn list(con: &mut dyn ConnectionLike, key: &str) -> Vec<String> {
    redis::cmd("LRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .query(con)
        .unwrap()
}

#[test]
fn pipelines_of_1_100_and_10000_calls_run_once_in_order_warm_and_after_flush() {
    let server = Server::start();
    let mut con = server.connection();
    for n in [1usize, 100, 10_000] {
        for flushed in [true, false] {
            redis::cmd("DEL").arg("l").exec(&mut con).unwrap();
            if flushed {
                flush(&mut con);
            }
            reset_stats(&mut con);
            let mut pipe = Pipeline::new();
            for i in 0..n {
                pipe.script(Append.call("l", &i.to_string()));
            }
            let lengths: Vec<i64> = pipe.query(&mut con).unwrap();
            assert_eq!(lengths, (1..=n as i64).collect::<Vec<_>>(), "n={n}");
            let items = list(&mut con, "l");
            let expected: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            assert_eq!(items, expected, "every call once, in order (n={n})");
            let stats = Stats::read(&mut con);
            // The script's first call goes as EVAL (which caches it), the rest as EVALSHA.
            assert_eq!(stats.calls("eval"), 1, "one body per script per pipeline");
            assert_eq!(stats.calls("evalsha"), n as u64 - 1);
            assert_eq!(stats.calls("script|load"), 0);
        }
    }
}

#[test]
fn mixed_scripts_and_ordinary_commands_keep_their_order() {
    let server = Server::start();
    let mut con = server.connection();
    flush(&mut con);
    reset_stats(&mut con);
    let (a, plain, b, hits, c): (i64, i64, i64, i64, i64) = Pipeline::new()
        .script(Append.call("l", "a"))
        .cmd("RPUSH")
        .arg("l")
        .arg("plain")
        .script(AppendUpper.call("l", "b"))
        .cmd("SET")
        .arg("seen")
        .arg(1)
        .ignore()
        .cmd("INCR")
        .arg("hits")
        .script(Append.call("l", "c"))
        .query(&mut con)
        .unwrap();
    assert_eq!((a, plain, b, hits, c), (1, 2, 3, 1, 4));
    assert_eq!(list(&mut con, "l"), ["a", "plain", "B", "c"]);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("eval"), 2, "one EVAL per distinct script");
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("script|load"), 0);
}

#[test]
fn a_script_error_in_the_middle_keeps_the_other_results() {
    let server = Server::start();
    let mut con = server.connection();
    let mut pipe = Pipeline::new();
    pipe.script(Append.call("l", "first"))
        .script(CountThenFail.call::<()>("n", "mid-pipeline"))
        .script(Append.call("l", "last"));
    let results = pipe.query_each(&mut con).unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap(), &redis::Value::Int(1));
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.script(), "tests/scripts/count_then_fail.lua");
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(5),
            file: "tests/scripts/count_then_fail.lua"
        }
    );
    assert_eq!(results[2].as_ref().unwrap(), &redis::Value::Int(2));
    assert_eq!(list(&mut con, "l"), ["first", "last"]);

    // `query` reports the first failure, naming its script.
    let err = pipe.query::<Vec<redis::Value>, _>(&mut con).unwrap_err();
    assert!(err.to_string().contains("count_then_fail.lua:5"), "{err}");
}

#[test]
fn a_raw_transaction_with_an_unknown_script_runs_partly_evalsha_s_does_not() {
    let server = Server::start();
    let mut con = server.connection();
    flush(&mut con);
    // What evalsha prevents: plain redis, hand-written EVALSHA, after a flush.
    let raw: redis::RedisResult<Vec<redis::Value>> = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("a")
        .arg(1)
        .cmd("EVALSHA")
        .arg(Append::SHA1)
        .arg(1)
        .arg("l")
        .arg("x")
        .cmd("SET")
        .arg("b")
        .arg(2)
        .query(&mut con);
    assert!(raw.is_err(), "EXEC answers NOSCRIPT for the script");
    let ab: (Option<i64>, Option<i64>) = redis::cmd("MGET")
        .arg("a")
        .arg("b")
        .query(&mut con)
        .unwrap();
    assert_eq!(
        ab,
        (Some(1), Some(2)),
        "...yet both SETs ran: a partial block"
    );
    assert!(list(&mut con, "l").is_empty());

    // evalsha: the same block, after a flush, runs whole.
    redis::cmd("DEL").arg("a").arg("b").exec(&mut con).unwrap();
    flush(&mut con);
    reset_stats(&mut con);
    let (len,): (i64,) = Pipeline::new()
        .atomic()
        .cmd("SET")
        .arg("a")
        .arg(1)
        .ignore()
        .script(Append.call("l", "x"))
        .cmd("SET")
        .arg("b")
        .arg(2)
        .ignore()
        .query(&mut con)
        .unwrap();
    assert_eq!(len, 1);
    let ab: (Option<i64>, Option<i64>) = redis::cmd("MGET")
        .arg("a")
        .arg("b")
        .query(&mut con)
        .unwrap();
    assert_eq!(ab, (Some(1), Some(2)));
    assert_eq!(list(&mut con, "l"), ["x"]);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("multi"), 1);
    assert_eq!(stats.calls("exec"), 1);
    assert_eq!(
        stats.calls("eval"),
        1,
        "the script ran once, inside the block, as EVAL"
    );
    assert_eq!(stats.calls("evalsha") + stats.calls("script|load"), 0);
}

#[test]
fn reload_policies_in_a_pipeline() {
    let server = Server::start();
    let mut con = server.connection();
    flush(&mut con);
    reset_stats(&mut con);
    let mut pipe = Pipeline::new();
    pipe.script(Append.call("l", "never").reload(Reload::Never))
        .script(Append.call("l", "eval").reload(Reload::Eval));
    let results = pipe.query_each(&mut con).unwrap();
    assert_eq!(
        results[0].as_ref().unwrap_err().kind(),
        &ErrorKind::NoScript
    );
    assert_eq!(results[1].as_ref().unwrap(), &redis::Value::Int(1));
    assert_eq!(
        list(&mut con, "l"),
        ["eval"],
        "the NOSCRIPT call did not run"
    );
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("script|load"), 0);
    assert_eq!(stats.calls("eval"), 1);
}

#[test]
fn a_call_that_cannot_be_encoded_fails_the_pipeline_before_sending() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    let err = Pipeline::new()
        .cmd("SET")
        .arg("k")
        .arg(1)
        .script(Append.call(vec!["a", "b"], "x"))
        .query::<(), _>(&mut con)
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::Argument {
            name: "list",
            count: 2
        }
    ));
    let stats = Stats::read(&mut con);
    assert_eq!(
        stats.calls("set") + stats.calls("evalsha"),
        0,
        "nothing was sent"
    );
}

#[test]
fn preload_loads_in_one_round_trip_and_loaded_reports_it() {
    let server = Server::start();
    let mut con = server.connection();
    flush(&mut con);
    let scripts = [Append::script(), AppendUpper::script()];
    assert_eq!(evalsha::loaded(&mut con, &scripts).unwrap(), [false, false]);
    reset_stats(&mut con);
    evalsha::preload(&mut con, &scripts).unwrap();
    assert_eq!(Stats::read(&mut con).calls("script|load"), 2);
    assert_eq!(evalsha::loaded(&mut con, &scripts).unwrap(), [true, true]);
    // After the deploy step, Reload::Never calls work.
    let n = Append
        .call("l", "x")
        .reload(Reload::Never)
        .run(&mut con)
        .unwrap();
    assert_eq!(n, 1);
}
