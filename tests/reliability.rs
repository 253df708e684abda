//! Every call either runs exactly once and returns its result, or fails with a clear
//! error and does not run: under script-cache loss, server restarts, script errors, busy
//! servers, wrong reply shapes and very large calls. Runs on every server of the matrix.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use evalsha::ErrorKind;
use evalsha_testkit::{Server, Stats, counter, requires, reset_stats};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/wrong_type.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");
evalsha::include_script!("tests/scripts/error_reply.lua");
evalsha::include_script!("tests/scripts/shebang_error.lua");
evalsha::include_script!("tests/scripts/returns_string.lua");
evalsha::include_script!("tests/scripts/spin.lua");
evalsha::include_script!("tests/scripts/set_big.lua");
evalsha::include_script!("tests/scripts/set_many.lua");
// Own types for the tests that meet NOSCRIPT, so their load state is theirs alone.
evalsha::include_script!(StormIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(StormAsyncIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(RestartIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(BusyIncr = "tests/scripts/incr_by.lua");

/// Runs `SCRIPT FLUSH` about every millisecond until the returned flag is set; the handle
/// returns how many flushes it sent.
fn flush_storm(server: &Server) -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut con = server.connection();
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut flushes = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
            redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
            flushes += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        flushes
    });
    (stop, handle)
}

