//! Redis Functions (`include_library!`) on `redis::cluster::ClusterConnection` against a
//! real 3-primary, 3-replica cluster: each library is loaded on the node that runs the
//! call, replicas get it by replication (measured), so a replica promoted by a failover
//! already has it (no load after the failover), and `FCALL_RO` runs on replicas with a
//! read strategy, a cold one loading on the slot's primary. Counters are checked exact.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use evalsha::ErrorKind;
use evalsha_testkit::cluster::{Cluster, ClusterTest, keys, migrate, run_tests, set_slot};
use evalsha_testkit::{Stats, error_replies, requires, reset_stats};
use redis::cluster::ClusterConnection;
use std::time::Duration;

evalsha::include_library!("tests/libraries/queue.lua");

fn main() {
    const TESTS: &[ClusterTest] = &[
        (
            "functions_load_on_the_node_that_runs_the_call",
            functions_load_on_the_node_that_runs_the_call,
        ),
        (
            "read_only_functions_run_on_replicas",
            read_only_functions_run_on_replicas,
        ),
        (
            "cold_read_only_calls_on_replicas_load_on_the_primary",
            cold_read_only_calls_on_replicas_load_on_the_primary,
        ),
        (
            "functions_load_reaches_every_node",
            functions_load_reaches_every_node,
        ),
        (
            "retries_0_functions_follow_ask_and_moved_and_load_on_the_target",
            retries_0_functions_follow_ask_and_moved_and_load_on_the_target,
        ),
        (
            "promoted_replica_already_has_the_library",
            promoted_replica_already_has_the_library,
        ),
    ];
    run_tests(TESTS);
}

fn functions_load_on_the_node_that_runs_the_call(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        let err = Evq
            .push(&mut cluster.connection(), "{q}:a", "{q}:runs", "job")
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::FunctionsUnsupported, "{err}");
        return;
    }
    cluster.flush_functions();
    cluster.reset_stats();
    let mut con = cluster.connection();
    // 64 queues spread over every primary, each with its counter in the same slot.
    for q in keys("q", 64) {
        let len = Evq
            .push(&mut con, format!("{{{q}}}"), format!("{{{q}}}:runs"), "job")
            .unwrap();
        assert_eq!(len, 1);
    }
    let mut fcalls = 0;
    for node in cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            assert_eq!(s.calls("function|load"), 1, "primary {}", node.port);
            fcalls += s.calls("fcall");
        } else {
            // A replica counts the FUNCTION LOAD it gets by replication, never a call.
            assert_eq!(s.calls("fcall"), 0, "replica {}", node.port);
        }
    }
    // One FCALL per call, plus the retry after each primary's one load.
    assert_eq!(fcalls, 64 + 3);
    // Replicas got the library by replication.
    cluster.wait_for_replicas();
    for node in cluster.nodes() {
        assert!(
            cluster.has_library(node.port, Evq::LIBRARY),
            "node {}",
            node.port
        );
    }
}

fn read_only_functions_run_on_replicas(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "FCALL_RO on cluster replicas") {
        return;
    }
    let mut con = cluster.connection();
    let queues = keys("ro", 32);
    for q in &queues {
        Evq.push(&mut con, format!("{{{q}}}"), format!("{{{q}}}:runs"), "job")
            .unwrap();
    }
    cluster.wait_for_replicas();
    cluster.reset_stats();
    let mut ro = cluster
        .replica_reads()
        .build()
        .unwrap()
        .get_connection()
        .unwrap();
    for q in &queues {
        let job: String = Evq.peek_at(&mut ro, format!("{{{q}}}"), 0).unwrap();
        assert_eq!(job, "job");
    }
    for node in cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            assert_eq!(s.calls("fcall_ro"), 0, "primary {}", node.port);
        } else {
            assert!(s.calls("fcall_ro") > 0, "replica {}", node.port);
            assert_eq!(s.calls("function|load"), 0, "replica {}", node.port);
        }
    }
}

