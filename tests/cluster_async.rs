//! `run_async` on `redis::cluster_async::ClusterConnection` against a real 3-primary,
//! 3-replica cluster: routing by the first key's slot, the fallback pipeline landing on
//! the node that runs the call, the cross-slot check, read-only scripts on replicas, a manual
//! failover, a killed primary and a slot migration. Counters are checked exact.
//!
//! At most once: a client built with `ClusterClientBuilder::retries(0)` runs a call whose
//! reply was lost (a proxy drops the connection after the server answered) exactly once,
//! where redis's default client runs it again (measured and asserted here); evalsha
//! follows `MOVED`/`ASK` for it through a slot migration and failovers.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use evalsha::{ErrorKind, Ran};
use evalsha_testkit::cluster::{
    Cluster, ClusterTest, migrate, random_replica, run_tests, set_slot,
};
use evalsha_testkit::proxy::Proxy;
use evalsha_testkit::{Stats, error_replies, requires, reset_stats};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use std::time::{Duration, Instant};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/incr_pair.lua");
evalsha::include_script!("tests/scripts/read_counter.lua");
evalsha::include_script!("tests/scripts/keyless_hello.lua");

fn main() {
    const TESTS: &[ClusterTest] = &[
        (
            "async_calls_spread_over_all_slots_load_once_per_primary",
            calls_spread_over_all_slots_load_once_per_primary,
        ),
        (
            "async_cross_slot_keys_fail_before_sending",
            cross_slot_keys_fail_before_sending,
        ),
        ("async_keyless_scripts_run", keyless_scripts_run),
        (
            "async_read_only_scripts_load_and_run_on_replicas",
            read_only_scripts_load_and_run_on_replicas,
        ),
        (
            "async_manual_failover_promoted_replica_gets_loaded",
            manual_failover_promoted_replica_gets_loaded,
        ),
        (
            "async_killed_primary_promoted_replica_gets_loaded",
            killed_primary_promoted_replica_gets_loaded,
        ),
        (
            "async_slot_migration_moved_and_ask_while_calls_run",
            slot_migration_moved_and_ask_while_calls_run,
        ),
        (
            "async_retries_0_slot_migration_evalsha_follows_ask_and_moved",
            retries_0_slot_migration_evalsha_follows_ask_and_moved,
        ),
        (
            "async_pipelines_in_one_slot_run_on_its_primary",
            pipelines_in_one_slot_run_on_its_primary,
        ),
        (
            "async_lost_reply_default_client_runs_twice_retries_0_once",
            lost_reply_default_client_runs_twice_retries_0_once,
        ),
    ];
    run_tests(TESTS);
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn connect(cluster: &Cluster) -> ClusterConnection {
    ClusterClient::new(cluster.urls())
        .unwrap()
        .get_async_connection()
        .await
        .unwrap()
}

/// The at-most-once configuration: redis resends nothing, evalsha follows redirects.
async fn connect_at_most_once(cluster: &Cluster) -> ClusterConnection {
    ClusterClientBuilder::new(cluster.urls())
        .retries(0)
        .build()
        .unwrap()
        .get_async_connection()
        .await
        .unwrap()
}

/// A counter read straight from the node on `port`.
fn get_on(cluster: &Cluster, port: u16, key: &str) -> i64 {
    redis::cmd("GET")
        .arg(key)
        .query::<Option<i64>>(&mut cluster.node_connection(port))
        .unwrap()
        .unwrap_or(0)
}

/// The counter's value, read through a fresh sync cluster connection (which follows
/// `ASK` during a migration).
fn get(cluster: &Cluster, key: &str) -> i64 {
    let mut con = ClusterClient::new(cluster.urls())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("GET")
        .arg(key)
        .query::<Option<i64>>(&mut con)
        .unwrap()
        .unwrap_or(0)
}

/// Redis before 7 propagates `SCRIPT LOAD` to replicas; Redis 7 and Valkey do not (measured:
/// after `WAIT 1`, `SCRIPT EXISTS` on the replica says 0), so a promoted replica starts
/// with an empty script cache there.
fn load_propagates(cluster: &Cluster) -> bool {
    cluster.any_server().major_version() < 7
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

fn calls_spread_over_all_slots_load_once_per_primary(cluster: &mut Cluster) {
    cluster.flush_scripts();
    cluster.reset_stats();
    let keys = keys("aspread", 64);
    block_on(async {
        let mut con = connect(cluster).await;
        for round in 1..=3 {
            for key in &keys {
                assert_eq!(IncrBy.run_async(&mut con, key, 1).await.unwrap(), round);
            }
        }
    });
    let mut evalsha = 0;
    let mut primaries = 0;
    for node in cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            primaries += 1;
            assert_eq!(
                s.calls("script|load"),
                1,
                "one load on primary {}",
                node.port
            );
            evalsha += s.calls("evalsha");
        } else {
            let propagated = u64::from(load_propagates(cluster));
            assert_eq!(s.calls("script|load"), propagated, "replica {}", node.port);
            assert_eq!(s.calls("evalsha"), 0);
        }
    }
    // Cold per primary: NOSCRIPT, then SCRIPT LOAD + EVALSHA pipelined.
    assert_eq!(evalsha, 3 * 64 + primaries);
    for key in &keys {
        assert_eq!(get(cluster, key), 3);
    }
}

