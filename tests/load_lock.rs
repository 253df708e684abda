//! The load lock (single flight) never makes a caller wait without bound, never makes a
//! sync caller wait behind an async one, and never poisons later calls.
//!
//! Server A sits behind a proxy that lets A's `NOSCRIPT` through and then holds every
//! later reply for good: the load of A's caller never returns. Stated bound: a caller
//! waits at most 1 s (`flight::WAIT_BOUND`) at a time for another caller's load, and at
//! most 4 s in all, then loads for itself (here: after 1 s); the tests allow 8 s so a
//! loaded CI machine cannot fail them, while the bug they catch (waiting for ever) cannot
//! pass.

use std::time::Duration;

use evalsha_testkit::proxy::Proxy;
use evalsha_testkit::{Server, Stats, counter};

evalsha::include_script!(AcrossServers = "tests/scripts/incr_by.lua");
evalsha::include_script!(SyncInside = "tests/scripts/incr_by.lua");

const LIMIT: Duration = Duration::from_secs(8);

/// Starts a cold call of `run` on server A whose load never returns, and waits until
/// that load is on the wire.
async fn hold_a_load_on<F, Fut>(proxy: &Proxy, run: F) -> tokio::task::JoinHandle<()>
where
    F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    // No response timeout (redis's default is 500 ms): the load must never return.
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    let con = proxy
        .client()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    let sent = proxy.bytes_sent();
    proxy.hold_after(1);
    let task = tokio::spawn(run(con));
    // The EVALSHA, its NOSCRIPT, then the SCRIPT LOAD + EVALSHA (with the body) going out.
    let deadline = std::time::Instant::now() + LIMIT;
    while proxy.bytes_sent() < sent + 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "A's load never went out"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_call_on_b_does_not_wait_for_a_load_on_a_that_never_returns() {
    let (a, b) = (Server::start(), Server::start());
    let proxy = Proxy::start(a.port(), Duration::ZERO).unwrap();
    let held = hold_a_load_on(&proxy, |mut con| async move {
        let _ = AcrossServers.run_async(&mut con, "n", 1).await;
    })
    .await;

    // Eight cold calls on B at once: they wait for A's load at most the bound, then one of
    // them takes the load over and the others wait for that one: one load on B.
    let on_b = b.multiplexed().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let mut con = on_b.clone();
            tokio::spawn(async move { AcrossServers.run_async(&mut con, "n", 1).await })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(LIMIT, task)
            .await
            .expect("a cold call on B waited without bound for A's load")
            .unwrap()
            .unwrap();
    }
    assert_eq!(counter(&mut b.connection(), "n"), 8);
    assert_eq!(
        Stats::read(&mut b.connection()).calls("script|load"),
        1,
        "one load on B although A's never ends"
    );
    // A sync caller does not wait at all.
    let n = AcrossServers.run(&mut b.connection(), "n", 1).unwrap();
    assert_eq!(n, 9);

    // Dropping A's stuck caller ends its load record: the next cold call on another
    // server loads at once, and B's calls keep working.
    held.abort();
    let _ = held.await;
    let c = Server::start();
    let mut on_c = c.multiplexed().await;
    let n = tokio::time::timeout(LIMIT, AcrossServers.run_async(&mut on_c, "n", 5))
        .await
        .expect("a later cold call hung")
        .unwrap();
    assert_eq!(n, 5);
    assert_eq!(counter(&mut b.connection(), "n"), 9);
    assert_eq!(
        counter(&mut a.connection(), "n"),
        1,
        "A's call ran once; its reply never came"
    );
}

/// A sync `run` inside a single-threaded tokio runtime, while a task of that runtime holds
/// the load of the same script, finishes (it used to deadlock for good).
#[test]
fn a_sync_run_inside_a_current_thread_runtime_does_not_wait_for_its_tasks_load() {
    let (a, b) = (Server::start(), Server::start());
    let (done, finished) = std::sync::mpsc::channel();
    let b_url = b.url();
    let a_port = a.port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(async move {
            let proxy = Proxy::start(a_port, Duration::ZERO).unwrap();
            let _held = hold_a_load_on(&proxy, |mut con| async move {
                let _ = SyncInside.run_async(&mut con, "n", 1).await;
            })
            .await;
            // Blocks this (the only) thread: the task above cannot make progress.
            let mut con = redis::Client::open(b_url)
                .unwrap()
                .get_connection()
                .unwrap();
            let first = SyncInside.run(&mut con, "n", 1);
            let second = SyncInside.run(&mut con, "n", 1);
            (
                first.map_err(|e| e.to_string()),
                second.map_err(|e| e.to_string()),
            )
        });
        let _ = done.send(result);
    });
    let (first, second) = finished
        .recv_timeout(LIMIT)
        .expect("the sync run deadlocked behind the task's load");
    assert_eq!(first, Ok(1));
    assert_eq!(second, Ok(2));
    assert_eq!(counter(&mut b.connection(), "n"), 2);
}
