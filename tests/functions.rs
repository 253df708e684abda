//! Redis Functions (`include_library!`) against real servers: `FCALL` warm and cold (one
//! `FUNCTION LOAD` pipelined with the retried call), counted with `INFO commandstats` and
//! a counter the function increments; a rolling deploy of two versions side by side;
//! `versioned = false` conflicts; `prune`; a herd sending one load; Lua error lines; and
//! Redis 6.2's clear error. Each test that counts loads has its own library type, whose
//! load state no other test shares.

use evalsha::ErrorKind;
use evalsha_testkit::{Server, Stats, counter, function_list, requires, reset_stats};
use redis::ConnectionLike;

evalsha::include_library!("tests/libraries/queue.lua");
evalsha::include_library!(ColdQueue = "tests/libraries/queue.lua");
evalsha::include_library!(AsyncQueue = "tests/libraries/queue.lua");
evalsha::include_library!(HerdQueue = "tests/libraries/queue.lua");
evalsha::include_library!(OldQueue = "tests/libraries/queue.lua");
evalsha::include_library!(DeployV1 = "tests/libraries/v1/deploy.lua");
evalsha::include_library!(DeployV2 = "tests/libraries/v2/deploy.lua");
evalsha::include_library!(PipeQueue = "tests/libraries/queue.lua");
evalsha::include_library!("tests/libraries/composed.lua");
evalsha::include_library!(Plain = "tests/libraries/plain.lua", versioned = false);
evalsha::include_library!(
    PlainConflict = "tests/libraries/plain.lua",
    versioned = false
);
evalsha::include_library!("tests/libraries/server_alias.lua");
evalsha::include_library!(
    PlainAlias = "tests/libraries/server_alias.lua",
    versioned = false
);

/// A server with Redis Functions, or `None` (the reason printed) on Redis 6.2.
fn server(what: &str) -> Option<Server> {
    let server = Server::start();
    requires(&server, 7, what).then_some(server)
}

fn library_names(con: &mut dyn ConnectionLike) -> Vec<String> {
    function_list(con)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn names_carry_the_first_12_hex_digits_of_the_sha1() {
    assert_eq!(Evq::LIBRARY, format!("evq_{}", &Evq::SHA1[..12]));
    assert_eq!(Evq::library().name(), "evq");
    assert_eq!(
        Evq::library().function_name("push"),
        format!("push_{}", &Evq::SHA1[..12])
    );
    assert_eq!(
        Evq::SOURCE.as_bytes(),
        &std::fs::read("tests/libraries/queue.lua").unwrap()[..]
    );
    assert_eq!(Plain::LIBRARY, "evplain");
    assert_eq!(Plain::library().body(), Plain::SOURCE);
    assert_ne!(DeployV1::LIBRARY, DeployV2::LIBRARY);
    // The loaded body keeps every line of the file in its place.
    assert_eq!(
        Evq::library().body().lines().count(),
        Evq::SOURCE.lines().count()
    );
}

#[test]
fn cold_then_warm_sync() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    reset_stats(&mut con);
    // Cold: FCALL meets `Function not found`, then FUNCTION LOAD + FCALL pipelined.
    let len: i64 = ColdQueue.push(&mut con, "q", "runs", "job-1").unwrap();
    assert_eq!(len, 1);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("fcall"), 2);
    assert_eq!(stats.calls("function|load"), 1);
    assert_eq!(
        counter(&mut con, "runs"),
        1,
        "the function ran exactly once"
    );
    assert_eq!(library_names(&mut con), vec![ColdQueue::LIBRARY.to_owned()]);

    // Warm: one FCALL, nothing else.
    reset_stats(&mut con);
    let len: i64 = ColdQueue.push(&mut con, "q", "runs", "job-2").unwrap();
    assert_eq!(len, 2);
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("fcall"), 1);
    assert_eq!(stats.calls("function|load"), 0);
    assert_eq!(counter(&mut con, "runs"), 2);

    // `no-writes` goes out as FCALL_RO; its parameters were inferred from `KEYS, ARGV`.
    reset_stats(&mut con);
    let job: String = ColdQueue.peek_at(&mut con, "q", 1).unwrap();
    assert_eq!(job, "job-2");
    assert_eq!(Stats::read(&mut con).calls("fcall_ro"), 1);
}

