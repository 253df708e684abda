//! `run` on `redis::cluster::ClusterConnection` against a real 3-primary, 3-replica
//! cluster: routing by the first key's slot, loading on the node that runs the call,
//! the cross-slot check, read-only scripts on replicas, and calls through failovers and a
//! slot migration. Counters are checked exact: each successful call adds one.
//!
//! At most once: a client built with `ClusterClientBuilder::retries(0)` runs a call whose
//! reply was lost (a proxy drops the connection after the server answered) or came after
//! the read timeout exactly once, where redis's default client runs it again (measured and asserted here);
//! evalsha follows `MOVED`/`ASK` for it through a slot migration and a failover.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use evalsha::{ErrorKind, Ran};
use evalsha_testkit::cluster::{
    Cluster, ClusterTest, migrate, random_replica, run_tests, set_slot,
};
use evalsha_testkit::proxy::{Proxy, Replies};
use evalsha_testkit::{Stats, error_replies, requires, reset_stats};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConnection};
use std::time::{Duration, Instant};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/incr_pair.lua");
evalsha::include_script!("tests/scripts/read_counter.lua");
evalsha::include_script!("tests/scripts/keyless_hello.lua");

fn main() {
    const TESTS: &[ClusterTest] = &[
        ("slots_match_cluster_keyslot", slots_match_cluster_keyslot),
        (
            "calls_spread_over_all_slots_load_once_per_primary",
            calls_spread_over_all_slots_load_once_per_primary,
        ),
        (
            "cross_slot_keys_fail_before_sending",
            cross_slot_keys_fail_before_sending,
        ),
        ("hash_tags_keep_keys_together", hash_tags_keep_keys_together),
        (
            "keyless_scripts_run_on_one_node",
            keyless_scripts_run_on_one_node,
        ),
        (
            "read_only_scripts_load_and_run_on_replicas",
            read_only_scripts_load_and_run_on_replicas,
        ),
        (
            "manual_failover_promoted_replica_gets_loaded",
            manual_failover_promoted_replica_gets_loaded,
        ),
        (
            "killed_primary_promoted_replica_gets_loaded",
            killed_primary_promoted_replica_gets_loaded,
        ),
        (
            "slot_migration_moved_and_ask_while_calls_run",
            slot_migration_moved_and_ask_while_calls_run,
        ),
        (
            "retries_0_slot_migration_evalsha_follows_ask_and_moved",
            retries_0_slot_migration_evalsha_follows_ask_and_moved,
        ),
        (
            "retries_0_redirect_loop_is_bounded",
            retries_0_redirect_loop_is_bounded,
        ),
        (
            "pipelines_are_refused_before_sending",
            pipelines_are_refused_before_sending,
        ),
        (
            "lost_reply_and_timeout_default_client_resends_retries_0_runs_once",
            lost_reply_and_timeout_default_client_resends_retries_0_runs_once,
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

/// The at-most-once configuration: redis resends nothing, evalsha follows redirects.
fn connect_at_most_once(cluster: &Cluster) -> ClusterConnection {
    ClusterClientBuilder::new(cluster.urls())
        .retries(0)
        .build()
        .unwrap()
        .get_connection()
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

fn script_exists(cluster: &Cluster, port: u16, sha1: &str) -> bool {
    let exists: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(sha1)
        .query(&mut cluster.node_connection(port))
        .unwrap();
    exists[0]
}

/// Keys `prefix:0..n` cover every primary: 64 keys land in all three slot ranges.
/// Redis before 7 propagates `SCRIPT LOAD` to replicas; Redis 7 and Valkey do not (measured:
/// after `WAIT 1`, `SCRIPT EXISTS` on the replica says 0), so a promoted replica starts
/// with an empty script cache there.
fn load_propagates(cluster: &Cluster) -> bool {
    cluster.any_server().major_version() < 7
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

fn slots_match_cluster_keyslot(cluster: &mut Cluster) {
    let mut con = cluster.node_connection(cluster.live_ports()[0]);
    for key in keys("slot", 200).into_iter().chain([
        "{user}:a".into(),
        "a{}b".into(),
        "{{x}}".into(),
        "".into(),
    ]) {
        let expected: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&key)
            .query(&mut con)
            .unwrap();
        assert_eq!(evalsha::hash_slot(key.as_bytes()), expected, "{key:?}");
    }
}

fn calls_spread_over_all_slots_load_once_per_primary(cluster: &mut Cluster) {
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut con = connect(cluster);
    let keys = keys("spread", 64);
    for round in 1..=3 {
        for key in &keys {
            assert_eq!(IncrBy.run(&mut con, key, 1).unwrap(), round);
        }
    }
    let primaries: Vec<_> = cluster.nodes().into_iter().filter(|n| n.primary).collect();
    let mut evalsha = 0;
    for node in &cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            let served = keys
                .iter()
                .filter(|k| {
                    let slot = evalsha::hash_slot(k.as_bytes());
                    node.slots.iter().any(|&(a, b)| (a..=b).contains(&slot))
                })
                .count() as u64;
            assert!(served > 0, "64 keys reach every primary");
            assert_eq!(
                s.calls("script|load"),
                1,
                "one load on primary {}",
                node.port
            );
            // Cold: NOSCRIPT, then the no-op probe, SCRIPT LOAD and the retry pipelined.
            assert_eq!(s.calls("evalsha"), 3 * served + 1);
            assert_eq!(s.calls("eval"), 1, "one probe");
            evalsha += s.calls("evalsha");
        } else {
            let propagated = u64::from(load_propagates(cluster));
            assert_eq!(s.calls("script|load"), propagated, "replica {}", node.port);
            assert_eq!(s.calls("evalsha"), 0);
        }
    }
    assert_eq!(evalsha, 3 * 64 + primaries.len() as u64);
    for key in &keys {
        assert_eq!(get(cluster, key), 3);
    }
}

fn cross_slot_keys_fail_before_sending(cluster: &mut Cluster) {
    let mut con = connect(cluster);
    cluster.reset_stats();
    let err = IncrPair.run(&mut con, "cross:a", "cross:b").unwrap_err();
    let (sa, sb) = (
        evalsha::hash_slot(b"cross:a"),
        evalsha::hash_slot(b"cross:b"),
    );
    assert_ne!(sa, sb);
    assert_eq!(
        err.kind(),
        &ErrorKind::CrossSlot {
            keys: vec![("cross:a".into(), sa), ("cross:b".into(), sb)]
        }
    );
    let text = err.to_string();
    assert!(text.contains("tests/scripts/incr_pair.lua"), "{text}");
    assert!(text.contains(&format!("`cross:a` -> {sa}")), "{text}");
    assert!(text.contains(&format!("`cross:b` -> {sb}")), "{text}");
    for port in cluster.live_ports() {
        let s = cluster.stats(port);
        assert_eq!(
            s.calls("evalsha") + s.calls("script|load"),
            0,
            "nothing sent"
        );
    }
}

fn hash_tags_keep_keys_together(cluster: &mut Cluster) {
    cluster.flush_scripts();
    let mut con = connect(cluster);
    for i in 0..20 {
        let (a, b) = (format!("{{user{i}}}:a"), format!("{{user{i}}}:b"));
        for n in 1..=2 {
            assert_eq!(IncrPair.run(&mut con, &a, &b).unwrap(), n);
        }
        assert_eq!((get(cluster, &a), get(cluster, &b)), (2, 2));
    }
}

fn keyless_scripts_run_on_one_node(cluster: &mut Cluster) {
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut con = connect(cluster);
    for i in 0..30 {
        assert_eq!(
            KeylessHello.run(&mut con, &i.to_string()).unwrap(),
            format!("hello {i}")
        );
    }
    // Each call ran on one node redis chose at random; a node that met NOSCRIPT loaded it.
    // The fallback's pipeline may go to another random node than the NOSCRIPT did.
    let (mut loads, mut probes, mut ran) = (0, 0, 0);
    for port in cluster.live_ports() {
        let s = cluster.stats(port);
        probes += s.calls("eval");
        if !load_propagates(cluster) {
            loads += s.calls("script|load");
            assert_eq!(
                s.calls("script|load") > 0,
                script_exists(cluster, port, KeylessHello::SHA1)
            );
        }
        ran += s.calls("evalsha");
    }
    assert!(probes >= 1);
    if !load_propagates(cluster) {
        assert_eq!(probes, loads, "one probe per load");
    }
    let loads = probes;
    assert_eq!(
        ran,
        30 + loads,
        "each call once, plus one NOSCRIPT per load"
    );
}

fn read_only_scripts_load_and_run_on_replicas(cluster: &mut Cluster) {
    if !requires(cluster.any_server(), 7, "EVALSHA_RO on cluster replicas") {
        // Redis 6.2 has no EVALSHA_RO: a clear error, nothing retried.
        let err = ReadCounter.run(&mut connect(cluster), "ro:0").unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::ReadOnlyUnsupported, "{err}");
        assert!(err.to_string().contains("EVALSHA_RO"), "{err}");
        return;
    }
    let mut con = connect(cluster);
    let keys = keys("ro", 32);
    for key in &keys {
        IncrBy.run(&mut con, key, 7).unwrap();
    }
    cluster.wait_for_replicas();
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut ro = ClusterClientBuilder::new(cluster.urls())
        .read_routing_strategy(random_replica())
        .build()
        .unwrap()
        .get_connection()
        .unwrap();
    for _ in 0..2 {
        for key in &keys {
            assert_eq!(ReadCounter.run(&mut ro, key).unwrap(), 7);
        }
    }
    for node in cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            assert_eq!(s.calls("evalsha_ro") + s.calls("script|load"), 0);
        } else {
            assert_eq!(s.calls("script|load"), 1, "loaded on replica {}", node.port);
            assert!(script_exists(cluster, node.port, ReadCounter::SHA1));
            assert!(s.calls("evalsha_ro") > 2);
        }
    }
}

