//! `AutoPipeline`: many tasks, one connection. Every call keeps its own reply, its own
//! errors, its own `NOSCRIPT` reload (one `SCRIPT LOAD` for a herd) and its own `Ran`;
//! concurrent calls go out as one write; a dropped caller disturbs nobody; a broken
//! connection fails written calls with `Ran::Unknown` and queued ones with `Ran::No`.

use std::time::Duration;

use evalsha::{AutoPipeline, Pipeline, Ran};
use evalsha_testkit::proxy::Proxy;
use evalsha_testkit::{Server, Stats, counter, reset_stats};

evalsha::include_script!(Echo = "tests/scripts/echo.lua");
evalsha::include_script!(IncrBy = "tests/scripts/incr_by.lua");
evalsha::include_script!(ErrorReply = "tests/scripts/error_reply.lua");
evalsha::include_script!(Append = "tests/scripts/append.lua");

/// A multiplexed connection to `url` that waits up to 10 s for a reply (redis's default
/// of 500 ms is too short for the slow replies below on a loaded machine).
async fn connect(url: &str) -> redis::aio::MultiplexedConnection {
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(10)));
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap()
}

/// An `AutoPipeline` allowing `in_flight` batches, through a proxy that holds every reply
/// back 300 ms; `IncrBy` and `Echo` loaded first (no `NOSCRIPT` round trips later), then
/// the server's and the proxy's counters zeroed.
async fn behind_a_slow_proxy(server: &Server, in_flight: usize) -> (Proxy, AutoPipeline) {
    let proxy = Proxy::start(server.port(), Duration::from_millis(300)).unwrap();
    let con = AutoPipeline::new(connect(&proxy.url()).await).with_in_flight(in_flight);
    let _: i64 = IncrBy.run_async(&mut con.clone(), "warm", 1).await.unwrap();
    let _: Vec<String> = Echo
        .call("warm", "", 0)
        .run_async(&mut con.clone())
        .await
        .unwrap();
    reset_stats(&mut server.connection());
    proxy.reset();
    (proxy, con)
}