#[test]
fn script_flush_every_millisecond_loses_no_sync_call() {
    let server = Server::start();
    let mut con = server.connection();
    let (stop, storm) = flush_storm(&server);
    // At least 3,000 calls and 1.5 s of storm; at most 100,000 calls or 20 s.
    let start = Instant::now();
    let mut ok = 0;
    let mut failed = Vec::new();
    for i in 0..100_000 {
        let elapsed = start.elapsed();
        if (i >= 3_000 && elapsed > Duration::from_millis(1_500))
            || elapsed > Duration::from_secs(20)
        {
            break;
        }
        match StormIncr.run(&mut con, "storm", 1) {
            Ok(_) => ok += 1,
            Err(err) => failed.push(err.to_string()),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flushes = storm.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} failed, first: {:?}",
        failed.len(),
        failed.first()
    );
    assert!(ok >= 3_000, "only {ok} calls in the time bound");
    assert_eq!(
        counter(&mut con, "storm"),
        ok,
        "each successful call ran exactly once"
    );
    let loads = Stats::read(&mut con).calls("script|load");
    assert!(flushes > 300, "the storm flushed only {flushes} times");
    assert!(loads > 0, "the cache was lost and reloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_flush_every_millisecond_loses_no_async_call() {
    let server = Server::start();
    let con = server.multiplexed().await;
    let (stop, storm) = flush_storm(&server);
    // Each task: at least 100 calls and 1.5 s of storm; at most 20 s.
    let start = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let mut con = con.clone();
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0i64, Vec::new());
                for i in 0..100_000 {
                    let elapsed = start.elapsed();
                    if (i >= 100 && elapsed > Duration::from_millis(1_500))
                        || elapsed > Duration::from_secs(20)
                    {
                        break;
                    }
                    match StormAsyncIncr.run_async(&mut con, "storm", 1).await {
                        Ok(_) => ok += 1,
                        Err(err) => failed.push(err.to_string()),
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let mut ok = 0;
    let mut failed = Vec::new();
    for task in tasks {
        let (n, errs) = task.await.unwrap();
        ok += n;
        failed.extend(errs);
    }
    stop.store(true, Ordering::Relaxed);
    let flushes = storm.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} failed, first: {:?}",
        failed.len(),
        failed.first()
    );
    assert!(ok >= 5_000, "only {ok} calls in the time bound");
    assert!(flushes > 300, "the storm flushed only {flushes} times");
    assert_eq!(counter(&mut server.connection(), "storm"), ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_fails_calls_during_the_outage_and_reloads_after_it() {
    let mut server = Server::start();
    // Short reconnect back-off so the outage costs milliseconds per call, not seconds.
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(10))
        .set_max_delay(Duration::from_millis(50))
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    let mut con = redis::aio::ConnectionManager::new_with_config(server.client(), config)
        .await
        .unwrap();
    for _ in 0..100 {
        RestartIncr.run_async(&mut con, "r", 1).await.unwrap();
    }
    assert_eq!(counter(&mut server.connection(), "r"), 100);

    server.stop();
    let mut outage_errors = 0;
    for _ in 0..5 {
        let err = RestartIncr
            .run_async(&mut con, "r", 1)
            .await
            .expect_err("no server: the call must fail");
        assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
        let source = err.redis_error().expect("the redis error is kept");
        assert!(
            source.is_io_error()
                || source.is_connection_dropped()
                || source.is_connection_refusal(),
            "a connection error, not {source:?}"
        );
        assert!(
            err.to_string().contains("tests/scripts/incr_by.lua"),
            "{err}"
        );
        outage_errors += 1;
    }
    assert_eq!(outage_errors, 5);

    server.restart().unwrap();
    // The restarted server is empty (no persistence) and has no scripts.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut after = 0i64;
    while after < 100 && Instant::now() < deadline {
        match RestartIncr.run_async(&mut con, "r", 1).await {
            Ok(_) => after += 1,
            Err(err) => {
                assert!(err.is_io_error() || err.redis_error().is_some(), "{err}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    assert_eq!(after, 100, "calls succeed again after the restart");
    let mut plain = server.connection();
    assert_eq!(
        counter(&mut plain, "r"),
        100,
        "each success ran exactly once"
    );
    assert!(
        Stats::read(&mut plain).calls("script|load") >= 1,
        "reloaded by itself"
    );
}

#[test]
fn lua_runtime_errors_name_file_and_line_and_are_not_retried() {
    let server = Server::start();
    let mut con = server.connection();

    // redis.call on a key of the wrong type, line 3.
    WrongType::script();
    let _: () = redis::cmd("SET").arg("w").arg("x").query(&mut con).unwrap();
    let _ = WrongType.run::<i64>(&mut con, "w"); // warm it
    reset_stats(&mut con);
    let err = WrongType.run::<i64>(&mut con, "w").unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(3),
            file: "tests/scripts/wrong_type.lua"
        },
        "{err}"
    );
    assert!(
        err.to_string().contains("tests/scripts/wrong_type.lua:3"),
        "{err}"
    );
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    assert_eq!(Stats::read(&mut con).calls("evalsha"), 1, "not retried");

    // error() on line 5.
    let _ = CountThenFail.run::<()>(&mut con, "n", "warm");
    reset_stats(&mut con);
    let err = CountThenFail.run::<()>(&mut con, "n", "boom").unwrap_err();
    assert_eq!(err.line(), Some(5), "{err}");
    assert_eq!(counter(&mut con, "n"), 2, "each call ran exactly once");
    assert_eq!(Stats::read(&mut con).calls("evalsha"), 1, "not retried");

    // redis.error_reply: the server gives no line.
    let err = ErrorReply.run::<()>(&mut con, "e").unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: None,
            file: "tests/scripts/error_reply.lua"
        },
        "{err}"
    );
    assert!(err.to_string().contains("LIMIT exceeded"), "{err}");
    assert!(
        err.to_string().contains("tests/scripts/error_reply.lua"),
        "{err}"
    );
    assert_eq!(counter(&mut con, "e"), 1, "ran once, not retried");
}

#[test]
fn line_numbers_count_the_shebang_line() {
    let server = Server::start();
    if !requires(&server, 7, "#!lua shebang scripts") {
        return;
    }
    let mut con = server.connection();
    let err = ShebangError.run::<()>(&mut con, "s").unwrap_err();
    assert_eq!(err.line(), Some(5), "{err}");
    assert!(
        err.to_string()
            .contains("tests/scripts/shebang_error.lua:5"),
        "{err}"
    );
}

#[test]
fn busy_server_gives_a_clear_error_and_nothing_is_retried() {
    let server = Server::start_busy_after(100);
    let mut spinner = server.connection();
    Spin::script();
    // Load both scripts first, so the calls below are single EVALSHAs.
    for source in [Spin::SOURCE, BusyIncr::SOURCE] {
        let _: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(source)
            .query(&mut spinner)
            .unwrap();
    }
    reset_stats(&mut spinner);

    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(Spin.run::<()>(&mut spinner));
    });
    // A call sent while the spin runs waits until the spin passes the threshold, then
    // gets BUSY.
    std::thread::sleep(Duration::from_millis(50));
    let mut other = server.connection();
    let busy = match BusyIncr.run(&mut other, "b", 1) {
        Err(err) if err.to_string().contains("BUSY") => err,
        Err(err) => panic!("unexpected error: {err}"),
        Ok(_) => panic!("the call ran during the busy script"),
    };
    assert_eq!(busy.kind(), &ErrorKind::Redis, "{busy}");
    assert!(
        busy.to_string().contains("tests/scripts/incr_by.lua"),
        "{busy}"
    );
    assert!(busy.redis_error().is_some());

    // SCRIPT KILL ends the spin; its caller gets an error, and nothing was retried.
    redis::cmd("SCRIPT")
        .arg("KILL")
        .exec(&mut server.connection())
        .unwrap();
    let spun = done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the killed script returns");
    let err = spun.unwrap_err();
    assert!(err.to_string().contains("tests/scripts/spin.lua"), "{err}");
    let mut con = server.connection();
    assert_eq!(
        counter(&mut con, "b"),
        0,
        "the BUSY call did not run, not even later"
    );
    // Redis 6.2 counts SCRIPT as one command, so there the SCRIPT KILL above counts too.
    let kill = u64::from(server.major_version() < 7);
    let stats = Stats::read(&mut con);
    assert_eq!(
        stats.calls("script|load"),
        kill,
        "no reload: nothing was NOSCRIPT"
    );
}

#[test]
fn a_reply_of_the_wrong_shape_names_the_script_and_the_type() {
    let server = Server::start();
    let err = ReturnsString.run(&mut server.connection()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Reply { expected: "i64" });
    let text = err.to_string();
    assert!(text.contains("tests/scripts/returns_string.lua"), "{text}");
    assert!(text.contains("i64"), "{text}");
}

#[test]
fn one_mebibyte_arguments_and_ten_thousand_keys() {
    let server = Server::start();
    let mut con = server.connection();
    let big = vec![b'x'; 1 << 20];
    assert_eq!(SetBig.run(&mut con, "big", &big).unwrap(), 1 << 20);

    let keys: Vec<String> = (0..10_000).map(|i| format!("k:{i}")).collect();
    let values: Vec<String> = (0..10_000).map(|i| format!("v{i}")).collect();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(SetMany.run(&mut con, &keys, &values).unwrap(), 10_000);
    let last: String = redis::cmd("GET").arg("k:9999").query(&mut con).unwrap();
    assert_eq!(last, "v9999");
}
