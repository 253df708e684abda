//! Each compile-time check predicts a run-time failure or a silent change of meaning; these
//! tests run the very scripts the UI cases reject (`tests/ui/scripts/checks/*_fires.lua`)
//! on the server and see that failure happen, and run the look-alikes the checks accept
//! and see them work. Run on each server of the matrix (`EVALSHA_SERVER`).

use evalsha_testkit::{Server, requires};
use redis::{RedisResult, Value};

macro_rules! script {
    ($name:literal) => {
        include_str!(concat!("ui/scripts/checks/", $name, ".lua"))
    };
}

/// `EVAL` of `source` with `keys` and `args`.
fn eval(
    con: &mut redis::Connection,
    source: &str,
    keys: &[&str],
    args: &[Vec<u8>],
) -> RedisResult<Value> {
    redis::cmd("EVAL")
        .arg(source)
        .arg(keys.len())
        .arg(keys)
        .arg(args)
        .query(con)
}

/// One argument as `redis` (and so evalsha) encodes it: `false` is `0`.
fn enc(value: impl redis::ToRedisArgs) -> Vec<u8> {
    value.to_redis_args().concat()
}

/// The error text of a call that must fail.
#[track_caller]
fn fails(result: RedisResult<Value>) -> String {
    match result {
        Ok(value) => panic!("expected the server to refuse, it replied {value:?}"),
        Err(err) => err.to_string(),
    }
}

#[track_caller]
fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in {text:?}");
}

#[test]
fn undefined_global_reading_fails() {
    let server = Server::start();
    let mut con = server.connection();
    let err = fails(eval(
        &mut con,
        script!("undefined_global_fires"),
        &["k"],
        &[],
    ));
    assert_contains(
        &err,
        "Script attempted to access nonexistent global variable 'bit32'",
    );
    // `print`: only Redis 6.2 still has it, as the environment data says.
    let print = eval(&mut con, "print('x') return 1", &[], &[]);
    let has_print = evalsha_macros_env_has(&server, "global print");
    assert_eq!(print.is_ok(), has_print, "{print:?}");
    // A field no server has is nil: calling it fails.
    let err = fails(eval(&mut con, "return table.unpack({1})", &[], &[]));
    assert_contains(&err, "attempt to call field 'unpack' (a nil value)");
    eval(&mut con, script!("undefined_global_lookalike"), &["k"], &[]).unwrap();
}

/// The checked-in environment of this server (tests/environment.rs keeps that file equal
/// to what the server says).
fn environment(server: &Server) -> String {
    let path = format!(
        "{}/macros/src/env/{}.txt",
        env!("CARGO_MANIFEST_DIR"),
        server.label()
    );
    std::fs::read_to_string(path).unwrap()
}

/// Whether this server's environment holds `line`.
fn evalsha_macros_env_has(server: &Server, line: &str) -> bool {
    environment(server).lines().any(|l| l == line)
}

/// The arity of `command` in this server's environment, if it has the command.
fn env_arity(server: &Server, command: &str) -> Option<i64> {
    let prefix = format!("command {command} ");
    environment(server)
        .lines()
        .find_map(|l| l.strip_prefix(&prefix)?.split(' ').next()?.parse().ok())
}

