//! `run` on sync connections against a real server: warm and cold paths counted with
//! `INFO commandstats`, SHA1s checked against `SCRIPT LOAD`, errors never retried.

use evalsha::{ErrorKind, Reload};
use evalsha_testkit::{Server, Stats, reset_stats};
use redis::ConnectionLike;

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");
evalsha::include_script!("tests/scripts/set_many.lua");
evalsha::include_script!("tests/scripts/optional.lua");
evalsha::include_script!("tests/scripts/echo.lua");
evalsha::include_script!("tests/scripts/crlf_unicode.lua");
evalsha::include_script!(pub(crate) Counter = "tests/scripts/incr_by.lua");
// Tests in this binary run in parallel against different servers. A test that counts
// commands on the load path uses its own script type, whose load state (single flight)
// no other test shares: another test's load would otherwise look like one it can reuse
// and cost it an extra retry.
evalsha::include_script!(ColdIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(NoLoadIncr = "tests/scripts/incr_by.lua");

fn flush_scripts(con: &mut dyn ConnectionLike) {
    redis::cmd("SCRIPT").arg("FLUSH").exec(con).unwrap();
}

#[test]
fn sha1_equals_what_script_load_returns() {
    let server = Server::start();
    let mut con = server.connection();
    for (source, sha1) in [
        (IncrBy::SOURCE, IncrBy::SHA1),
        (CountThenFail::SOURCE, CountThenFail::SHA1),
        (SetMany::SOURCE, SetMany::SHA1),
        (Optional::SOURCE, Optional::SHA1),
        (Echo::SOURCE, Echo::SHA1),
        (CrlfUnicode::SOURCE, CrlfUnicode::SHA1),
    ] {
        let loaded: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(source)
            .query(&mut con)
            .unwrap();
        assert_eq!(loaded, sha1);
        assert_eq!(sha1.len(), 40);
        assert!(
            sha1.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
}

#[test]
fn source_is_the_file_byte_for_byte() {
    let on_disk = std::fs::read("tests/scripts/crlf_unicode.lua").unwrap();
    assert_eq!(CrlfUnicode::SOURCE.as_bytes(), &on_disk[..]);
    assert!(CrlfUnicode::SOURCE.contains("\r\n"));
    assert!(CrlfUnicode::SOURCE.contains("日本語"));
    assert_eq!(IncrBy::script().name(), "tests/scripts/incr_by.lua");
    assert_eq!(Counter::SHA1, IncrBy::SHA1);
}

#[test]
fn cold_path_loads_once_and_retries_once() {
    let server = Server::start();
    let mut con = server.connection();
    flush_scripts(&mut con);
    reset_stats(&mut con);

    assert_eq!(ColdIncr.run(&mut con, "c", 5).unwrap(), 5);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 2, "first attempt + retry");
    assert_eq!(stats.calls("script|load"), 1);
    assert_eq!(stats.calls("eval"), 0);

    reset_stats(&mut con);
    assert_eq!(ColdIncr.run(&mut con, "c", 2).unwrap(), 7);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 1, "warm: one EVALSHA");
    assert_eq!(stats.calls("script|load"), 0);
    assert_eq!(stats.calls("eval"), 0);
}

#[test]
fn works_through_dyn_connection_like() {
    let server = Server::start();
    let mut con = server.connection();
    let dyn_con: &mut dyn ConnectionLike = &mut con;
    assert_eq!(IncrBy.run(dyn_con, "d", 3).unwrap(), 3);
    assert_eq!(Counter.run(dyn_con, "d", 4).unwrap(), 7);
}

#[test]
fn script_errors_are_not_retried_and_name_the_file_and_line() {
    let server = Server::start();
    let mut con = server.connection();
    CountThenFail::script();
    // Warm and cold: both must run the script exactly once.
    for cold in [true, false] {
        if cold {
            flush_scripts(&mut con);
        }
        reset_stats(&mut con);
        let _: () = redis::cmd("DEL").arg("n").query(&mut con).unwrap();
        let err = CountThenFail.run::<()>(&mut con, "n", "boom").unwrap_err();
        let count: i64 = redis::cmd("GET").arg("n").query(&mut con).unwrap();
        assert_eq!(count, 1, "the script ran exactly once");
        let stats = Stats::read(&mut con);
        assert_eq!(stats.calls("evalsha"), if cold { 2 } else { 1 });
        assert_eq!(
            err.kind(),
            &ErrorKind::Script {
                line: Some(5),
                file: "tests/scripts/count_then_fail.lua"
            }
        );
        assert_eq!(err.script(), "tests/scripts/count_then_fail.lua");
        let text = err.to_string();
        assert!(
            text.contains("tests/scripts/count_then_fail.lua:5"),
            "{text}"
        );
        assert!(text.contains("boom"), "{text}");
        let source = std::error::Error::source(&err).expect("redis error as source");
        assert!(source.is::<redis::RedisError>());
    }
}

#[test]
fn a_failed_load_is_returned_not_looped() {
    // SCRIPT renamed: SCRIPT LOAD fails, the retry meets NOSCRIPT, and evalsha stops.
    let server = Server::start_with(&["--rename-command", "SCRIPT", "SCRIPTX"]);
    let mut con = server.connection();
    reset_stats(&mut con);
    let err = NoLoadIncr.run(&mut con, "x", 1).unwrap_err();
    let stats = Stats::read(&mut con);
    assert_eq!(
        stats.calls("evalsha"),
        2,
        "one attempt and one retry, no loop"
    );
    assert!(
        err.to_string().contains("tests/scripts/incr_by.lua"),
        "{err}"
    );
    assert!(err.redis_error().is_some());
}

#[test]
fn reload_never_returns_noscript() {
    let server = Server::start();
    let mut con = server.connection();
    flush_scripts(&mut con);
    reset_stats(&mut con);
    let err = IncrBy
        .call("k", 1)
        .reload(Reload::Never)
        .run(&mut con)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NoScript);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("script|load"), 0);
    let exists: i64 = redis::cmd("EXISTS").arg("k").query(&mut con).unwrap();
    assert_eq!(exists, 0, "nothing ran");
}