/// Runs `IncrBy` on `key` until `stop()` holds and a call has succeeded after that,
/// counting successes. Failures are allowed only when `may_fail` (a killed primary), only
/// while the topology changes, and only as connection or cluster-state errors (never a
/// script or `NOSCRIPT` error).
fn calls_until(
    con: &mut ClusterConnection,
    key: &str,
    stop: impl Fn() -> bool,
    may_fail: bool,
    reconnect: impl Fn() -> ClusterConnection,
) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ok = 0;
    loop {
        assert!(Instant::now() < deadline, "calls did not recover");
        let stopped = stop();
        match IncrBy.run(con, key, 1) {
            Ok(_) => {
                ok += 1;
                if stopped {
                    return ok;
                }
            }
            Err(err) => {
                assert!(may_fail, "{err}");
                assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
                if stopped && err.is_io_error() {
                    // redis 1.8's sync cluster connection does not refresh its slot map
                    // when the primary it knows refuses connections (a plain INCR fails
                    // the same way), and with `retries(0)` does not reconnect at all:
                    // it must be rebuilt once the failover is done.
                    *con = reconnect();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
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
    let mut con = connect_at_most_once(cluster);
    let mut ok = 0;
    for _ in 0..10 {
        IncrBy.run(&mut con, key, 1).unwrap();
        ok += 1;
    }
    cluster.wait_for_replica(old.port);
    let had_script = script_exists(cluster, replica.port, IncrBy::SHA1);
    assert_eq!(
        had_script,
        load_propagates(cluster),
        "replica's cache before failover"
    );
    reset_stats(&mut cluster.node_connection(replica.port));
    if kill {
        cluster.server(old.port).stop();
    } else {
        redis::cmd("CLUSTER")
            .arg("FAILOVER")
            .exec(&mut cluster.node_connection(replica.port))
            .unwrap();
    }
    let promoted = || {
        cluster
            .try_primary_of(slot)
            .is_some_and(|p| p.port == replica.port)
    };
    ok += calls_until(&mut con, key, promoted, kill, || {
        connect_at_most_once(cluster)
    });
    for _ in 0..10 {
        IncrBy.run(&mut con, key, 1).unwrap();
        ok += 1;
    }
    assert_eq!(get(cluster, key), ok, "every successful call counted once");
    let s = cluster.stats(replica.port);
    let expected = if had_script { 0 } else { 1 };
    assert_eq!(
        s.calls("script|load"),
        expected,
        "loads on the promoted replica"
    );
    if kill {
        cluster.server(old.port).restart().unwrap();
    }
}

fn manual_failover_promoted_replica_gets_loaded(cluster: &mut Cluster) {
    failover_test(cluster, "failover:manual", false);
}

fn killed_primary_promoted_replica_gets_loaded(cluster: &mut Cluster) {
    failover_test(cluster, "failover:kill", true);
}

fn slot_migration_moved_and_ask_while_calls_run(cluster: &mut Cluster) {
    slot_migration(cluster, "migrate:counter", false);
}

/// Under the at-most-once client redis hands `ASK` and `MOVED` back; evalsha follows them
/// (`ASKING` first on the target).
fn retries_0_slot_migration_evalsha_follows_ask_and_moved(cluster: &mut Cluster) {
    slot_migration(cluster, "migrate0:counter", true);
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
    let mut con = if at_most_once {
        connect_at_most_once(cluster)
    } else {
        connect(cluster)
    };
    // Warm both primaries: the target already serves other slots and so has the script.
    for k in keys("warm", 64) {
        IncrBy.run(&mut con, &k, 1).unwrap();
    }
    let ok = std::cell::Cell::new(0);
    let call = |con: &mut ClusterConnection| {
        IncrBy.run(con, key, 1).unwrap();
        ok.set(ok.get() + 1);
    };
    call(&mut con);
    let mut s = cluster.node_connection(src.port);
    let mut d = cluster.node_connection(dst.port);
    set_slot(&mut d, slot, &["IMPORTING", &src.id]);
    set_slot(&mut s, slot, &["MIGRATING", &dst.id]);
    call(&mut con); // key still on the source: served there
    migrate(&mut s, dst.port, &[key]);
    reset_stats(&mut d);
    for _ in 0..5 {
        call(&mut con); // ASK: the client follows to the target with ASKING
    }
    assert_eq!(Stats::read(&mut d).calls("evalsha"), 5, "ASK followed");
    // The target without the script, in the ASK window: loaded there, the call runs once.
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut d).unwrap();
    call(&mut con);
    assert!(Stats::read(&mut d).calls("script|load") >= 1);
    assert_eq!(
        get(cluster, key),
        ok.get(),
        "the cold call ran exactly once"
    );
    // The target first, then the source, then the other primary, as `redis-cli --cluster`
    // does, and wait until every node (replicas too) knows the new owner, so that whichever
    // node redis asks for the slot map names it.
    let third = cluster
        .nodes()
        .into_iter()
        .find(|n| n.primary && !n.failed && n.id != src.id && n.id != dst.id)
        .unwrap();
    let mut t = cluster.node_connection(third.port);
    for c in [&mut d, &mut s, &mut t] {
        set_slot(c, slot, &["NODE", &dst.id]);
    }
    cluster.wait_settled().unwrap();
    reset_stats(&mut s);
    for _ in 0..5 {
        call(&mut con); // MOVED once, then straight to the target
    }
    // redis's sync connection refreshes its slot map on `MOVED` only with retries left;
    // under `retries(0)` evalsha sends each call on after its `MOVED` (see the README).
    let moved = error_replies(&mut s, "MOVED");
    if at_most_once {
        assert_eq!(moved, 5, "each call redirected once, none twice");
    } else {
        // redis refreshes from one node, which may not know the new owner yet (seen on
        // Valkey): then a second call meets `MOVED` too.
        assert_eq!(moved, 1, "MOVED once: redis refreshed its slot map");
    }
    assert_eq!(cluster.primary_of(slot).id, dst.id);
    assert_eq!(get(cluster, key), ok.get());
    assert_eq!(ok.get(), 13);
}

fn pipelines_are_refused_before_sending(cluster: &mut Cluster) {
    let mut con = connect(cluster);
    cluster.reset_stats();
    for atomic in [false, true] {
        let mut pipe = evalsha::Pipeline::new();
        if atomic {
            pipe.atomic();
        }
        pipe.script(IncrBy.call("{p}:a", 1))
            .cmd("INCR")
            .arg("{p}:b");
        let err = pipe.query::<(i64, i64), _>(&mut con).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("sync Redis Cluster"), "{err}");
        assert!(pipe.query_each(&mut con).is_err());
    }
    for port in cluster.live_ports() {
        let s = cluster.stats(port);
        let sent = s.calls("evalsha") + s.calls("script|load") + s.calls("incr");
        assert_eq!(sent, 0, "nothing sent to {port}");
    }
    assert_eq!((get(cluster, "{p}:a"), get(cluster, "{p}:b")), (0, 0));
}

/// A proxy in front of the primary of the counters' slot, which that node announces as its
/// address (`cluster-announce-port`), so that cluster clients reach it through the proxy.
/// It loses a reply, then holds replies past a read timeout; see the two checks below.
fn lost_reply_and_timeout_default_client_resends_retries_0_runs_once(cluster: &mut Cluster) {
    let key = "{proxied}:lost";
    let primary = cluster.primary_of(evalsha::hash_slot(key.as_bytes())).port;
    let proxy = Proxy::start(primary, Duration::ZERO).unwrap();
    let announced = cluster.announce_port(primary, proxy.port()).unwrap();
    // Learn the topology from another node: it names the proxy as the primary's address.
    let other = cluster
        .live_ports()
        .into_iter()
        .find(|&p| p != primary)
        .unwrap();
    let client = |retries: Option<u32>, timeout: Option<Duration>| {
        let mut builder = ClusterClientBuilder::new(vec![format!("redis://127.0.0.1:{other}/")]);
        if let Some(retries) = retries {
            builder = builder.retries(retries);
        }
        if let Some(timeout) = timeout {
            builder = builder.response_timeout(timeout);
        }
        builder.build().unwrap().get_connection().unwrap()
    };
    lost_reply(cluster, &proxy, primary, key, client);
    timeout(cluster, &proxy, primary, "{proxied}:timeout", client);
    drop(announced);
}

/// The proxy drops the connection after the server ran the call and answered. redis's
/// default client reconnects and sends the call again: the script runs twice and the
/// caller sees `Ok` (measured on Redis 7.0, 6.2 and Valkey 8.1). Built with `retries(0)`,
/// the call runs once and fails: an I/O error, `Ran::Unknown`.
fn lost_reply(
    cluster: &Cluster,
    proxy: &Proxy,
    primary: u16,
    key: &str,
    client: impl Fn(Option<u32>, Option<Duration>) -> ClusterConnection,
) {
    for retries in [None, Some(0)] {
        let mut con = client(retries, None);
        let before = IncrBy.run(&mut con, key, 1).unwrap(); // warm, through the proxy
        assert_eq!(get_on(cluster, primary, key), before);
        let dropped = proxy.dropped_replies();
        proxy.drop_reply_to(b"EVALSHA");
        let result = IncrBy.run(&mut con, key, 1);
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
                // redis's sync connection does not reconnect that node without retries:
                // it says so, and a rebuilt connection works.
                assert!(!redis::ConnectionLike::is_open(&con));
                let mut con = client(retries, None);
                assert_eq!(IncrBy.run(&mut con, key, 1).unwrap(), before + 2);
            }
        }
    }
}