fn cross_slot_keys_fail_before_sending(cluster: &mut Cluster) {
    cluster.reset_stats();
    let err = block_on(async {
        let mut con = connect(cluster).await;
        IncrPair
            .run_async(&mut con, "cross:a", "cross:b")
            .await
            .unwrap_err()
    });
    assert_eq!(
        err.kind(),
        &ErrorKind::CrossSlot {
            keys: vec![
                ("cross:a".into(), evalsha::hash_slot(b"cross:a")),
                ("cross:b".into(), evalsha::hash_slot(b"cross:b"))
            ]
        }
    );
    for port in cluster.live_ports() {
        let s = cluster.stats(port);
        assert_eq!(
            s.calls("evalsha") + s.calls("script|load"),
            0,
            "nothing sent"
        );
    }
    block_on(async {
        let mut con = connect(cluster).await;
        assert_eq!(
            IncrPair
                .run_async(&mut con, "{t}:a", "{t}:b")
                .await
                .unwrap(),
            1
        );
    });
    assert_eq!(get(cluster, "{t}:b"), 1);
}

fn keyless_scripts_run(cluster: &mut Cluster) {
    cluster.flush_scripts();
    block_on(async {
        let mut con = connect(cluster).await;
        for i in 0..20 {
            assert_eq!(
                KeylessHello
                    .run_async(&mut con, &i.to_string())
                    .await
                    .unwrap(),
                format!("hello {i}")
            );
        }
    });
}

fn read_only_scripts_load_and_run_on_replicas(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "EVALSHA_RO on cluster replicas") {
        // Redis 6.2 has no EVALSHA_RO: a clear error, nothing retried.
        let err = block_on(async {
            ReadCounter
                .run_async(&mut connect(cluster).await, "ro:0")
                .await
        })
        .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::ReadOnlyUnsupported, "{err}");
        assert!(err.to_string().contains("EVALSHA_RO"), "{err}");
        return;
    }
    let keys = keys("aro", 32);
    block_on(async {
        let mut con = connect(cluster).await;
        for key in &keys {
            IncrBy.run_async(&mut con, key, 7).await.unwrap();
        }
    });
    cluster.wait_for_replicas();
    cluster.flush_scripts();
    cluster.reset_stats();
    block_on(async {
        let mut ro = ClusterClientBuilder::new(cluster.urls())
            .read_routing_strategy(random_replica())
            .build()
            .unwrap()
            .get_async_connection()
            .await
            .unwrap();
        for _ in 0..2 {
            for key in &keys {
                assert_eq!(ReadCounter.run_async(&mut ro, key).await.unwrap(), 7);
            }
        }
    });
    for node in cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            assert_eq!(s.calls("evalsha_ro") + s.calls("script|load"), 0);
        } else {
            assert_eq!(s.calls("script|load"), 1, "loaded on replica {}", node.port);
            assert!(s.calls("evalsha_ro") > 2);
        }
    }
}