#[test]
fn lua_errors_run_once_and_name_the_file_line() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    Evq.push(&mut con, "q", "runs", "warm-up").unwrap();
    reset_stats(&mut con);
    let err = Evq
        .fail_call::<()>("fails", "boom")
        .run(&mut con)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(22),
            file: "tests/libraries/queue.lua"
        }
    );
    assert_eq!(err.ran(), evalsha::Ran::Yes);
    assert_eq!(err.script(), "tests/libraries/queue.lua#fail");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "function fail of tests/libraries/queue.lua failed at tests/libraries/queue.lua:22"
        ),
        "{text}"
    );
    assert!(text.contains("boom"), "{text}");
    assert_eq!(counter(&mut con, "fails"), 1);
    assert_eq!(Stats::read(&mut con).calls("fcall"), 1, "not retried");
}

/// A library composed with `---@include`: a Lua error raised in the included helper is
/// reported at the helper's file and line.
#[test]
fn included_code_errors_name_the_included_file() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    assert!(
        !Evcomposed::SOURCE.contains("@include"),
        "{}",
        Evcomposed::SOURCE
    );
    let err = Evcomposed
        .fail_call::<()>("composed:runs", "kaboom")
        .run(&mut con)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(3),
            file: "tests/libraries/includes/fail_helper.lua"
        },
        "{err}"
    );
    assert_eq!(counter(&mut con, "composed:runs"), 1);
}

/// The function flags the macro accepts (`FLAGS` in `macros/src/library.rs`) are exactly
/// what the server takes: a function registered with all of them loads, one with a flag
/// outside the list is refused.
#[test]
fn function_flags_are_the_servers() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    let flags = [
        "no-writes",
        "allow-oom",
        "allow-stale",
        "no-cluster",
        "allow-cross-slot-keys",
    ];
    let library = |name: &str, flags: &[&str]| {
        let list: Vec<String> = flags.iter().map(|f| format!("'{f}'")).collect();
        format!(
            "#!lua name={name}\nredis.register_function{{function_name='{name}_f', \
             callback=function() return 1 end, flags={{{}}}}}",
            list.join(",")
        )
    };
    redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(library("evflags", &flags))
        .exec(&mut con)
        .unwrap();
    let err = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(library("evflags_bad", &["no-write"]))
        .exec(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("unknown flag"), "{err}");
}

#[test]
fn computed_names_are_loaded_with_the_suffix() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    evalsha::functions::load(&mut con, &[Evq::library()]).unwrap();
    // Loading twice is fine: the server has this version already.
    evalsha::functions::load(&mut con, &[Evq::library()]).unwrap();
    let tag: String = redis::cmd("FCALL")
        .arg(Evq::library().function_name("evtag"))
        .arg(0)
        .query(&mut con)
        .unwrap();
    assert_eq!(tag, "computed");
}