/// A read-only client (replica read strategy, `retries(0)`): the cold `FCALL_RO` goes to a
/// replica, which answers `Function not found` (nothing ran) and could not load the
/// library (a replica refuses `FUNCTION LOAD` with `READONLY`). So the load and the retried
/// call go to the primary of the call's slot, in one round trip; the replicas get the
/// library by replication and run the later calls.
fn cold_read_only_calls_on_replicas_load_on_the_primary(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        return;
    }
    let builder = || cluster.replica_reads().retries(0).build().unwrap();
    let slot = evalsha::hash_slot(b"cold");
    let primary = cluster.primary_of(slot);
    let replicas = cluster.replicas_of(&primary.id);

    cluster.flush_functions();
    cluster.reset_stats();
    let mut ro = builder().get_connection().unwrap();
    let none: Option<String> = Evq.peek_at(&mut ro, "{cold}", 0).unwrap();
    assert_eq!(none, None);
    expect_cold_load_on_primary(cluster, slot, "sync");
    cluster.wait_for_replicas_of(slot);
    cluster.reset_stats();
    for _ in 0..4 {
        let none: Option<String> = Evq.peek_at(&mut ro, "{cold}", 0).unwrap();
        assert_eq!(none, None);
    }
    let on_replicas: u64 = replicas
        .iter()
        .map(|r| cluster.stats(r.port).calls("fcall_ro"))
        .sum();
    assert_eq!(on_replicas, 4, "warm read-only calls run on the replicas");
    assert_eq!(cluster.stats(primary.port).calls("fcall_ro"), 0);
    assert_eq!(cluster.stats(primary.port).calls("function|load"), 0);

    #[cfg(feature = "cluster-async")]
    {
        cluster.flush_functions();
        cluster.reset_stats();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut ro = builder().get_async_connection().await.unwrap();
            let none: Option<String> = Evq.peek_at_async(&mut ro, "{cold}", 0).await.unwrap();
            assert_eq!(none, None);
        });
        expect_cold_load_on_primary(cluster, slot, "async");
    }
}

/// After one cold read-only call on `slot`: a replica answered the first `FCALL_RO`
/// (`Function not found`), refused nothing, and the slot's primary alone loaded the
/// library and ran the retried call.
fn expect_cold_load_on_primary(cluster: &Cluster, slot: u16, what: &str) {
    let primary = cluster.primary_of(slot);
    let p = cluster.stats(primary.port);
    assert_eq!(p.calls("function|load"), 1, "{what}: loaded on the primary");
    assert_eq!(
        p.calls("fcall_ro"),
        1,
        "{what}: the retry ran on the primary"
    );
    let mut first = 0;
    for replica in cluster.replicas_of(&primary.id) {
        first += cluster.stats(replica.port).calls("fcall_ro");
        let refused = error_replies(&mut cluster.node_connection(replica.port), "READONLY");
        assert_eq!(
            refused, 0,
            "{what}: replica {} refused nothing",
            replica.port
        );
    }
    assert_eq!(first, 1, "{what}: the first call went to a replica");
    for node in cluster.nodes().into_iter().filter(|n| n.primary) {
        if node.port != primary.port {
            let s = cluster.stats(node.port);
            assert_eq!(s.calls("function|load"), 0, "{what}: primary {}", node.port);
        }
    }
}

/// `functions::load` on a cluster connection loads on every primary (and so, by
/// replication, every replica), and loading again is fine.
fn functions_load_reaches_every_node(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        return;
    }
    cluster.flush_functions();
    evalsha::functions::load(&mut cluster.connection(), &[Evq::library()]).unwrap();
    // Loading again is fine: every primary answers `already exists`.
    evalsha::functions::load(&mut cluster.connection(), &[Evq::library()]).unwrap();
    cluster.wait_for_replicas();
    for node in cluster.nodes() {
        assert!(
            cluster.has_library(node.port, Evq::LIBRARY),
            "node {}",
            node.port
        );
    }
}

