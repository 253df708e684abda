//! Pooled connections are the sticky connection of a call: the call holds `&mut` to one
//! pooled connection from its `EVALSHA` through the `SCRIPT LOAD` and the retry, so the
//! whole cold path goes through it. deadpool-redis, bb8-redis and r2d2.

use evalsha_testkit::{Server, Stats, reset_stats};

// One script type per test: tests run in parallel on different servers.
evalsha::include_script!(DeadpoolIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(Bb8Incr = "tests/scripts/incr_by.lua");
evalsha::include_script!(R2d2Incr = "tests/scripts/incr_by.lua");

fn flush_and_reset(server: &Server) {
    let mut con = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    reset_stats(&mut con);
}

fn assert_cold_then_warm(server: &Server, first: i64, second: i64) {
    assert_eq!((first, second), (1, 2));
    let stats = Stats::read(&mut server.connection());
    assert_eq!(
        stats.calls("evalsha"),
        3,
        "cold: 2 (NOSCRIPT + retry), warm: 1"
    );
    assert_eq!(stats.calls("script|load"), 1);
    assert_eq!(stats.calls("eval"), 0);
}

#[tokio::test]
async fn deadpool_redis() {
    let server = Server::start();
    let pool = deadpool_redis::Config::from_url(server.url())
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap();
    flush_and_reset(&server);
    let mut con = pool.get().await.unwrap();
    let first = DeadpoolIncr.run_async(&mut con, "dp", 1).await.unwrap();
    drop(con);
    let mut con = pool.get().await.unwrap();
    let second = DeadpoolIncr.run_async(&mut con, "dp", 1).await.unwrap();
    assert_cold_then_warm(&server, first, second);
}

#[tokio::test]
async fn bb8_redis() {
    let server = Server::start();
    let manager = bb8_redis::RedisConnectionManager::new(server.url()).unwrap();
    let pool = bb8_redis::bb8::Pool::builder()
        .max_size(4)
        .build(manager)
        .await
        .unwrap();
    flush_and_reset(&server);
    let mut con = pool.get().await.unwrap();
    let first = Bb8Incr.run_async(&mut *con, "bb8", 1).await.unwrap();
    drop(con);
    let mut con = pool.get().await.unwrap();
    let second = Bb8Incr.run_async(&mut *con, "bb8", 1).await.unwrap();
    assert_cold_then_warm(&server, first, second);
}

#[test]
fn r2d2() {
    let server = Server::start();
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .build(server.client())
        .unwrap();
    flush_and_reset(&server);
    let mut con = pool.get().unwrap();
    let first = R2d2Incr.run(&mut *con, "r2d2", 1).unwrap();
    drop(con);
    let mut con = pool.get().unwrap();
    let second = R2d2Incr.run(&mut *con, "r2d2", 1).unwrap();
    assert_cold_then_warm(&server, first, second);
}