#[test]
fn rolling_deploy_two_versions_side_by_side() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let client = server.client();
            std::thread::spawn(move || {
                let mut con = client.get_connection().unwrap();
                for _ in 0..50 {
                    if i % 2 == 0 {
                        assert_eq!(DeployV1.version(&mut con, "runs:v1").unwrap(), "v1");
                    } else {
                        assert_eq!(DeployV2.version(&mut con, "runs:v2").unwrap(), "v2");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut con = server.connection();
    assert_eq!(counter(&mut con, "runs:v1"), 100);
    assert_eq!(counter(&mut con, "runs:v2"), 100);
    let mut both = vec![DeployV1::LIBRARY.to_owned(), DeployV2::LIBRARY.to_owned()];
    both.sort();
    assert_eq!(library_names(&mut con), both);
}

#[test]
fn prune_deletes_other_versions_only() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    DeployV1.version(&mut con, "runs").unwrap();
    DeployV2.version(&mut con, "runs").unwrap();
    // A library under the plain name is not a version: left alone.
    redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("#!lua name=evdeploy\nredis.register_function('hand', function() return 1 end)")
        .exec(&mut con)
        .unwrap();
    let deleted = evalsha::functions::prune(&mut con, &[DeployV2::library()]).unwrap();
    assert_eq!(deleted, vec![DeployV1::LIBRARY.to_owned()]);
    let mut left = vec!["evdeploy".to_owned(), DeployV2::LIBRARY.to_owned()];
    left.sort();
    assert_eq!(library_names(&mut con), left);
    // Nothing more to prune; and a pruned version reloads itself when called.
    assert!(
        evalsha::functions::prune(&mut con, &[DeployV2::library()])
            .unwrap()
            .is_empty()
    );
    assert_eq!(DeployV1.version(&mut con, "runs").unwrap(), "v1");
}

#[test]
fn versioned_false_keeps_plain_names_and_refuses_another_body() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    redis::cmd("SET").arg("k").arg("v").exec(&mut con).unwrap();
    assert_eq!(
        Plain.plain_get(&mut con, "k").unwrap().as_deref(),
        Some("v")
    );
    assert_eq!(library_names(&mut con), vec!["evplain".to_owned()]);

    // Another server holds a different body under the same name.
    let other = server_with_other_body();
    let mut con = other.connection();
    reset_stats(&mut con);
    let err = PlainConflict.plain_get(&mut con, "k").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::LibraryConflict, "{err}");
    assert!(err.to_string().contains("already exists"), "{err}");
    let stats = Stats::read(&mut con);
    assert_eq!(stats.calls("function|load"), 1);
    // The server's library was not replaced.
    let code: Vec<redis::Value> = redis::cmd("FUNCTION")
        .arg("LIST")
        .arg("WITHCODE")
        .query(&mut con)
        .unwrap();
    assert!(format!("{code:?}").contains("other"), "{code:?}");
}

/// Valkey's `server.register_function` registers typed functions like
/// `redis.register_function`; evalsha loads it as `redis.register_function`, so the
/// library loads on Redis too, versioned or not.
#[test]
fn valkeys_server_register_function_is_a_registration() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    assert_eq!(Evalias.alias_incr(&mut con, "c").unwrap(), 1);
    assert_eq!(
        Evalias.alias_get::<Option<i64>>(&mut con, "c").unwrap(),
        Some(1)
    );
    assert_eq!(PlainAlias.alias_incr(&mut con, "c").unwrap(), 2);
    let mut names = library_names(&mut con);
    names.sort();
    assert_eq!(
        names,
        vec!["evalias".to_owned(), Evalias::LIBRARY.to_owned()]
    );
    assert!(
        !Evalias::library()
            .body()
            .contains("server.register_function")
    );
    assert!(
        !PlainAlias::library()
            .body()
            .contains("server.register_function")
    );
}

fn server_with_other_body() -> Server {
    let server = Server::start();
    let mut con = server.connection();
    redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("#!lua name=evplain\nredis.register_function('other', function() return 1 end)")
        .exec(&mut con)
        .unwrap();
    server
}