/// `BLPOP key seconds` on a key nobody pushes to: a reply that comes after `seconds`.
fn slow(key: &str, seconds: f64) -> redis::Cmd {
    let mut cmd = redis::cmd("BLPOP");
    cmd.arg(key).arg(seconds);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_gets_its_own_replies_and_errors() {
    let server = Server::start();
    let con = AutoPipeline::new(server.multiplexed().await);
    let tasks: Vec<_> = (0..64)
        .map(|task| {
            let mut con = con.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    let (key, arg) = (format!("k{task}"), format!("{task}:{i}"));
                    let echoed: Vec<String> =
                        Echo.call(&key, &arg, i).run_async(&mut con).await.unwrap();
                    assert_eq!(echoed, [key.clone(), arg, i.to_string()]);
                    let n: i64 = IncrBy.run_async(&mut con, &key, 1).await.unwrap();
                    assert_eq!(n, i + 1, "task {task} call {i}");
                    if i % 10 == 0 {
                        // A Lua error: this call's alone, it ran; the neighbours are fine.
                        let failed: Result<(), _> = ErrorReply
                            .call(format!("e{task}"))
                            .run_async(&mut con)
                            .await;
                        let err = failed.unwrap_err();
                        assert_eq!(err.ran(), Ran::Yes);
                        assert!(err.to_string().contains("LIMIT exceeded"), "{err}");
                    }
                    let plain: String = redis::cmd("ECHO")
                        .arg(format!("plain {task} {i}"))
                        .query_async(&mut con)
                        .await
                        .unwrap();
                    assert_eq!(plain, format!("plain {task} {i}"));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut plain = server.connection();
    for task in 0..64 {
        assert_eq!(counter(&mut plain, &format!("k{task}")), 50);
        assert_eq!(counter(&mut plain, &format!("e{task}")), 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_during_a_round_trip_go_out_as_one_write() {
    let server = Server::start();
    // Replies held back 300 ms: a slow network, so that the calls below arrive while the
    // first one is on its way.
    let (proxy, con) = behind_a_slow_proxy(&server, 1).await;

    // A lone caller is sent at once: one write, one round trip.
    let started = std::time::Instant::now();
    let n: i64 = IncrBy.run_async(&mut con.clone(), "n", 1).await.unwrap();
    assert_eq!(n, 1);
    assert!(
        started.elapsed() < Duration::from_millis(300 + 250),
        "no wait beyond its round trip"
    );
    assert_eq!((proxy.client_reads(), proxy.round_trips()), (1, 1));

    // One batch in flight at most: one call on its way, then ten more arriving one by one
    // during its round trip: they wait for it and go out together, in one write.
    proxy.reset();
    for task in spawn_echoes(&con, 11, Duration::from_millis(10)).await {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        (proxy.client_reads(), proxy.round_trips()),
        (2, 2),
        "the first call, then the ten others in one write"
    );
    assert_eq!(Stats::read(&mut server.connection()).calls("evalsha"), 12);
}

/// Spawns `count` `Echo` calls through `con`, `gap` apart, each checking its own reply.
async fn spawn_echoes(
    con: &AutoPipeline,
    count: usize,
    gap: Duration,
) -> Vec<tokio::task::JoinHandle<Result<Duration, evalsha::Error>>> {
    let mut tasks = Vec::new();
    for task in 0..count {
        let mut con = con.clone();
        tasks.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let key = format!("t{task}");
            let echoed: Vec<String> = Echo.call(&key, "x", task).run_async(&mut con).await?;
            assert_eq!(echoed, [key, "x".to_owned(), task.to_string()]);
            Ok(started.elapsed())
        }));
        tokio::time::sleep(gap).await;
    }
    tasks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_to_the_in_flight_bound_calls_go_at_once_then_wait_for_the_oldest() {
    let server = Server::start();
    // Replies held back 300 ms: the calls below all arrive during the first round trip.
    let (proxy, con) = behind_a_slow_proxy(&server, 3).await;
    assert_eq!(con.in_flight(), 3);

    // Eleven calls 10 ms apart: the first three are written as they come (three batches
    // in flight), the eight others wait for the oldest's reply and go out in one write.
    let tasks = spawn_echoes(&con, 11, Duration::from_millis(10)).await;
    let mut took = Vec::new();
    for task in tasks {
        took.push(task.await.unwrap().unwrap());
    }
    // Four writes (three in the first round trip, then one); the proxy may read the second
    // and third together on a busy machine, so at least three. In strict turns: two.
    let (reads, round_trips) = (proxy.client_reads(), proxy.round_trips());
    assert!(
        (3..=4).contains(&reads) && round_trips == 2,
        "three writes in the first round trip, then one: {reads} reads, {round_trips} round trips"
    );
    // The writes prove that the second and third calls went at once; not their times: the
    // proxy holds the first chunk after each client write back, so a reply read after the
    // batch's write is held a second time (seen on Valkey 8.1 in CI).
    assert!(
        took[0] < Duration::from_millis(300 + 250),
        "the first waits for its own round trip only: {took:?}"
    );
    assert!(
        took[3..].iter().all(|t| *t >= Duration::from_millis(450)),
        "the others (started 30-100 ms in) wait for the oldest's reply, then their own: {took:?}"
    );
    assert_eq!(Stats::read(&mut server.connection()).calls("evalsha"), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tasks_meeting_noscript_send_one_load() {
    let server = Server::start();
    let con = AutoPipeline::new(server.multiplexed().await);
    let mut plain = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut plain).unwrap();
    reset_stats(&mut plain);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(1000));
    let tasks: Vec<_> = (0..1000)
        .map(|task| {
            let (mut con, barrier) = (con.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let key = format!("h{task}");
                let echoed: Vec<String> = Echo
                    .call(&key, "a", task)
                    .run_async(&mut con)
                    .await
                    .unwrap();
                assert_eq!(echoed, [key, "a".to_owned(), task.to_string()]);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = Stats::read(&mut plain);
    assert_eq!(stats.calls("script|load"), 1, "one load for the herd");
    assert!(stats.calls("evalsha") >= 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_callers_never_shift_a_reply_to_another() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), Duration::from_millis(20)).unwrap();
    let con = AutoPipeline::new(connect(&proxy.url()).await);
    for round in 0..3 {
        let mut tasks = Vec::new();
        for task in 0..200u64 {
            let mut con = con.clone();
            let handle = tokio::spawn(async move {
                for i in 0..5 {
                    let key = format!("c{task}");
                    let arg = format!("{round}:{task}:{i}");
                    let echoed: Vec<String> =
                        Echo.call(&key, &arg, i).run_async(&mut con).await.unwrap();
                    assert_eq!(echoed, [key, arg, i.to_string()], "a reply moved");
                }
            });
            tasks.push((task, handle));
        }
        // Every third task is dropped at some point: queued, on the wire, or between calls.
        for (task, handle) in &tasks {
            if task % 3 == 0 {
                tokio::time::sleep(Duration::from_micros(300 * (task % 7))).await;
                handle.abort();
            }
        }
        for (task, handle) in tasks {
            match handle.await {
                Ok(()) => {}
                Err(err) if err.is_cancelled() && task % 3 == 0 => {}
                Err(err) => panic!("task {task}: {err}"),
            }
        }
    }
    // The connection still serves every caller its own reply.
    let n: i64 = IncrBy
        .run_async(&mut con.clone(), "after", 7)
        .await
        .unwrap();
    assert_eq!(n, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_caller_dropped_mid_flight_holds_up_nobody_and_keeps_its_place() {
    let server = Server::start();
    // Replies held back 300 ms, so that the lone call is still on its way when the next
    // call arrives and when the lone caller is dropped.
    let proxy = Proxy::start(server.port(), Duration::from_millis(300)).unwrap();
    let con = AutoPipeline::new(connect(&proxy.url()).await).with_in_flight(1);
    let _: i64 = Append
        .run_async(&mut con.clone(), "warm", "x")
        .await
        .unwrap();
    reset_stats(&mut server.connection());
    proxy.reset();

    // A lone call, sent at once by its caller; a second call, queued behind it; then the
    // lone caller is dropped while its reply is on its way.
    let lone = {
        let mut con = con.clone();
        tokio::spawn(async move { Append.run_async(&mut con, "order", "lone").await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let next = {
        let mut con = con.clone();
        tokio::spawn(async move { Append.run_async(&mut con, "order", "next").await })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    lone.abort();
    assert!(lone.await.unwrap_err().is_cancelled());

    // The queued call is written at once, behind the lone one (not after a reply that
    // nobody waits for any more), and gets its own reply: it ran second.
    let length: i64 = next.await.unwrap().unwrap();
    assert_eq!(length, 2, "the queued call ran after the lone one");
    assert_eq!(
        (proxy.client_reads(), proxy.round_trips()),
        (2, 1),
        "the queued call was written while the dropped lone call's reply was on its way"
    );
    let mut plain = server.connection();
    let list: Vec<String> = redis::cmd("LRANGE")
        .arg("order")
        .arg(0)
        .arg(-1)
        .query(&mut plain)
        .unwrap();
    assert_eq!(list, ["lone", "next"]);
    // Each went as the single EVALSHA it is.
    let stats = Stats::read(&mut plain);
    assert_eq!(stats.calls("evalsha"), 2);

    // The connection serves the next lone caller as before.
    let length: i64 = Append
        .run_async(&mut con.clone(), "order", "after")
        .await
        .unwrap();
    assert_eq!(length, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_call_that_breaks_the_connection_fails_the_calls_queued_behind_it_ran_no() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    let con = AutoPipeline::new(connect(&proxy.url()).await).with_in_flight(1);
    let spawn_call = |key: &'static str| {
        let mut con = con.clone();
        tokio::spawn(async move { IncrBy.run_async(&mut con, key, 1).await })
    };
    spawn_call("warm").await.unwrap().unwrap();

    // A lone call (nothing else in flight) that the proxy answers by closing the
    // connection, and three calls queued behind it meanwhile.
    proxy.drop_reply_to(b"kill-me");
    let killed = {
        let mut con = con.clone();
        tokio::spawn(async move { slow("kill-me", 0.3).query_async::<()>(&mut con).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let queued: Vec<_> = ["q", "q", "q"].into_iter().map(spawn_call).collect();

    assert!(killed.await.unwrap().is_err());
    for call in queued {
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.ran(), Ran::No, "queued, never written: {err}");
    }
    assert_eq!(proxy.dropped_replies(), 1);
    assert_eq!(counter(&mut server.connection(), "q"), 0, "never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_batch_fails_written_calls_unknown_and_queued_ones_no() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    let con = AutoPipeline::new(connect(&proxy.url()).await).with_in_flight(1);
    let spawn_call = |key: &'static str| {
        let mut con = con.clone();
        tokio::spawn(async move { IncrBy.run_async(&mut con, key, 1).await })
    };
    // Loaded first, so that no reload muddles the counts.
    spawn_call("warm").await.unwrap().unwrap();

    // Batch 0: a slow command on its way. Batch 1, formed meanwhile: a slow command that
    // the proxy answers by closing the connection, and three script calls behind it.
    let first = {
        let mut con = con.clone();
        tokio::spawn(async move { slow("first", 0.4).query_async::<()>(&mut con).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.drop_reply_to(b"kill-me");
    let killed = {
        let mut con = con.clone();
        tokio::spawn(async move { slow("kill-me", 0.4).query_async::<()>(&mut con).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let written: Vec<_> = ["w", "w", "w"].into_iter().map(spawn_call).collect();
    first.await.unwrap().unwrap();
    // Batch 2, formed while batch 1 is on its way: never written.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let queued: Vec<_> = ["q", "q", "q"].into_iter().map(spawn_call).collect();

    assert!(killed.await.unwrap().is_err());
    for call in written {
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.ran(), Ran::Unknown, "written, no answer: {err}");
    }
    for call in queued {
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.ran(), Ran::No, "queued, never written: {err}");
    }
    assert_eq!(proxy.dropped_replies(), 1);
    let mut plain = server.connection();
    assert_eq!(counter(&mut plain, "w"), 3, "the written calls ran");
    assert_eq!(counter(&mut plain, "q"), 0, "the queued calls did not");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_through_it_runs_each_call_once_in_order() {
    let server = Server::start();
    let con = AutoPipeline::new(server.multiplexed().await);
    let mut plain = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut plain).unwrap();
    // Single calls from other tasks at the same time.
    let others: Vec<_> = (0..32)
        .map(|task| {
            let mut con = con.clone();
            tokio::spawn(async move {
                for _ in 0..20 {
                    IncrBy
                        .run_async(&mut con, format!("o{task}"), 1)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let mut pipe = Pipeline::new();
    for i in 0..100 {
        pipe.script(Append.call("l", &i.to_string()));
    }
    let lengths: Vec<i64> = pipe.query_async(&mut con.clone()).await.unwrap();
    assert_eq!(lengths, (1..=100).collect::<Vec<i64>>());
    let list: Vec<String> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut plain)
        .unwrap();
    assert_eq!(list, (0..100).map(|i| i.to_string()).collect::<Vec<_>>());
    for task in others {
        task.await.unwrap();
    }
    for task in 0..32 {
        assert_eq!(counter(&mut plain, &format!("o{task}")), 20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_makes_callers_wait_not_fail() {
    let server = Server::start();
    let con = AutoPipeline::with_limit(server.multiplexed().await, 4);
    assert_eq!(con.limit(), 4);
    let tasks: Vec<_> = (0..100)
        .map(|task| {
            let mut con = con.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    IncrBy
                        .run_async(&mut con, format!("b{task}"), 1)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut plain = server.connection();
    for task in 0..100 {
        assert_eq!(counter(&mut plain, &format!("b{task}")), 10);
    }
}

#[cfg(feature = "connection-manager")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_connection_manager_too() {
    let server = Server::start();
    let manager = redis::aio::ConnectionManager::new(server.client())
        .await
        .unwrap();
    let con = AutoPipeline::new(manager);
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let mut con = con.clone();
            tokio::spawn(async move {
                for i in 0..20 {
                    let key = format!("m{task}");
                    let n: i64 = IncrBy.run_async(&mut con, &key, 1).await.unwrap();
                    assert_eq!(n, i + 1);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}