/// What target servers make the checks accept or refuse differs by server: the scripts of
/// the target-server fixture crates (`tests/targets/scripts/`) and the calls the checks
/// judge per server run exactly where this server's environment says they do, and fail
/// the way the checks predict where it says they do not.
#[test]
fn what_the_environment_says_of_this_server_holds() {
    let server = Server::start();
    let mut con = server.connection();
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/tests/targets/scripts/{name}.lua",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    // A command (HGETEX, Redis 8.0 and Valkey 9.x).
    let has = env_arity(&server, "hgetex").is_some();
    let ran = eval(&mut con, &fixture("hgetex"), &["h"], &[enc("f")]);
    match &ran {
        Ok(_) => assert!(has, "HGETEX ran on {}: {ran:?}", server.label()),
        Err(err) => {
            assert!(!has, "{}: {err}", server.label());
            assert_contains(&err.to_string().to_lowercase(), "unknown");
        }
    }
    // A global: `os` (`os.clock`), `server` (`server.call`).
    for (global, script) in [("os", "os_clock"), ("server", "server_call")] {
        let has = evalsha_macros_env_has(&server, &format!("global {global}"));
        let ran = eval(&mut con, &fixture(script), &["n"], &[]);
        match &ran {
            Ok(_) => assert!(has, "{script} ran on {}: {ran:?}", server.label()),
            Err(err) => {
                assert!(!has, "{}: {err}", server.label());
                assert_contains(
                    &err.to_string(),
                    &format!("nonexistent global variable '{global}'"),
                );
            }
        }
    }
    // A field of a global every server has: only `os.clock` exists.
    if evalsha_macros_env_has(&server, "global os") {
        assert!(evalsha_macros_env_has(&server, "field os.clock"));
        assert!(!evalsha_macros_env_has(&server, "field os.time"));
        let err = fails(eval(&mut con, "return os.time()", &[], &[]));
        assert_contains(&err, "attempt to call field 'time' (a nil value)");
    }
    // An arity that grew: `ZRANK key member WITHSCORE` (4 words) and `EXPIRE key s NX`.
    for (command, call) in [
        (
            "zrank",
            "return redis.call('ZRANK', KEYS[1], 'm', 'WITHSCORE')",
        ),
        ("expire", "return redis.call('EXPIRE', KEYS[1], 10, 'NX')"),
    ] {
        let arity = env_arity(&server, command).expect("every server has it");
        let takes_four = if arity >= 0 { arity == 4 } else { -arity <= 4 };
        let ran = eval(&mut con, call, &["z"], &[]);
        match &ran {
            Ok(_) => assert!(takes_four, "{call} ran on {}", server.label()),
            Err(err) => {
                assert!(!takes_four, "{}: {err}", server.label());
                assert_contains(&err.to_string(), "Wrong number of args");
            }
        }
    }
    // A `#!lua` line at all (Redis 6.2 has none).
    let has = evalsha_macros_env_has(&server, "shebang lua");
    let loaded: RedisResult<String> = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg("#!lua\nreturn 1")
        .query(&mut con);
    assert_eq!(loaded.is_ok(), has, "{loaded:?} on {}", server.label());
    // A function library calling HGETDEL: it loads where FUNCTION exists, and its function
    // runs where HGETDEL does.
    let library = fixture("hash_ttl");
    let loaded: RedisResult<String> = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(&library)
        .query(&mut con);
    assert_eq!(
        loaded.is_ok(),
        evalsha_macros_env_has(&server, "shebang lua") && env_arity(&server, "function").is_some(),
        "{loaded:?} on {}",
        server.label()
    );
    if loaded.is_ok() {
        let ran: RedisResult<Value> = redis::cmd("FCALL")
            .arg("take")
            .arg(1)
            .arg("h")
            .arg("f")
            .query(&mut con);
        let has = env_arity(&server, "hgetdel").is_some();
        assert_eq!(ran.is_ok(), has, "{ran:?} on {}", server.label());
    }
}

#[test]
fn global_write_fails_for_globals_functions_and_library_tables() {
    let server = Server::start();
    let mut con = server.connection();
    let err = fails(eval(&mut con, script!("global_write_fires"), &["k"], &[]));
    assert_contains(&err, "Attempt to modify a readonly table");
    for source in [
        "function helper() end return 1",
        "function string.trim(s) return s end return 1",
        "redis.x = 1 return 1",
        "_G.x = 1 return 1",
    ] {
        let err = fails(eval(&mut con, source, &[], &[]));
        assert_contains(&err, "Attempt to modify a readonly table");
    }
    let reply = eval(&mut con, script!("global_write_lookalike"), &["k2"], &[]).unwrap();
    assert_eq!(reply, Value::Int(2));
}

#[test]
fn unknown_command_fails() {
    let server = Server::start();
    let mut con = server.connection();
    let err = fails(eval(
        &mut con,
        script!("unknown_command_fires"),
        &["k"],
        &[],
    ))
    .to_lowercase();
    assert_contains(&err, "unknown");
    assert_contains(&err, "command called from");
    let reply = eval(&mut con, script!("unknown_command_lookalike"), &["k"], &[]).unwrap();
    assert_eq!(reply, Value::Int(3));
}

#[test]
fn command_arity_fails() {
    let server = Server::start();
    let mut con = server.connection();
    let err = fails(eval(&mut con, script!("command_arity_fires"), &["k"], &[]));
    assert_contains(&err, "Wrong number of args calling");
    let err = fails(eval(
        &mut con,
        "return redis.call('SET', KEYS[1])",
        &["k"],
        &[],
    ));
    assert_contains(&err, "Wrong number of args calling");
    eval(
        &mut con,
        script!("command_arity_lookalike"),
        &["h"],
        &[enc("b"), enc(2)],
    )
    .unwrap();
}

