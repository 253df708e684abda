//! Redis Functions (`include_library!`) on `redis::cluster::ClusterConnection` against a
//! real 3-primary, 3-replica cluster: each library is loaded on the node that runs the
//! call, replicas get it by replication (measured), so a replica promoted by a failover
//! already has it (no load after the failover), and `FCALL_RO` runs on replicas with a
//! read strategy. Counters are checked exact.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use evalsha::ErrorKind;
use evalsha_testkit::cluster::{Cluster, ClusterTest, run_tests};
use evalsha_testkit::{Stats, requires, reset_stats};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConnection};
use redis::cluster_read_routing::RandomReplicaStrategy;
use std::time::{Duration, Instant};

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
            "load_reaches_every_node_and_cold_read_only_calls_need_it",
            load_reaches_every_node_and_cold_read_only_calls_need_it,
        ),
        (
            "promoted_replica_already_has_the_library",
            promoted_replica_already_has_the_library,
        ),
    ];
    run_tests(TESTS);
}

fn connect(cluster: &Cluster) -> ClusterConnection {
    ClusterClient::new(cluster.urls())
        .unwrap()
        .get_connection()
        .unwrap()
}

fn stats(cluster: &Cluster, port: u16) -> Stats {
    Stats::read(&mut cluster.node_connection(port))
}

fn reset_all(cluster: &Cluster) {
    for port in cluster.live_ports() {
        reset_stats(&mut cluster.node_connection(port));
    }
}

/// `FUNCTION FLUSH` on every primary (replicas follow by replication), then waits for
/// the replicas.
fn flush_functions(cluster: &Cluster) {
    for node in cluster
        .nodes()
        .into_iter()
        .filter(|n| n.primary && !n.failed)
    {
        let mut con = cluster.node_connection(node.port);
        redis::cmd("FUNCTION").arg("FLUSH").exec(&mut con).unwrap();
        let _: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut con).unwrap();
    }
}

fn has_library(cluster: &Cluster, port: u16) -> bool {
    let list: Vec<redis::Value> = redis::cmd("FUNCTION")
        .arg("LIST")
        .arg("LIBRARYNAME")
        .arg(Evq::LIBRARY)
        .query(&mut cluster.node_connection(port))
        .unwrap();
    !list.is_empty()
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

fn functions_load_on_the_node_that_runs_the_call(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        let err = Evq
            .push(&mut connect(cluster), "{q}:a", "{q}:runs", "job")
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::FunctionsUnsupported, "{err}");
        return;
    }
    flush_functions(cluster);
    reset_all(cluster);
    let mut con = connect(cluster);
    // 64 queues spread over every primary, each with its counter in the same slot.
    for q in keys("q", 64) {
        let len = Evq
            .push(&mut con, format!("{{{q}}}"), format!("{{{q}}}:runs"), "job")
            .unwrap();
        assert_eq!(len, 1);
    }
    let mut fcalls = 0;
    for node in cluster.nodes() {
        let s = stats(cluster, node.port);
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
    for node in cluster.nodes().into_iter().filter(|n| n.primary) {
        let _: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(5000)
            .query(&mut cluster.node_connection(node.port))
            .unwrap();
    }
    for node in cluster.nodes() {
        assert!(has_library(cluster, node.port), "node {}", node.port);
    }
}

fn read_only_functions_run_on_replicas(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "FCALL_RO on cluster replicas") {
        return;
    }
    let mut con = connect(cluster);
    let queues = keys("ro", 32);
    for q in &queues {
        Evq.push(&mut con, format!("{{{q}}}"), format!("{{{q}}}:runs"), "job")
            .unwrap();
    }
    for node in cluster.nodes().into_iter().filter(|n| n.primary) {
        let _: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(5000)
            .query(&mut cluster.node_connection(node.port))
            .unwrap();
    }
    reset_all(cluster);
    let mut ro = ClusterClientBuilder::new(cluster.urls())
        .read_routing_strategy(RandomReplicaStrategy)
        .build()
        .unwrap()
        .get_connection()
        .unwrap();
    for q in &queues {
        let job: String = Evq.peek_at(&mut ro, format!("{{{q}}}"), 0).unwrap();
        assert_eq!(job, "job");
    }
    for node in cluster.nodes() {
        let s = stats(cluster, node.port);
        if node.primary {
            assert_eq!(s.calls("fcall_ro"), 0, "primary {}", node.port);
        } else {
            assert!(s.calls("fcall_ro") > 0, "replica {}", node.port);
            assert_eq!(s.calls("function|load"), 0, "replica {}", node.port);
        }
    }
}

