//! Script calls through an r2d2 pool (redis's `r2d2` feature): the pooled connection is
//! the sticky connection for the whole call, so the cold path's `SCRIPT LOAD` and retry go
//! through the connection that got `NOSCRIPT`. Async pools are in `tests/pools_async.rs`.

use evalsha_testkit::{Server, Stats, reset_stats};
use redis::ConnectionLike;

evalsha::include_script!("tests/scripts/incr_by.lua");

/// `(id, last command)` of every client connected to the server, from `CLIENT LIST`.
fn clients(con: &mut dyn ConnectionLike) -> Vec<(u64, String)> {
    let list: String = redis::cmd("CLIENT").arg("LIST").query(con).unwrap();
    list.lines()
        .map(|line| {
            let field = |name: &str| {
                line.split(' ')
                    .find_map(|f| f.strip_prefix(name))
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("id=").parse().unwrap(), field("cmd="))
        })
        .collect()
}

#[test]
fn r2d2_pooled_connection_carries_load_and_retry() {
    let server = Server::start();
    let pool = r2d2::Pool::builder()
        .max_size(1)
        .build(server.client())
        .unwrap();
    let mut observer = server.connection();

    let mut pooled = pool.get().unwrap();
    let pooled_id: u64 = redis::cmd("CLIENT").arg("ID").query(&mut *pooled).unwrap();
    assert_eq!(
        IncrBy.run(&mut *pooled, "k", 1).unwrap(),
        1,
        "warm-up loads it"
    );

    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut observer)
        .unwrap();
    reset_stats(&mut observer);
    assert_eq!(IncrBy.run(&mut *pooled, "k", 2).unwrap(), 3);
    let stats = Stats::read(&mut observer);
    assert_eq!(stats.calls("evalsha"), 2, "first try + retry");
    assert_eq!(stats.calls("script|load"), 1);

    // The pooled connection's last command is the retried EVALSHA; no other client
    // (the observer, or the server-readiness probe that may still be closing) sent a
    // script command.
    for (id, cmd) in clients(&mut observer) {
        if id == pooled_id {
            assert_eq!(cmd, "evalsha");
        } else {
            assert!(
                !cmd.starts_with("eval") && !cmd.starts_with("script"),
                "{id}: {cmd}"
            );
        }
    }
    drop(pooled);

    // Checked out again, the same connection runs warm: one EVALSHA, no load.
    reset_stats(&mut observer);
    let mut again = pool.get().unwrap();
    let again_id: u64 = redis::cmd("CLIENT").arg("ID").query(&mut *again).unwrap();
    assert_eq!(again_id, pooled_id);
    assert_eq!(IncrBy.run(&mut *again, "k", 4).unwrap(), 7);
    let stats = Stats::read(&mut observer);
    assert_eq!(stats.calls("evalsha"), 1);
    assert_eq!(stats.calls("script|load"), 0);
}

#[test]
fn r2d2_pool_of_several_connections_each_call_sticks() {
    let server = Server::start();
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .build(server.client())
        .unwrap();
    let mut observer = server.connection();
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut observer)
        .unwrap();
    reset_stats(&mut observer);
    // Four connections checked out at once, each runs the cold script: the first meets
    // NOSCRIPT and loads; the others find it loaded (one server), so the flight's
    // generation check makes them retry without loading again.
    let mut held: Vec<_> = (0..4).map(|_| pool.get().unwrap()).collect();
    for (i, con) in held.iter_mut().enumerate() {
        let n = IncrBy.run(&mut **con, "k", 1).unwrap();
        assert_eq!(n, i as i64 + 1);
    }
    let stats = Stats::read(&mut observer);
    assert_eq!(stats.calls("script|load"), 1, "one load for the whole pool");
    assert_eq!(stats.calls("evalsha"), 5, "4 calls + 1 retry");
}