/// Under the at-most-once client (`retries(0)`) redis hands `ASK` and `MOVED` back and
/// evalsha follows them: during a slot migration a function call goes to the target
/// (`ASKING` first), a target without the library gets it there (`FUNCTION LOAD`, not
/// `SCRIPT LOAD`, and `FCALL` by the function's name), and after the migration each call
/// is sent on after its `MOVED`. The counter the function increments equals the calls.
fn retries_0_functions_follow_ask_and_moved_and_load_on_the_target(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        return;
    }
    let (queue, runs) = ("{mig}", "{mig}:runs");
    let slot = evalsha::hash_slot(b"mig");
    let src = cluster.primary_of(slot);
    let primaries = cluster.primaries();
    let dst = primaries.iter().find(|n| n.id != src.id).unwrap().clone();
    let mut con = cluster.at_most_once_connection();
    let mut ok = 0;
    let mut push = |con: &mut ClusterConnection| {
        Evq.push(con, queue, runs, "job").unwrap();
        ok += 1;
    };
    push(&mut con);
    let mut s = cluster.node_connection(src.port);
    let mut d = cluster.node_connection(dst.port);
    set_slot(&mut d, slot, &["IMPORTING", &src.id]);
    set_slot(&mut s, slot, &["MIGRATING", &dst.id]);
    push(&mut con); // the keys are still on the source: served there
    migrate(&mut s, dst.port, &[queue, runs]);
    // The target does not have the library.
    redis::cmd("FUNCTION").arg("FLUSH").exec(&mut d).unwrap();
    reset_stats(&mut d);
    reset_stats(&mut s);
    for _ in 0..3 {
        push(&mut con); // ASK: to the target, ASKING first
    }
    let on_dst = Stats::read(&mut d);
    assert_eq!(
        on_dst.calls("function|load"),
        1,
        "loaded on the target once"
    );
    assert_eq!(on_dst.calls("script|load"), 0);
    assert_eq!(on_dst.calls("asking"), 4, "ASKING before each FCALL there");
    assert_eq!(on_dst.calls("fcall"), 4, "3 calls and the cold one's retry");
    assert_eq!(error_replies(&mut s, "ASK"), 3);
    for node in &primaries {
        set_slot(
            &mut cluster.node_connection(node.port),
            slot,
            &["NODE", &dst.id],
        );
    }
    cluster.wait_settled().unwrap();
    reset_stats(&mut s);
    for _ in 0..3 {
        push(&mut con); // MOVED, sent on to the target
    }
    assert_eq!(
        error_replies(&mut s, "MOVED"),
        3,
        "each call redirected once"
    );
    let counted: i64 = redis::cmd("GET").arg(runs).query(&mut d).unwrap();
    assert_eq!(counted, ok, "every call ran once");
    assert_eq!(ok, 8);
}

fn promoted_replica_already_has_the_library(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        return;
    }
    let queue = "{fo}";
    let runs = "{fo}:runs";
    let slot = evalsha::hash_slot(b"fo");
    let old = cluster.primary_of(slot);
    let replica = cluster.replicas_of(&old.id).remove(0);
    let mut con = cluster.connection();
    let mut ok = 0;
    for _ in 0..10 {
        Evq.push(&mut con, queue, runs, "job").unwrap();
        ok += 1;
    }
    cluster.wait_for_replica(old.port);
    assert!(
        cluster.has_library(replica.port, Evq::LIBRARY),
        "the replica has the library before the failover"
    );
    reset_stats(&mut cluster.node_connection(replica.port));
    cluster.failover(replica.port);
    ok += cluster.calls_until_promoted(
        slot,
        replica.port,
        &mut con,
        |con| Evq.push(con, queue, runs, "job").map(drop),
        |con, err, promoted| {
            assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
            if promoted && err.is_io_error() {
                *con = cluster.connection();
            }
            std::thread::sleep(Duration::from_millis(50));
        },
    );
    for _ in 0..10 {
        Evq.push(&mut con, queue, runs, "job").unwrap();
        ok += 1;
    }
    let mut check = cluster.connection();
    let counted: i64 = redis::cmd("GET").arg(runs).query(&mut check).unwrap();
    assert_eq!(counted, ok, "every successful call ran once");
    let s = cluster.stats(replica.port);
    assert_eq!(
        s.calls("function|load"),
        0,
        "the promoted replica had the library: no load after the failover"
    );
    assert!(s.calls("fcall") >= 10);
}