#[test]
fn redis_6_2_gets_a_clear_error_and_nothing_is_sent_twice() {
    let server = Server::start();
    if server.major_version() >= 7 {
        return; // the other tests cover servers with functions
    }
    let mut con = server.connection();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .exec(&mut con)
        .unwrap();
    let err = OldQueue.push(&mut con, "q", "runs", "job").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::FunctionsUnsupported, "{err}");
    assert!(err.to_string().contains("no Redis Functions"), "{err}");
    // One refused command: the FCALL. No FUNCTION LOAD, no retry.
    let info: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    let errors = info
        .lines()
        .find_map(|l| l.strip_prefix("total_error_replies:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(errors, "1", "{info}");
}

/// A pipeline (and a transaction) of function calls: exactly once and in order, cold
/// right after `FUNCTION FLUSH` and warm, with one `FUNCTION LOAD` before the first call.
#[test]
fn pipelines_and_transactions_run_each_call_once_in_order() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.connection();
    for atomic in [false, true] {
        for round in ["cold", "warm"] {
            if round == "cold" {
                redis::cmd("FUNCTION").arg("FLUSH").exec(&mut con).unwrap();
                redis::cmd("DEL")
                    .arg("pq")
                    .arg("runs")
                    .exec(&mut con)
                    .unwrap();
            }
            reset_stats(&mut con);
            let mut pipe = evalsha::Pipeline::new();
            if atomic {
                pipe.atomic();
            }
            pipe.script(PipeQueue.push_call("pq", "runs", "a"))
                .cmd("RPUSH")
                .arg("pq")
                .arg("b")
                .script(PipeQueue.push_call("pq", "runs", "c"))
                .script(PipeQueue.peek_at_call::<String>("pq", -1));
            assert_eq!(pipe.len(), 4, "the load is not counted");
            let each = pipe.query_each(&mut con).unwrap();
            let values: Vec<redis::Value> = each.into_iter().map(Result::unwrap).collect();
            let base = if round == "cold" { 0 } else { 3 };
            assert_eq!(
                values,
                vec![
                    redis::Value::Int(base + 1),
                    redis::Value::Int(base + 2),
                    redis::Value::Int(base + 3),
                    redis::Value::BulkString(b"c".to_vec()),
                ],
                "{round}, atomic: {atomic}"
            );
            let stats = Stats::read(&mut con);
            assert_eq!(stats.calls("function|load"), 1, "{round}");
            assert_eq!(stats.calls("fcall"), 2, "{round}");
            assert_eq!(stats.calls("fcall_ro"), 1, "{round}");
            assert_eq!(stats.calls("exec"), u64::from(atomic));
        }
        assert_eq!(counter(&mut con, "runs"), 4, "each call ran once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_then_warm_async_and_a_herd_sends_one_load() {
    let Some(server) = server("Redis Functions") else {
        return;
    };
    let mut con = server.multiplexed().await;
    let mut sync = server.connection();
    reset_stats(&mut sync);
    let len: i64 = AsyncQueue
        .push_async(&mut con, "q", "runs", "job")
        .await
        .unwrap();
    assert_eq!(len, 1);
    let stats = Stats::read(&mut sync);
    assert_eq!(stats.calls("fcall"), 2);
    assert_eq!(stats.calls("function|load"), 1);
    reset_stats(&mut sync);
    AsyncQueue
        .push_async(&mut con, "q", "runs", "job")
        .await
        .unwrap();
    assert_eq!(Stats::read(&mut sync).calls("fcall"), 1);
    assert_eq!(counter(&mut sync, "runs"), 2);

    // A herd of 200 tasks on one multiplexed connection, cold: one FUNCTION LOAD.
    redis::cmd("FUNCTION").arg("FLUSH").exec(&mut sync).unwrap();
    reset_stats(&mut sync);
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let mut con = con.clone();
            tokio::spawn(async move {
                HerdQueue
                    .push_async(&mut con, "herd", "herd:runs", "job")
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = Stats::read(&mut sync);
    assert_eq!(stats.calls("function|load"), 1);
    assert_eq!(counter(&mut sync, "herd:runs"), 200, "each task ran once");

    // An async pipeline after a flush: the load goes in front of the first call.
    redis::cmd("FUNCTION").arg("FLUSH").exec(&mut sync).unwrap();
    let (a, b): (i64, i64) = evalsha::Pipeline::new()
        .atomic()
        .script(AsyncQueue.push_call("aq", "aq:runs", "x"))
        .script(AsyncQueue.push_call("aq", "aq:runs", "y"))
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!((a, b), (1, 2));
    assert_eq!(counter(&mut sync, "aq:runs"), 2);
}
