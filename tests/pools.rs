//! Pooled connections are the sticky connection of a call: the call holds `&mut` to one
//! pooled connection from its `EVALSHA` through the `SCRIPT LOAD` and the retry, so the
//! whole cold path goes through it. deadpool-redis, bb8-redis and r2d2.
//!
//! deadpool-redis and bb8-redis have no release for redis 2.x: their tests are built with
//! the feature `redis-1` only (`.ci/check-redis` runs the r2d2 ones on redis 2.x too).

use evalsha_testkit::{Server, Stats, reset_stats};

// One script type per test: tests run in parallel on different servers.
#[cfg(feature = "redis-1")]
evalsha::include_script!(DeadpoolIncr = "tests/scripts/incr_by.lua");
#[cfg(feature = "redis-1")]
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

#[cfg(feature = "redis-1")]
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

#[cfg(feature = "redis-1")]
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

// The tests above count commands on the server. The ones below prove *which* connection
// sent them: a pool of one connection, and an observer connection that reads the counters
// and `CLIENT LIST` (each client's id and last command) but sends no script command.

evalsha::include_script!(StickyR2d2 = "tests/scripts/incr_by.lua");
#[cfg(feature = "redis-1")]
evalsha::include_script!(StickyDeadpool = "tests/scripts/incr_by.lua");
#[cfg(feature = "redis-1")]
evalsha::include_script!(StickyBb8 = "tests/scripts/incr_by.lua");
evalsha::include_script!(SharedR2d2 = "tests/scripts/incr_by.lua");

/// A fresh observer connection after `SCRIPT FLUSH` and `CONFIG RESETSTAT`.
fn cold_observer(server: &Server) -> redis::Connection {
    let mut observer = server.connection();
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut observer)
        .unwrap();
    reset_stats(&mut observer);
    observer
}

/// The cold path (`EVALSHA` → `NOSCRIPT`, `SCRIPT LOAD` + `EVALSHA`) happened once, and
/// only through the connection `pooled_id`: its last command is the retried `EVALSHA`, and
/// no other client (the observer, or the server-readiness probe that may still be
/// closing) sent any script command.
fn assert_cold_path_only_on(observer: &mut redis::Connection, pooled_id: u64) {
    let stats = Stats::read(observer);
    assert_eq!(stats.calls("evalsha"), 2, "first try + retry");
    assert_eq!(stats.calls("script|load"), 1);
    let list: String = redis::cmd("CLIENT").arg("LIST").query(observer).unwrap();
    let mut found = false;
    for line in list.lines() {
        let field = |name: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(name))
                .unwrap_or_default()
        };
        let cmd = field("cmd=");
        if field("id=").parse::<u64>().unwrap() == pooled_id {
            assert_eq!(cmd, "evalsha", "{line}");
            found = true;
        } else {
            assert!(
                !cmd.starts_with("eval") && !cmd.starts_with("script"),
                "{line}"
            );
        }
    }
    assert!(found, "the pooled connection is still open: {list}");
}

#[test]
fn r2d2_cold_path_goes_through_the_one_pooled_connection() {
    let server = Server::start();
    let pool = r2d2::Pool::builder()
        .max_size(1)
        .build(server.client())
        .unwrap();
    let mut pooled = pool.get().unwrap();
    let pooled_id: u64 = redis::cmd("CLIENT").arg("ID").query(&mut *pooled).unwrap();
    let mut observer = cold_observer(&server);
    assert_eq!(StickyR2d2.run(&mut *pooled, "k", 2).unwrap(), 2);
    assert_cold_path_only_on(&mut observer, pooled_id);
    drop(pooled);

    // Checked out again, the same connection runs warm: one EVALSHA, no load.
    reset_stats(&mut observer);
    let mut again = pool.get().unwrap();
    let again_id: u64 = redis::cmd("CLIENT").arg("ID").query(&mut *again).unwrap();
    assert_eq!(again_id, pooled_id);
    assert_eq!(StickyR2d2.run(&mut *again, "k", 4).unwrap(), 6);
    let stats = Stats::read(&mut observer);
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("script|load"), 0);
}

#[cfg(feature = "redis-1")]
#[tokio::test]
async fn deadpool_redis_cold_path_goes_through_the_one_pooled_connection() {
    let server = Server::start();
    let mut config = deadpool_redis::Config::from_url(server.url());
    config.pool = Some(deadpool_redis::PoolConfig::new(1));
    let pool = config
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap();
    let mut pooled = pool.get().await.unwrap();
    let pooled_id: u64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut pooled)
        .await
        .unwrap();
    let mut observer = cold_observer(&server);
    let n = StickyDeadpool.run_async(&mut pooled, "k", 5).await.unwrap();
    assert_eq!(n, 5);
    assert_cold_path_only_on(&mut observer, pooled_id);
}

#[cfg(feature = "redis-1")]
#[tokio::test]
async fn bb8_redis_cold_path_goes_through_the_one_pooled_connection() {
    let server = Server::start();
    let manager = bb8_redis::RedisConnectionManager::new(server.url()).unwrap();
    let pool = bb8_redis::bb8::Pool::builder()
        .max_size(1)
        .build(manager)
        .await
        .unwrap();
    let mut pooled = pool.get().await.unwrap();
    let pooled_id: u64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut *pooled)
        .await
        .unwrap();
    let mut observer = cold_observer(&server);
    let n = StickyBb8.run_async(&mut *pooled, "k", 6).await.unwrap();
    assert_eq!(n, 6);
    assert_cold_path_only_on(&mut observer, pooled_id);
}

#[test]
fn r2d2_connections_held_at_once_share_one_load() {
    let server = Server::start();
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .build(server.client())
        .unwrap();
    let mut observer = cold_observer(&server);
    // Four connections checked out at once, each calls the cold script in turn: the first
    // meets NOSCRIPT and loads; the others find the script already on the (one) server.
    let mut held: Vec<_> = (0..4).map(|_| pool.get().unwrap()).collect();
    for (i, con) in held.iter_mut().enumerate() {
        assert_eq!(SharedR2d2.run(&mut **con, "k", 1).unwrap(), i as i64 + 1);
    }
    let stats = Stats::read(&mut observer);
    assert_eq!(stats.calls("script|load"), 1, "one load for the whole pool");
    assert_eq!(stats.calls("evalsha"), 5, "4 calls + 1 retry");
}
