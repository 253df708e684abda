//! Loading scripts whenever a pool opens a connection: deadpool-redis's `post_create`
//! hook, bb8's and r2d2's `CustomizeConnection::on_acquire` call `evalsha::preload(_async)`,
//! so after the server restarts (its script cache empty) the pool's new connection has
//! loaded the scripts before the first call, which then costs one `EVALSHA` and no
//! `NOSCRIPT`.
//!
//! deadpool-redis and bb8-redis have no release for redis 2.x: their tests are built with
//! the feature `redis-1` only (`.ci/check-redis` runs the r2d2 one on redis 2.x too).
//!
//! (redis's `ConnectionManager` has no such hook: after it reconnects, the first call of
//! each script meets `NOSCRIPT` and loads it; `tests/reliability.rs` covers that.)

use evalsha::Script;
use evalsha_testkit::{Server, Stats};

// One script type per test: tests run in parallel on different servers.
#[cfg(feature = "redis-1")]
evalsha::include_script!(DeadpoolIncr = "tests/scripts/incr_by.lua");
#[cfg(feature = "redis-1")]
evalsha::include_script!(Bb8Incr = "tests/scripts/incr_by.lua");
evalsha::include_script!(R2d2Incr = "tests/scripts/incr_by.lua");
#[cfg(feature = "redis-1")]
evalsha::include_script!(DeadpoolEcho = "tests/scripts/echo.lua");

/// `EVALSHA`s since the server (re)started.
fn evalshas(server: &Server) -> u64 {
    Stats::read(&mut server.connection()).calls("evalsha")
}

/// Before the first call on a connection the pool just opened: the hook sent one
/// `SCRIPT LOAD` per script and the server has them all.
fn assert_preloaded(server: &Server, scripts: &[&'static Script], round: u32) {
    let stats = Stats::read(&mut server.connection());
    assert_eq!(stats.calls("evalsha"), 0, "round {round}");
    assert_eq!(
        stats.calls("script|load"),
        scripts.len() as u64,
        "round {round}"
    );
    let present = evalsha::loaded(&mut server.connection(), scripts).unwrap();
    assert!(present.iter().all(|p| *p), "round {round}: {present:?}");
}

#[cfg(feature = "redis-1")]
fn deadpool_scripts() -> [&'static Script; 2] {
    [DeadpoolIncr::script(), DeadpoolEcho::script()]
}

#[cfg(feature = "redis-1")]
#[tokio::test]
async fn deadpool_post_create_hook_preloads_after_a_restart() {
    use deadpool_redis::{Config, Runtime, redis::aio::MultiplexedConnection};
    use deadpool_redis::{Hook, HookError};

    let mut server = Server::start();
    let pool = Config::from_url(server.url())
        .builder()
        .unwrap()
        .max_size(1)
        .runtime(Runtime::Tokio1)
        .post_create(Hook::async_fn(|con: &mut MultiplexedConnection, _| {
            Box::pin(async move {
                evalsha::preload_async(con, &deadpool_scripts())
                    .await
                    .map_err(|err| HookError::Backend(err.into()))
            })
        }))
        .build()
        .unwrap();
    for round in 1..=2 {
        let mut con = pool.get().await.unwrap();
        assert_preloaded(&server, &deadpool_scripts(), round);
        assert_eq!(DeadpoolIncr.run_async(&mut con, "dp", 1).await.unwrap(), 1);
        assert_eq!(
            evalshas(&server),
            1,
            "round {round}: one EVALSHA, no NOSCRIPT"
        );
        drop(con);
        server.restart().unwrap();
    }
}

#[cfg(feature = "redis-1")]
#[derive(Debug)]
struct Bb8Preload;

#[cfg(feature = "redis-1")]
impl bb8_redis::bb8::CustomizeConnection<redis::aio::MultiplexedConnection, redis::RedisError>
    for Bb8Preload
{
    fn on_acquire<'a>(
        &'a self,
        con: &'a mut redis::aio::MultiplexedConnection,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), redis::RedisError>> + Send + 'a>> {
        Box::pin(async move {
            evalsha::preload_async(con, &[Bb8Incr::script()])
                .await
                .map_err(redis::RedisError::from)
        })
    }
}

#[cfg(feature = "redis-1")]
#[tokio::test]
async fn bb8_on_acquire_preloads_after_a_restart() {
    let mut server = Server::start();
    let manager = bb8_redis::RedisConnectionManager::new(server.url()).unwrap();
    let pool = bb8_redis::bb8::Pool::builder()
        .max_size(1)
        .connection_customizer(Box::new(Bb8Preload))
        .build(manager)
        .await
        .unwrap();
    for round in 1..=2 {
        let mut con = pool.get().await.unwrap();
        assert_preloaded(&server, &[Bb8Incr::script()], round);
        assert_eq!(Bb8Incr.run_async(&mut *con, "bb8", 1).await.unwrap(), 1);
        assert_eq!(
            evalshas(&server),
            1,
            "round {round}: one EVALSHA, no NOSCRIPT"
        );
        drop(con);
        server.restart().unwrap();
    }
}

#[derive(Debug)]
struct R2d2Preload;

impl r2d2::CustomizeConnection<redis::Connection, redis::RedisError> for R2d2Preload {
    fn on_acquire(&self, con: &mut redis::Connection) -> Result<(), redis::RedisError> {
        evalsha::preload(con, &[R2d2Incr::script()]).map_err(redis::RedisError::from)
    }
}

#[test]
fn r2d2_on_acquire_preloads_after_a_restart() {
    let mut server = Server::start();
    let pool = r2d2::Pool::builder()
        .max_size(1)
        .connection_customizer(Box::new(R2d2Preload))
        .build(server.client())
        .unwrap();
    for round in 1..=2 {
        let mut con = pool.get().unwrap();
        assert_preloaded(&server, &[R2d2Incr::script()], round);
        assert_eq!(R2d2Incr.run(&mut *con, "r2d2", 1).unwrap(), 1);
        assert_eq!(
            evalshas(&server),
            1,
            "round {round}: one EVALSHA, no NOSCRIPT"
        );
        drop(con);
        server.restart().unwrap();
    }
}