/// The proxy holds the replies back: every read times out (20 ms), as when the script
/// runs longer than the read timeout. redis's default sync client resends the call on each
/// timeout, 16 times: it runs 17 times, and the caller gets a timeout. Built with
/// `retries(0)`, it runs once: a timeout, `Ran::Unknown`.
fn timeout(
    cluster: &Cluster,
    proxy: &Proxy,
    primary: u16,
    key: &str,
    client: impl Fn(Option<u32>, Option<Duration>) -> ClusterConnection,
) {
    for (retries, runs) in [(None, 17), (Some(0), 1)] {
        let mut con = client(retries, Some(Duration::from_millis(20)));
        let before = IncrBy.run(&mut con, key, 1).unwrap(); // warm, through the proxy
        proxy.set_replies(Replies::Hold);
        let err = IncrBy.run(&mut con, key, 1).unwrap_err();
        proxy.set_replies(Replies::Forward);
        assert!(err.is_io_error(), "{err}");
        assert_eq!(err.ran(), Ran::Unknown, "{err}");
        assert_eq!(
            get_on(cluster, primary, key) - before,
            runs,
            "retries: {retries:?}"
        );
    }
}

/// A slot marked `MIGRATING` on its primary without the target `IMPORTING` it: the primary
/// answers `ASK target` for a missing key, the target `MOVED primary`. evalsha follows
/// `MAX_REDIRECTS` (5) redirects, then returns the last one: nothing ran (`Ran::No`).
fn retries_0_redirect_loop_is_bounded(cluster: &mut Cluster) {
    let key = "loop:counter";
    let slot = evalsha::hash_slot(key.as_bytes());
    let src = cluster.primary_of(slot);
    let dst = cluster
        .nodes()
        .into_iter()
        .find(|n| n.primary && !n.failed && n.id != src.id)
        .unwrap();
    let mut con = connect_at_most_once(cluster);
    let (mut s, mut d) = (
        cluster.node_connection(src.port),
        cluster.node_connection(dst.port),
    );
    set_slot(&mut s, slot, &["MIGRATING", &dst.id]);
    reset_stats(&mut s);
    reset_stats(&mut d);
    let err = IncrBy.run(&mut con, key, 1).unwrap_err();
    set_slot(&mut s, slot, &["STABLE"]);
    assert_eq!(err.ran(), Ran::No, "{err}");
    assert!(err.to_string().contains("MOVED"), "{err}");
    // One send and five redirects: src, dst, src, dst, src, dst.
    assert_eq!(error_replies(&mut s, "ASK"), 3);
    assert_eq!(error_replies(&mut d, "MOVED"), 3);
    assert_eq!(get(cluster, key), 0, "nothing ran");
}