/// A failover under the at-most-once client (`retries(0)`): evalsha follows the `MOVED`
/// from the demoted primary. A manual failover fails no call; a killed primary fails calls
/// only until its replica is promoted. Every success counted once.
fn failover_test(cluster: &mut Cluster, key: &str, kill: bool) {
    let slot = evalsha::hash_slot(key.as_bytes());
    let old = cluster.primary_of(slot);
    let replica = cluster.replicas_of(&old.id).remove(0);
    let ok = block_on(async {
        let mut con = connect_at_most_once(cluster).await;
        let mut ok = 0;
        for _ in 0..10 {
            IncrBy.run_async(&mut con, key, 1).await.unwrap();
            ok += 1;
        }
        cluster.wait_for_replica(old.port);
        let had_script: Vec<bool> = redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(IncrBy::SHA1)
            .query(&mut cluster.node_connection(replica.port))
            .unwrap();
        assert_eq!(had_script[0], load_propagates(cluster), "replica's cache");
        reset_stats(&mut cluster.node_connection(replica.port));
        if kill {
            cluster.server(old.port).stop();
        } else {
            redis::cmd("CLUSTER")
                .arg("FAILOVER")
                .exec(&mut cluster.node_connection(replica.port))
                .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        // Until the promotion is seen and one call succeeded after it.
        loop {
            assert!(Instant::now() < deadline, "calls did not recover");
            let promoted = cluster
                .try_primary_of(slot)
                .is_some_and(|p| p.port == replica.port);
            match IncrBy.run_async(&mut con, key, 1).await {
                Ok(_) => {
                    ok += 1;
                    if promoted {
                        break;
                    }
                }
                Err(err) => {
                    assert!(kill, "a manual failover fails no call: {err}");
                    assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        for _ in 0..10 {
            IncrBy.run_async(&mut con, key, 1).await.unwrap();
            ok += 1;
        }
        ok
    });
    assert_eq!(get(cluster, key), ok, "every successful call counted once");
    let expected = if load_propagates(cluster) { 0 } else { 1 };
    assert_eq!(cluster.stats(replica.port).calls("script|load"), expected);
}

fn manual_failover_promoted_replica_gets_loaded(cluster: &mut Cluster) {
    failover_test(cluster, "afailover:manual", false);
}

fn killed_primary_promoted_replica_gets_loaded(cluster: &mut Cluster) {
    failover_test(cluster, "afailover:kill", true);
    let old = cluster
        .servers()
        .iter()
        .position(|s| !s.is_running())
        .expect("the killed node");
    let port = cluster.servers()[old].port();
    cluster.server(port).restart().unwrap();
}

fn slot_migration_moved_and_ask_while_calls_run(cluster: &mut Cluster) {
    slot_migration(cluster, "amigrate:counter", false);
}

/// Under the at-most-once client redis hands `ASK` and `MOVED` back; evalsha follows them
/// (`ASKING` first on the target), and redis refreshes its slot map on the `MOVED`.
fn retries_0_slot_migration_evalsha_follows_ask_and_moved(cluster: &mut Cluster) {
    slot_migration(cluster, "amigrate0:counter", true);
}

/// A slot migration while calls run: still on the source, `ASK` to the target (also with
/// the script missing there), then `MOVED` once and straight to the target after that.
fn slot_migration(cluster: &mut Cluster, key: &str, at_most_once: bool) {
    let slot = evalsha::hash_slot(key.as_bytes());
    let src = cluster.primary_of(slot);
    let dst = cluster
        .nodes()
        .into_iter()
        .find(|n| n.primary && !n.failed && n.id != src.id)
        .unwrap();
    let third = cluster
        .nodes()
        .into_iter()
        .find(|n| n.primary && !n.failed && n.id != src.id && n.id != dst.id)
        .unwrap();
    let mut s = cluster.node_connection(src.port);
    let mut d = cluster.node_connection(dst.port);
    let mut t = cluster.node_connection(third.port);
    let ok = block_on(async {
        let mut con = if at_most_once {
            connect_at_most_once(cluster).await
        } else {
            connect(cluster).await
        };
        // Warm every primary: the target already serves other slots and has the script.
        for k in keys("awarm", 64) {
            IncrBy.run_async(&mut con, &k, 1).await.unwrap();
        }
        let mut ok = 0;
        IncrBy.run_async(&mut con, key, 1).await.unwrap();
        ok += 1;
        set_slot(&mut d, slot, &["IMPORTING", &src.id]);
        set_slot(&mut s, slot, &["MIGRATING", &dst.id]);
        IncrBy.run_async(&mut con, key, 1).await.unwrap(); // still on the source
        ok += 1;
        migrate(&mut s, dst.port, &[key]);
        reset_stats(&mut d);
        for _ in 0..5 {
            IncrBy.run_async(&mut con, key, 1).await.unwrap(); // ASK
            ok += 1;
        }
        assert_eq!(Stats::read(&mut d).calls("evalsha"), 5, "ASK followed");
        // The target without the script, in the ASK window: loaded there, runs once.
        redis::cmd("SCRIPT").arg("FLUSH").exec(&mut d).unwrap();
        IncrBy.run_async(&mut con, key, 1).await.unwrap();
        ok += 1;
        assert!(Stats::read(&mut d).calls("script|load") >= 1);
        assert_eq!(get(cluster, key), ok, "the cold call ran exactly once");
        // The target first, then the source, then the other primary, as `redis-cli
        // --cluster` does, and wait until every node (replicas too) knows the new owner, so
        // that whichever node redis asks for the slot map names it.
        for c in [&mut d, &mut s, &mut t] {
            set_slot(c, slot, &["NODE", &dst.id]);
        }
        cluster.wait_settled().unwrap();
        reset_stats(&mut s);
        if at_most_once {
            // evalsha follows redirects for single calls only: a pipeline meets `MOVED`
            // and fails whole, having run nothing.
            let mut pipe = evalsha::Pipeline::new();
            pipe.script(IncrBy.call(key, 1));
            let err = pipe.query_async::<(i64,), _>(&mut con).await.unwrap_err();
            assert_eq!(err.ran(), Ran::No, "{err}");
            assert!(err.to_string().contains("MOVED"), "{err}");
            assert_eq!(get(cluster, key), ok, "nothing ran");
        }
        for _ in 0..5 {
            IncrBy.run_async(&mut con, key, 1).await.unwrap(); // MOVED, then direct
            ok += 1;
        }
        // redis refreshes its slot map on `MOVED`, also under `retries(0)`.
        let moved = error_replies(&mut s, "MOVED");
        assert_eq!(moved, 1, "MOVED once: redis refreshed its slot map");
        ok
    });
    assert_eq!(cluster.primary_of(slot).id, dst.id);
    assert_eq!(get(cluster, key), ok);
    assert_eq!(ok, 13);
}

fn pipelines_in_one_slot_run_on_its_primary(cluster: &mut Cluster) {
    let slot = evalsha::hash_slot(b"{ap}");
    for (round, atomic) in [(1, false), (2, true)] {
        cluster.flush_scripts();
        cluster.reset_stats();
        let got: (i64, i64) = block_on(async {
            let mut con = connect(cluster).await;
            let mut pipe = evalsha::Pipeline::new();
            if atomic {
                pipe.atomic();
            }
            pipe.script(IncrBy.call("{ap}:a", 1))
                .cmd("INCR")
                .arg("{ap}:b");
            pipe.query_async(&mut con).await.unwrap()
        });
        assert_eq!(got, (round, round), "atomic: {atomic}");
        let primary = cluster.primary_of(slot).port;
        for node in cluster.nodes().into_iter().filter(|n| !n.failed) {
            let s = cluster.stats(node.port);
            let here = u64::from(node.port == primary);
            // The script's first call in a pipeline goes as EVAL (see evalsha::Pipeline).
            assert_eq!(
                s.calls("eval"),
                here,
                "atomic: {atomic}, node {}",
                node.port
            );
            if node.primary {
                // (Replicas count the INCR replicated to them.)
                assert_eq!(
                    s.calls("incr"),
                    here,
                    "atomic: {atomic}, node {}",
                    node.port
                );
                assert_eq!(s.calls("script|load"), 0, "node {}", node.port);
            }
        }
    }
    assert_eq!((get(cluster, "{ap}:a"), get(cluster, "{ap}:b")), (2, 2));
    // Calls in different slots: redis refuses the pipeline, nothing runs.
    let err = block_on(async {
        let mut con = connect(cluster).await;
        let mut pipe = evalsha::Pipeline::new();
        pipe.script(IncrBy.call("cross:a", 1))
            .script(IncrBy.call("cross:b", 1));
        pipe.query_async::<(i64, i64), _>(&mut con)
            .await
            .unwrap_err()
    });
    assert_eq!(
        err.redis_error().map(|e| e.kind()),
        Some(redis::ErrorKind::Server(redis::ServerErrorKind::CrossSlot)),
        "{err}"
    );
    assert_eq!((get(cluster, "cross:a"), get(cluster, "cross:b")), (0, 0));
}

/// A proxy in front of the primary of the counter's slot, announced by that node as its
/// address, drops the connection after the server ran the call and answered. redis's
/// default async client reconnects and sends the call again: the script runs twice and
/// the caller sees `Ok` (measured on Redis 7.0, 6.2 and Valkey 8.1). Built with
/// `retries(0)`, the call runs once and fails with an I/O error.
fn lost_reply_default_client_runs_twice_retries_0_once(cluster: &mut Cluster) {
    let key = "alost:counter";
    let primary = cluster.primary_of(evalsha::hash_slot(key.as_bytes())).port;
    let proxy = Proxy::start(primary, Duration::ZERO).unwrap();
    let announced = cluster.announce_port(primary, proxy.port()).unwrap();
    // Learn the topology from another node: it names the proxy as the primary's address.
    let other = cluster
        .live_ports()
        .into_iter()
        .find(|&p| p != primary)
        .unwrap();
    for retries in [None, Some(0)] {
        block_on(async {
            let mut builder =
                ClusterClientBuilder::new(vec![format!("redis://127.0.0.1:{other}/")]);
            if let Some(retries) = retries {
                builder = builder.retries(retries);
            }
            let mut con = builder
                .build()
                .unwrap()
                .get_async_connection()
                .await
                .unwrap();
            let before = IncrBy.run_async(&mut con, key, 1).await.unwrap(); // warm
            assert_eq!(get_on(cluster, primary, key), before);
            let dropped = proxy.dropped_replies();
            proxy.drop_reply_to(b"EVALSHA");
            let result = IncrBy.run_async(&mut con, key, 1).await;
            assert_eq!(proxy.dropped_replies(), dropped + 1, "the reply was lost");
            let runs = get_on(cluster, primary, key) - before;
            match retries {
                None => {
                    assert_eq!(runs, 2, "redis resent the call: {result:?}");
                    assert_eq!(result.unwrap(), before + 2, "and the caller saw no error");
                }
                Some(_) => {
                    assert_eq!(runs, 1, "{result:?}");
                    let err = result.unwrap_err();
                    assert!(err.is_io_error(), "{err}");
                    assert_eq!(err.ran(), Ran::Unknown, "{err}");
                    assert!(err.to_string().contains("incr_by.lua"), "{err}");
                    // redis's async connection reconnects that node by itself.
                    assert_eq!(
                        IncrBy.run_async(&mut con, key, 1).await.unwrap(),
                        before + 2
                    );
                }
            }
        });
    }
    drop(announced);
}