#[test]
fn write_in_read_only_fails() {
    let server = Server::start();
    if !requires(&server, 7, "#!lua flags=no-writes") {
        return;
    }
    let mut con = server.connection();
    let err = fails(eval(
        &mut con,
        script!("write_in_read_only_fires"),
        &["k"],
        &[],
    ));
    assert_contains(
        &err,
        "Write commands are not allowed from read-only scripts",
    );
    eval(
        &mut con,
        script!("write_in_read_only_lookalike"),
        &["k"],
        &[],
    )
    .unwrap();
}

#[test]
fn shebang_problems_are_refused_by_script_load() {
    let server = Server::start();
    if !requires(&server, 7, "#!lua shebang lines") {
        return;
    }
    let mut con = server.connection();
    let load = |con: &mut redis::Connection, source: &str| -> RedisResult<String> {
        redis::cmd("SCRIPT").arg("LOAD").arg(source).query(con)
    };
    let err = load(&mut con, script!("shebang_fires"))
        .unwrap_err()
        .to_string();
    assert_contains(&err, "Unexpected flag in script shebang: no-write");
    let err = load(&mut con, "#!lua name=counter\nreturn 1")
        .unwrap_err()
        .to_string();
    assert_contains(&err, "Unknown lua shebang option: name=counter");
    let err = load(&mut con, script!("shebang_misplaced"))
        .unwrap_err()
        .to_string();
    assert_contains(&err, "Error compiling script");
    load(&mut con, script!("shebang_lookalike")).unwrap();
    // A function library's line takes `name=` only.
    let err = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(
            "#!lua name=lib flags=no-writes\nredis.register_function('f', function() return 1 end)",
        )
        .query::<String>(&mut con)
        .unwrap_err()
        .to_string();
    assert_contains(&err, "Invalid metadata value given: flags=no-writes");
}

#[test]
fn dropped_return_keeps_only_the_first_value() {
    let server = Server::start();
    let mut con = server.connection();
    let reply = eval(&mut con, script!("dropped_return_fires"), &["k"], &[]).unwrap();
    // `return n, ttl`: only `n` arrives.
    assert_eq!(reply, Value::Int(1));
    let reply = eval(&mut con, script!("dropped_return_lookalike"), &["k"], &[]).unwrap();
    assert_eq!(reply, Value::Array(vec![Value::Int(2), Value::Int(-1)]));
}

#[test]
fn escape_is_read_as_plain_letters() {
    let server = Server::start();
    let mut con = server.connection();
    let reply: String = redis::cmd("EVAL")
        .arg(script!("escape_fires"))
        .arg(0)
        .query(&mut con)
        .unwrap();
    assert_eq!(reply, "x41u{20AC}");
    let err = eval(&mut con, "return 'a\\z   b'", &[], &[]).unwrap();
    assert_eq!(err, Value::BulkString(b"az   b".to_vec()));
    let reply: String = redis::cmd("EVAL")
        .arg(script!("escape_lookalike"))
        .arg(0)
        .query(&mut con)
        .unwrap();
    assert_eq!(reply, "A\\x41\\x41");
}

#[test]
fn bool_arg_false_is_true_in_lua_and_never_equals_true() {
    let server = Server::start();
    let mut con = server.connection();
    // `false` as redis (and so evalsha) sends it: "0". `if ARGV[1]` takes the branch anyway.
    let reply = eval(&mut con, script!("bool_arg_fires"), &["f"], &[enc(false)]).unwrap();
    assert_eq!(reply, Value::BulkString(b"forced".to_vec()));
    // `true` arrives as "1", never equal to 'true'.
    let reply = eval(&mut con, script!("bool_arg_fires"), &["g"], &[enc(true)]).unwrap();
    assert_eq!(reply, Value::BulkString(b"forced".to_vec()));
    // Compared with "1", false is false.
    let reply = eval(
        &mut con,
        script!("bool_arg_lookalike"),
        &["h"],
        &[enc(false), enc("n")],
    )
    .unwrap();
    assert_eq!(reply, Value::Nil);
    let reply = eval(
        &mut con,
        script!("bool_arg_lookalike"),
        &["h"],
        &[enc(true), enc("n")],
    )
    .unwrap();
    assert_eq!(reply, Value::BulkString(b"n".to_vec()));
}

#[test]
fn the_implicit_arg_of_vararg_functions_works_and_a_top_level_arg_does_not() {
    let server = Server::start();
    let mut con = server.connection();
    let reply = eval(
        &mut con,
        "local function f(...) return arg.n end return f(1, 2)",
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(reply, Value::Int(2));
    let err = fails(eval(&mut con, "return arg", &[], &[]));
    assert_contains(&err, "nonexistent global variable 'arg'");
}
