//! Script calls through async pools, deadpool-redis and bb8-redis: `run_async` takes the
//! pooled connection as `&mut`, so the cold path's `SCRIPT LOAD` and retry go through it.
//! Each pool has one connection; a separate observer connection reads the counters and
//! sends no script command itself.

use evalsha_testkit::{Server, Stats, reset_stats};

evalsha::include_script!("tests/scripts/incr_by.lua");

fn cold(server: &Server) -> redis::Connection {
    let mut observer = server.connection();
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut observer)
        .unwrap();
    reset_stats(&mut observer);
    observer
}

fn assert_cold_path_on(observer: &mut redis::Connection, pooled_id: u64) {
    let stats = Stats::read(observer);
    assert_eq!(stats.calls("evalsha"), 2, "first try + retry");
    assert_eq!(stats.calls("script|load"), 1);
    // The pooled connection's last command is the retried EVALSHA; no other client (the
    // observer, or the server-readiness probe that may still be closing) sent a script
    // command.
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
            assert_eq!(cmd, "evalsha");
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

#[tokio::test]
async fn deadpool_redis_pooled_connection_carries_load_and_retry() {
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
    let mut observer = cold(&server);
    let n = IncrBy.run_async(&mut pooled, "k", 5).await.unwrap();
    assert_eq!(n, 5);
    assert_cold_path_on(&mut observer, pooled_id);
}

#[tokio::test]
async fn bb8_redis_pooled_connection_carries_load_and_retry() {
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
    let mut observer = cold(&server);
    let n = IncrBy.run_async(&mut *pooled, "k", 6).await.unwrap();
    assert_eq!(n, 6);
    assert_cold_path_on(&mut observer, pooled_id);
}