/// `functions::load` on a cluster connection loads on every primary (and so, by
/// replication, every replica). Without it, a cold read-only call routed to a replica
/// cannot load there: the replica refuses `FUNCTION LOAD` (`READONLY`, not run).
fn load_reaches_every_node_and_cold_read_only_calls_need_it(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "Redis Functions on a cluster") {
        return;
    }
    flush_functions(cluster);
    // `retries(0)`, the at-most-once configuration: with redis's default retries a
    // `READONLY` reply is retried after a growing sleep (16 times), which kept this test
    // waiting for minutes instead of seeing the refusal.
    let mut ro = ClusterClientBuilder::new(cluster.urls())
        .read_routing_strategy(RandomReplicaStrategy)
        .retries(0)
        .build()
        .unwrap()
        .get_connection()
        .unwrap();
    let err = Evq
        .peek_at::<Option<String>, _>(&mut ro, "{cold}", 0)
        .unwrap_err();
    // redis's sync cluster pipeline fails as a whole on the replica's refusal.
    assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
    assert!(err.to_string().contains("READONLY"), "{err}");
    assert_eq!(err.ran(), evalsha::Ran::No, "{err}");

    evalsha::functions::load(&mut connect(cluster), &[Evq::library()]).unwrap();
    // Loading again is fine: every primary answers `already exists`.
    evalsha::functions::load(&mut connect(cluster), &[Evq::library()]).unwrap();
    for node in cluster.nodes().into_iter().filter(|n| n.primary) {
        let _: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(5000)
            .query(&mut cluster.node_connection(node.port))
            .unwrap();
    }
    for node in cluster.nodes() {
        assert!(has_library(cluster, node.port), "node {}", node.port);
    }
    let none: Option<String> = Evq.peek_at(&mut ro, "{cold}", 0).unwrap();
    assert_eq!(none, None);
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
    let mut con = connect(cluster);
    let mut ok = 0;
    for _ in 0..10 {
        Evq.push(&mut con, queue, runs, "job").unwrap();
        ok += 1;
    }
    let _: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut cluster.node_connection(old.port))
        .unwrap();
    assert!(
        has_library(cluster, replica.port),
        "the replica has the library before the failover"
    );
    reset_stats(&mut cluster.node_connection(replica.port));
    redis::cmd("CLUSTER")
        .arg("FAILOVER")
        .exec(&mut cluster.node_connection(replica.port))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "calls did not recover");
        let promoted = cluster
            .try_primary_of(slot)
            .is_some_and(|p| p.port == replica.port);
        match Evq.push(&mut con, queue, runs, "job") {
            Ok(_) => {
                ok += 1;
                if promoted {
                    break;
                }
            }
            Err(err) => {
                assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
                if promoted && err.is_io_error() {
                    con = connect(cluster);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    for _ in 0..10 {
        Evq.push(&mut con, queue, runs, "job").unwrap();
        ok += 1;
    }
    let mut check = connect(cluster);
    let counted: i64 = redis::cmd("GET").arg(runs).query(&mut check).unwrap();
    assert_eq!(counted, ok, "every successful call ran once");
    let s = stats(cluster, replica.port);
    assert_eq!(
        s.calls("function|load"),
        0,
        "the promoted replica had the library: no load after the failover"
    );
    assert!(s.calls("fcall") >= 10);
}
