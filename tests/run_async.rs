//! `run_async` on every async connection type against a real server.

use evalsha::ErrorKind;
use evalsha_testkit::{Server, Stats, reset_stats};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");
// Tests in this binary run in parallel against different servers. Each test that counts
// commands uses its own script type, whose load state (single flight) it shares with no
// other test: a load on another test's server would otherwise look like a load it can
// reuse and cost it an extra retry.
evalsha::include_script!(ManagerIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(HerdIncr = "tests/scripts/incr_by.lua");

fn flush_and_reset(server: &Server) {
    let mut con = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    reset_stats(&mut con);
}

fn stats(server: &Server) -> Stats {
    Stats::read(&mut server.connection())
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[tokio::test]
async fn multiplexed_connection_cold_then_warm() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    flush_and_reset(&server);
    let n = assert_send(IncrBy.run_async(&mut con, "c", 5))
        .await
        .unwrap();
    assert_eq!(n, 5);
    let s = stats(&server);
    assert_eq!(s.calls("evalsha"), 2);
    assert_eq!(s.calls("script|load"), 1);
    assert_eq!(s.calls("eval"), 0);

    reset_stats(&mut server.connection());
    assert_eq!(IncrBy.run_async(&mut con, "c", 1).await.unwrap(), 6);
    let s = stats(&server);
    assert_eq!(s.calls("evalsha"), 1);
    assert_eq!(s.calls("script|load"), 0);
}

#[tokio::test]
async fn connection_manager_cold_then_warm() {
    let server = Server::start();
    let mut con = redis::aio::ConnectionManager::new(server.client())
        .await
        .unwrap();
    flush_and_reset(&server);
    assert_eq!(ManagerIncr.run_async(&mut con, "m", 2).await.unwrap(), 2);
    let s = stats(&server);
    assert_eq!(s.calls("evalsha"), 2);
    assert_eq!(s.calls("script|load"), 1);
    reset_stats(&mut server.connection());
    assert_eq!(ManagerIncr.run_async(&mut con, "m", 2).await.unwrap(), 4);
    assert_eq!(stats(&server).calls("evalsha"), 1);
}

#[tokio::test]
async fn script_errors_are_not_retried() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    flush_and_reset(&server);
    let err = CountThenFail
        .run_async::<()>(&mut con, "n", "async boom")
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(5),
            file: "tests/scripts/count_then_fail.lua"
        }
    );
    assert!(err.to_string().contains("async boom"), "{err}");
    let n: i64 = redis::cmd("GET")
        .arg("n")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(n, 1, "ran exactly once");
    assert_eq!(
        stats(&server).calls("evalsha"),
        2,
        "NOSCRIPT once, then the run"
    );
}

/// Many tasks sharing one multiplexed connection meet NOSCRIPT together: one load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_herd_of_tasks_sends_one_script_load() {
    let server = Server::start();
    let con = server.multiplexed().await;
    for tasks in [10usize, 100, 1000] {
        flush_and_reset(&server);
        let _: () = redis::cmd("DEL")
            .arg("herd")
            .query(&mut server.connection())
            .unwrap();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mut con = con.clone();
                tokio::spawn(async move { HerdIncr.run_async(&mut con, "herd", 1).await })
            })
            .collect();
        for h in handles {
            h.await.unwrap().unwrap();
        }
        let s = stats(&server);
        assert_eq!(s.calls("script|load"), 1, "{tasks} tasks");
        let n: usize = redis::cmd("GET")
            .arg("herd")
            .query(&mut server.connection())
            .unwrap();
        assert_eq!(n, tasks, "every call ran exactly once");
    }
}

evalsha::include_script!(TwoServerIncr = "tests/scripts/incr_by.lua");

/// Two servers meet NOSCRIPT for the same script type at once: the single flight does not
/// know servers apart, yet each server still gets exactly one load, and every call runs
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herds_on_two_servers_load_once_each() {
    let servers = [Server::start(), Server::start()];
    let mut handles = Vec::new();
    for server in &servers {
        flush_and_reset(server);
        let con = server.multiplexed().await;
        for _ in 0..200 {
            let mut con = con.clone();
            handles.push(tokio::spawn(async move {
                TwoServerIncr.run_async(&mut con, "two", 1).await
            }));
        }
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    for server in &servers {
        assert_eq!(stats(server).calls("script|load"), 1);
        let n: usize = redis::cmd("GET")
            .arg("two")
            .query(&mut server.connection())
            .unwrap();
        assert_eq!(n, 200);
    }
}