#[test]
fn reload_eval_sends_the_body_once() {
    let server = Server::start();
    let mut con = server.connection();
    flush_scripts(&mut con);
    reset_stats(&mut con);
    let n = IncrBy
        .call("k", 9)
        .reload(Reload::Eval)
        .run(&mut con)
        .unwrap();
    assert_eq!(n, 9);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("eval"), 1);
    assert_eq!(stats.calls("script|load"), 0);
}

#[test]
fn variadic_optional_and_headerless_parameters() {
    let server = Server::start();
    let mut con = server.connection();
    let n = SetMany
        .run(&mut con, &["a", "b", "c"], &["1", "2", "3"])
        .unwrap();
    assert_eq!(n, 3);
    let got: Vec<String> = redis::cmd("MGET")
        .arg(&["a", "b", "c"])
        .query(&mut con)
        .unwrap();
    assert_eq!(got, ["1", "2", "3"]);

    assert_eq!(
        Optional.run(&mut con, None, "x").unwrap(),
        vec![String::new(), "x".to_owned()]
    );
    assert_eq!(
        Optional.run(&mut con, Some(4), "y").unwrap(),
        vec!["4".to_owned(), "y".to_owned()]
    );

    // Headerless: parameters counted from KEYS[1], ARGV[1], ARGV[2].
    let echoed: Vec<String> = Echo.run(&mut con, "k1", "a1", "a2").unwrap();
    assert_eq!(echoed, ["k1", "a1", "a2"]);
    assert_eq!(CrlfUnicode.run(&mut con).unwrap(), "ok");
}

#[test]
fn a_key_that_expands_to_several_arguments_is_refused_before_sending() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    let err = IncrBy.run(&mut con, vec!["a", "b"], 1).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Argument {
            name: "counter",
            count: 2
        }
    );
    assert_eq!(
        Stats::read(&mut con).calls("evalsha"),
        0,
        "nothing was sent"
    );
}

#[test]
fn wrong_reply_type_names_the_expected_type() {
    let server = Server::start();
    let mut con = server.connection();
    let err = Echo
        .run::<i64>(&mut con, "k", "not a number", "x")
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Reply { expected: "i64" });
    assert!(err.to_string().contains("tests/scripts/echo.lua"), "{err}");
}

evalsha::include_script!(EvalIncr = "tests/scripts/incr_by.lua", reload = eval);

#[test]
fn reload_policy_per_script_type() {
    assert_eq!(EvalIncr::script().reload(), Reload::Eval);
    assert_eq!(IncrBy::script().reload(), Reload::Load);
    let server = Server::start();
    let mut con = server.connection();
    flush_scripts(&mut con);
    reset_stats(&mut con);
    assert_eq!(EvalIncr.run(&mut con, "e", 2).unwrap(), 2);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("eval"), 1);
    assert_eq!(stats.calls("script|load"), 0);
    // A call may still override the type's default.
    flush_scripts(&mut con);
    reset_stats(&mut con);
    let err = EvalIncr
        .call("e", 1)
        .reload(Reload::Never)
        .run(&mut con)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NoScript);
}

evalsha::include_script!(ProxyIncr = "tests/scripts/incr_by.lua");

/// Behind a proxy that refuses `SCRIPT` (simulated by renaming the command), the default
/// policy cannot load, while `Reload::Eval` works: one EVALSHA, one EVAL, no SCRIPT.
#[test]
fn reload_eval_works_where_script_load_is_refused() {
    let server = Server::start_with(&["--rename-command", "SCRIPT", "SCRIPTX"]);
    let mut con = server.connection();
    assert!(
        ProxyIncr.run(&mut con, "p", 1).is_err(),
        "Load cannot work here"
    );
    reset_stats(&mut con);
    let n = ProxyIncr
        .call("p", 5)
        .reload(Reload::Eval)
        .run(&mut con)
        .unwrap();
    assert_eq!(n, 5, "the failed Load attempt above did not run the script");
    let stats = Stats::read(&mut con);
    assert_eq!(
        stats.calls("evalsha"),
        1,
        "NOSCRIPT: nothing could load the script"
    );
    assert_eq!(stats.calls("eval"), 1);
    assert_eq!(stats.calls("script|load") + stats.calls("scriptx|load"), 0);
}
