//! `run` on `redis::cluster::ClusterConnection` and `run_async` on
//! `redis::cluster_async::ClusterConnection` (feature `cluster-async`) against a real
//! 3-primary, 3-replica cluster: routing by the first key's slot, loading on the node that
//! runs the call, the cross-slot check, read-only scripts on replicas, and calls through
//! failovers and a slot migration. Counters are checked exact: each successful call adds
//! one.
//!
//! Each scenario is written once and runs on both connection kinds ([`Kind`]): first every
//! scenario on the sync connection, then (with `cluster-async`) every one again on the
//! async connection, its test name prefixed `async_`. Where the two kinds differ (redis
//! treats them differently), the scenario asks [`Kind`] and says why.
//!
//! At most once: a client built with `ClusterClientBuilder::retries(0)` runs a call whose
//! reply was lost (a proxy drops the connection after the server answered) or, on the sync
//! connection, came after the read timeout, exactly once, where redis's default client runs
//! it again (measured and asserted here); evalsha follows `MOVED`/`ASK` for it through a
//! slot migration and a failover.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use evalsha::{Call, ErrorKind, Pipeline, Ran};
use evalsha_testkit::cluster::{Cluster, ClusterTest, keys, migrate, run_tests, set_slot};
use evalsha_testkit::proxy::{Proxy, Replies};
use evalsha_testkit::{Stats, error_replies, requires, reset_stats};
use redis::FromRedisValue;
use redis::cluster::ClusterClientBuilder;
use std::time::Duration;

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/incr_pair.lua");
evalsha::include_script!("tests/scripts/read_counter.lua");
evalsha::include_script!("tests/scripts/keyless_hello.lua");

/// `$tests.push` of each scenario on `$kind`, named `$prefix` + the scenario's name.
macro_rules! on {
    ($tests:ident, $kind:expr, $prefix:literal: $($scenario:ident),* $(,)?) => {
        $($tests.push((
            concat!($prefix, stringify!($scenario)),
            |cluster: &mut Cluster| $scenario(cluster, $kind),
        ));)*
    };
}

/// The scenarios that run on both kinds, in order.
macro_rules! on_each_kind {
    ($tests:ident, $kind:expr, $prefix:literal) => {
        on!($tests, $kind, $prefix:
            calls_spread_over_all_slots_load_once_per_primary,
            cross_slot_keys_fail_before_sending,
            hash_tags_keep_keys_together,
            keyless_scripts_run_on_one_node,
            read_only_scripts_load_and_run_on_replicas,
            manual_failover_promoted_replica_gets_loaded,
            killed_primary_promoted_replica_gets_loaded,
            slot_migration_moved_and_ask_while_calls_run,
            retries_0_slot_migration_evalsha_follows_ask_and_moved,
            retries_0_redirect_loop_is_bounded,
            lost_reply_default_client_resends_retries_0_runs_once,
            lost_reply_default_client_with_a_token_runs_once,
        );
    };
}

fn main() {
    let mut tests: Vec<ClusterTest> =
        vec![("slots_match_cluster_keyslot", slots_match_cluster_keyslot)];
    on_each_kind!(tests, Kind::Sync, "");
    #[cfg(feature = "metrics")]
    on!(tests, Kind::Sync, "": metrics_record_each_call_once_and_each_nodes_load);
    tests.push((
        "pipelines_are_refused_before_sending",
        pipelines_are_refused_before_sending,
    ));
    tests.push((
        "timeout_default_client_resends_retries_0_runs_once",
        timeout_default_client_resends_retries_0_runs_once,
    ));
    #[cfg(feature = "cluster-async")]
    {
        on_each_kind!(tests, Kind::Async, "async_");
        #[cfg(feature = "metrics")]
        on!(tests, Kind::Async, "async_": metrics_record_each_call_once_and_each_nodes_load);
        tests.push((
            "async_pipelines_in_one_slot_run_on_its_primary",
            async_pipelines_in_one_slot_run_on_its_primary,
        ));
    }
    run_tests(&tests);
}

/// Which cluster connection a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `redis::cluster::ClusterConnection`, called with `run`.
    Sync,
    /// `redis::cluster_async::ClusterConnection`, called with `run_async`.
    #[cfg(feature = "cluster-async")]
    Async,
}

impl Kind {
    /// `name` as this kind's keys spell it: an async scenario's keys start with `a`, so that
    /// the counters of both kinds stay apart on the one cluster.
    fn key(self, name: &str) -> String {
        match self {
            Kind::Sync => name.to_owned(),
            #[cfg(feature = "cluster-async")]
            Kind::Async => format!("a{name}"),
        }
    }

    /// A connection with redis's default settings.
    fn connect(self, cluster: &Cluster) -> Con {
        Con::new(self, cluster.builder())
    }

    /// The at-most-once configuration: redis resends nothing, evalsha follows redirects.
    fn connect_at_most_once(self, cluster: &Cluster) -> Con {
        Con::new(self, cluster.builder().retries(0))
    }

    /// `EVAL` probes sent per load: the sync fallback leads its pipeline with a no-op probe
    /// so that redis routes the load to the call's node; the async one needs none (see
    /// evalsha's cluster module).
    fn probes_per_load(self) -> u64 {
        match self {
            Kind::Sync => 1,
            #[cfg(feature = "cluster-async")]
            Kind::Async => 0,
        }
    }
}

/// A cluster connection of either kind; an async one with the runtime that drives it.
enum Con {
    Sync(Box<redis::cluster::ClusterConnection>),
    #[cfg(feature = "cluster-async")]
    Async(
        redis::cluster_async::ClusterConnection,
        tokio::runtime::Runtime,
    ),
}

impl Con {
    fn new(kind: Kind, builder: ClusterClientBuilder) -> Con {
        let client = builder.build().unwrap();
        match kind {
            Kind::Sync => Con::Sync(Box::new(client.get_connection().unwrap())),
            #[cfg(feature = "cluster-async")]
            Kind::Async => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let con = runtime.block_on(client.get_async_connection()).unwrap();
                Con::Async(con, runtime)
            }
        }
    }

    /// `call.run` or `call.run_async`.
    fn run<T: FromRedisValue>(&mut self, call: Call<T>) -> Result<T, evalsha::Error> {
        match self {
            Con::Sync(con) => call.run(&mut **con),
            #[cfg(feature = "cluster-async")]
            Con::Async(con, runtime) => runtime.block_on(call.run_async(con)),
        }
    }

    /// `pipe.query` or `pipe.query_async`.
    #[cfg(feature = "cluster-async")]
    fn query<T: FromRedisValue>(&mut self, pipe: &Pipeline) -> Result<T, evalsha::Error> {
        match self {
            Con::Sync(con) => pipe.query(&mut **con),
            #[cfg(feature = "cluster-async")]
            Con::Async(con, runtime) => runtime.block_on(pipe.query_async(con)),
        }
    }

    /// `is_open()` of a sync connection; `None` for an async one, which has no such
    /// method.
    fn sync_is_open(&self) -> Option<bool> {
        match self {
            Con::Sync(con) => Some(redis::ConnectionLike::is_open(&**con)),
            #[cfg(feature = "cluster-async")]
            Con::Async(..) => None,
        }
    }

    /// Waits `duration`; an async connection's background tasks run meanwhile.
    fn pause(&self, duration: Duration) {
        match self {
            Con::Sync(_) => std::thread::sleep(duration),
            #[cfg(feature = "cluster-async")]
            Con::Async(_, runtime) => {
                runtime.block_on(async { tokio::time::sleep(duration).await })
            }
        }
    }
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

/// With the feature `metrics` (a recording recorder on this thread; the async kind runs on
/// a current-thread runtime here, so it sees every poll): calls spread over every primary
/// of a flushed cluster record one duration each, and `evalsha.script.loads` counts what
/// the nodes counted, one `noscript` load per primary.
#[cfg(feature = "metrics")]
fn metrics_record_each_call_once_and_each_nodes_load(cluster: &mut Cluster, kind: Kind) {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut con = kind.connect(cluster);
    let keys = keys(&kind.key("metered"), 64);
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        for round in 1..=2 {
            for key in &keys {
                assert_eq!(con.run(IncrBy.call(key, 1)).unwrap(), round);
            }
        }
    });
    let (mut durations, mut loads, mut failures) = (0, 0, 0);
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let label = |name: &str| {
            key.labels()
                .find(|l| l.key() == name)
                .map(|l| l.value().to_owned())
        };
        assert_eq!(label("db.stored_procedure.name").as_deref(), Some("IncrBy"));
        failures += usize::from(label("error.type").is_some());
        match (key.name(), value) {
            ("db.client.operation.duration", DebugValue::Histogram(samples)) => {
                assert_eq!(label("db.operation.name").as_deref(), Some("EVALSHA"));
                durations += samples.len();
            }
            ("evalsha.script.loads", DebugValue::Counter(n)) => {
                assert_eq!(label("evalsha.load.reason").as_deref(), Some("noscript"));
                loads += n;
            }
            (name, value) => panic!("unexpected {name}: {value:?}"),
        }
    }
    let primaries = cluster.primaries();
    let loaded: u64 = primaries
        .iter()
        .map(|n| cluster.stats(n.port).calls("script|load"))
        .sum();
    assert_eq!(durations, 2 * 64, "one duration per call");
    assert_eq!(failures, 0);
    assert_eq!(loads, loaded, "the loads the primaries counted");
    assert_eq!(loads, primaries.len() as u64, "one per primary");
}

fn calls_spread_over_all_slots_load_once_per_primary(cluster: &mut Cluster, kind: Kind) {
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut con = kind.connect(cluster);
    let keys = keys(&kind.key("spread"), 64);
    for round in 1..=3 {
        for key in &keys {
            assert_eq!(con.run(IncrBy.call(key, 1)).unwrap(), round);
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
            // Cold: NOSCRIPT, then (sync: the no-op probe,) SCRIPT LOAD and the retry
            // pipelined.
            assert_eq!(s.calls("evalsha"), 3 * served + 1);
            assert_eq!(s.calls("eval"), kind.probes_per_load(), "probes");
            evalsha += s.calls("evalsha");
        } else {
            let propagated = u64::from(cluster.loads_propagate());
            assert_eq!(s.calls("script|load"), propagated, "replica {}", node.port);
            assert_eq!(s.calls("evalsha"), 0);
        }
    }
    assert_eq!(evalsha, 3 * 64 + primaries.len() as u64);
    for key in &keys {
        assert_eq!(cluster.get(key), 3);
    }
}

/// Keys in two slots fail before anything is sent, naming the script and each key's slot;
/// keys in one slot (a hash tag) run.
fn cross_slot_keys_fail_before_sending(cluster: &mut Cluster, kind: Kind) {
    let mut con = kind.connect(cluster);
    cluster.reset_stats();
    let err = con.run(IncrPair.call("cross:a", "cross:b")).unwrap_err();
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
    let (a, b) = (kind.key("{t}:a"), kind.key("{t}:b"));
    assert_eq!(con.run(IncrPair.call(&a, &b)).unwrap(), 1);
    assert_eq!(cluster.get(&b), 1);
}

fn hash_tags_keep_keys_together(cluster: &mut Cluster, kind: Kind) {
    cluster.flush_scripts();
    let mut con = kind.connect(cluster);
    for i in 0..20 {
        let (a, b) = (
            kind.key(&format!("{{user{i}}}:a")),
            kind.key(&format!("{{user{i}}}:b")),
        );
        for n in 1..=2 {
            assert_eq!(con.run(IncrPair.call(&a, &b)).unwrap(), n);
        }
        assert_eq!((cluster.get(&a), cluster.get(&b)), (2, 2));
    }
}

fn keyless_scripts_run_on_one_node(cluster: &mut Cluster, kind: Kind) {
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut con = kind.connect(cluster);
    for i in 0..30 {
        assert_eq!(
            con.run(KeylessHello.call(&i.to_string())).unwrap(),
            format!("hello {i}")
        );
    }
    // Each call ran on one node redis chose at random; a node that met NOSCRIPT loaded it.
    // The fallback's pipeline may go to another random node than the NOSCRIPT did.
    let (mut noscripts, mut loads, mut probes, mut ran) = (0, 0, 0, 0);
    for port in cluster.live_ports() {
        let s = cluster.stats(port);
        noscripts += error_replies(&mut cluster.node_connection(port), "NOSCRIPT");
        probes += s.calls("eval");
        if !cluster.loads_propagate() {
            loads += s.calls("script|load");
            assert_eq!(
                s.calls("script|load") > 0,
                cluster.script_exists(port, KeylessHello::SHA1)
            );
        }
        ran += s.calls("evalsha");
    }
    assert!(noscripts >= 1);
    assert_eq!(
        probes,
        kind.probes_per_load() * noscripts,
        "probes per load"
    );
    if !cluster.loads_propagate() {
        assert_eq!(loads, noscripts, "one load per NOSCRIPT");
    }
    assert_eq!(
        ran,
        30 + noscripts,
        "each call once, plus one NOSCRIPT per load"
    );
}

fn read_only_scripts_load_and_run_on_replicas(cluster: &mut Cluster, kind: Kind) {
    if !requires(cluster.any_server(), 7, "EVALSHA_RO on cluster replicas") {
        // Redis 6.2 has no EVALSHA_RO: a clear error, nothing retried.
        let err = kind
            .connect(cluster)
            .run(ReadCounter.call("ro:0"))
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::ReadOnlyUnsupported, "{err}");
        assert!(err.to_string().contains("EVALSHA_RO"), "{err}");
        return;
    }
    let mut con = kind.connect(cluster);
    let keys = keys(&kind.key("ro"), 32);
    for key in &keys {
        con.run(IncrBy.call(key, 7)).unwrap();
    }
    cluster.wait_for_replicas();
    cluster.flush_scripts();
    cluster.reset_stats();
    let mut ro = Con::new(kind, cluster.replica_reads());
    for _ in 0..2 {
        for key in &keys {
            assert_eq!(ro.run(ReadCounter.call(key)).unwrap(), 7);
        }
    }
    for node in cluster.nodes() {
        let s = cluster.stats(node.port);
        if node.primary {
            assert_eq!(s.calls("evalsha_ro") + s.calls("script|load"), 0);
        } else {
            assert_eq!(s.calls("script|load"), 1, "loaded on replica {}", node.port);
            assert!(cluster.script_exists(node.port, ReadCounter::SHA1));
            assert!(s.calls("evalsha_ro") > 2);
        }
    }
}

/// A failover under the at-most-once client (`retries(0)`): evalsha follows the `MOVED`
/// from the demoted primary. A manual failover fails no call; a killed primary fails calls
/// only until its replica's promotion has reached every node, and only as connection or
/// cluster-state errors (never a script or `NOSCRIPT` error). Every success counted once; the promoted replica
/// loads the script unless the server propagated the load to it.
fn failover_test(cluster: &mut Cluster, kind: Kind, key: &str, kill: bool) {
    let slot = evalsha::hash_slot(key.as_bytes());
    let old = cluster.primary_of(slot);
    let replica = cluster.replicas_of(&old.id).remove(0);
    let mut con = kind.connect_at_most_once(cluster);
    let mut ok = 0;
    for _ in 0..10 {
        con.run(IncrBy.call(key, 1)).unwrap();
        ok += 1;
    }
    cluster.wait_for_replica(old.port);
    let had_script = cluster.script_exists(replica.port, IncrBy::SHA1);
    assert_eq!(
        had_script,
        cluster.loads_propagate(),
        "replica's cache before failover"
    );
    reset_stats(&mut cluster.node_connection(replica.port));
    if kill {
        cluster.server(old.port).stop();
    } else {
        cluster.failover(replica.port);
    }
    ok += cluster.calls_until_promoted(
        slot,
        replica.port,
        &mut con,
        |con| con.run(IncrBy.call(key, 1)).map(drop),
        |con, err, promoted| {
            assert!(kill, "a manual failover fails no call: {err}");
            assert_eq!(err.kind(), &ErrorKind::Redis, "{err}");
            if promoted && err.is_io_error() && kind == Kind::Sync {
                // redis 1.8's sync cluster connection does not refresh its slot map when
                // the primary it knows refuses connections (a plain INCR fails the same
                // way), and with `retries(0)` does not reconnect at all: it must be
                // rebuilt once the failover is done. The async one recovers by itself.
                *con = kind.connect_at_most_once(cluster);
            }
            con.pause(Duration::from_millis(50));
        },
    );
    for _ in 0..10 {
        con.run(IncrBy.call(key, 1)).unwrap();
        ok += 1;
    }
    assert_eq!(cluster.get(key), ok, "every successful call counted once");
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

fn manual_failover_promoted_replica_gets_loaded(cluster: &mut Cluster, kind: Kind) {
    failover_test(cluster, kind, &kind.key("failover:manual"), false);
}

fn killed_primary_promoted_replica_gets_loaded(cluster: &mut Cluster, kind: Kind) {
    failover_test(cluster, kind, &kind.key("failover:kill"), true);
}

fn slot_migration_moved_and_ask_while_calls_run(cluster: &mut Cluster, kind: Kind) {
    slot_migration(cluster, kind, &kind.key("migrate:counter"), false);
}

/// Under the at-most-once client redis hands `ASK` and `MOVED` back; evalsha follows them
/// (`ASKING` first on the target).
fn retries_0_slot_migration_evalsha_follows_ask_and_moved(cluster: &mut Cluster, kind: Kind) {
    slot_migration(cluster, kind, &kind.key("migrate0:counter"), true);
}

/// A slot migration while calls run: still on the source, `ASK` to the target (also with
/// the script missing there), then `MOVED` once and straight to the target after that.
fn slot_migration(cluster: &mut Cluster, kind: Kind, key: &str, at_most_once: bool) {
    let slot = evalsha::hash_slot(key.as_bytes());
    let src = cluster.primary_of(slot);
    let dst = cluster.other_primary(&[&src.id]);
    let third = cluster.other_primary(&[&src.id, &dst.id]);
    let mut con = if at_most_once {
        kind.connect_at_most_once(cluster)
    } else {
        kind.connect(cluster)
    };
    // Warm every primary: the target already serves other slots and so has the script.
    for k in keys(&kind.key("warm"), 64) {
        con.run(IncrBy.call(&k, 1)).unwrap();
    }
    let mut ok = 0;
    let mut call = |con: &mut Con| {
        con.run(IncrBy.call(key, 1)).unwrap();
        ok += 1;
        ok
    };
    call(&mut con);
    let mut s = cluster.node_connection(src.port);
    let mut d = cluster.node_connection(dst.port);
    let mut t = cluster.node_connection(third.port);
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
    let ran = call(&mut con);
    assert!(Stats::read(&mut d).calls("script|load") >= 1);
    assert_eq!(cluster.get(key), ran, "the cold call ran exactly once");
    // The target first, then the source, then the other primary, as `redis-cli --cluster`
    // does, and wait until every node (replicas too) knows the new owner, so that whichever
    // node redis asks for the slot map names it.
    for c in [&mut d, &mut s, &mut t] {
        set_slot(c, slot, &["NODE", &dst.id]);
    }
    cluster.wait_settled().unwrap();
    reset_stats(&mut s);
    #[cfg(feature = "cluster-async")]
    if at_most_once && kind == Kind::Async {
        // evalsha follows redirects for single calls only: a pipeline meets `MOVED` and
        // fails whole, having run nothing. (The sync connection refuses pipelines, see
        // `pipelines_are_refused_before_sending`.)
        let mut pipe = Pipeline::new();
        pipe.script(IncrBy.call(key, 1));
        let err = con.query::<(i64,)>(&pipe).unwrap_err();
        assert_eq!(err.ran(), Ran::No, "{err}");
        assert!(err.to_string().contains("MOVED"), "{err}");
        assert_eq!(cluster.get(key), ran, "nothing ran");
    }
    let mut ran = 0;
    for _ in 0..5 {
        ran = call(&mut con); // MOVED once, then straight to the target
    }
    let moved = error_replies(&mut s, "MOVED");
    if at_most_once && kind == Kind::Sync {
        // redis's sync connection refreshes its slot map on `MOVED` only with retries
        // left; under `retries(0)` evalsha sends each call on after its `MOVED` (see the
        // README).
        assert_eq!(moved, 5, "each call redirected once, none twice");
    } else {
        // redis refreshes its slot map on `MOVED` (the async connection also under
        // `retries(0)`).
        assert_eq!(moved, 1, "MOVED once: redis refreshed its slot map");
    }
    assert_eq!(cluster.primary_of(slot).id, dst.id);
    assert_eq!(cluster.get(key), ran);
    assert_eq!(ran, 13);
}

/// A slot marked `MIGRATING` on its primary without the target `IMPORTING` it: the primary
/// answers `ASK target` for a missing key, the target `MOVED primary`. evalsha follows
/// `MAX_REDIRECTS` (5) redirects, then returns the last one: nothing ran (`Ran::No`).
fn retries_0_redirect_loop_is_bounded(cluster: &mut Cluster, kind: Kind) {
    let key = kind.key("loop:counter");
    let slot = evalsha::hash_slot(key.as_bytes());
    let src = cluster.primary_of(slot);
    let dst = cluster.other_primary(&[&src.id]);
    let mut con = kind.connect_at_most_once(cluster);
    let (mut s, mut d) = (
        cluster.node_connection(src.port),
        cluster.node_connection(dst.port),
    );
    set_slot(&mut s, slot, &["MIGRATING", &dst.id]);
    reset_stats(&mut s);
    reset_stats(&mut d);
    let err = con.run(IncrBy.call(&key, 1)).unwrap_err();
    set_slot(&mut s, slot, &["STABLE"]);
    assert_eq!(err.ran(), Ran::No, "{err}");
    assert!(err.to_string().contains("MOVED"), "{err}");
    // One send and five redirects: src, dst, src, dst, src, dst.
    assert_eq!(error_replies(&mut s, "ASK"), 3);
    assert_eq!(error_replies(&mut d, "MOVED"), 3);
    assert_eq!(cluster.get(&key), 0, "nothing ran");
}

/// redis's sync cluster connection would send a pipeline to a random node: evalsha
/// refuses it whole (`ErrorKind::Unsupported`) before sending anything.
fn pipelines_are_refused_before_sending(cluster: &mut Cluster) {
    let mut con = cluster.connection();
    cluster.reset_stats();
    for atomic in [false, true] {
        let mut pipe = Pipeline::new();
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
    assert_eq!((cluster.get("{p}:a"), cluster.get("{p}:b")), (0, 0));
}

/// redis's async cluster connection sends a pipeline whose commands share a slot to that
/// slot's primary (plain and atomic), and refuses one across slots (nothing runs).
#[cfg(feature = "cluster-async")]
fn async_pipelines_in_one_slot_run_on_its_primary(cluster: &mut Cluster) {
    let slot = evalsha::hash_slot(b"{ap}");
    for (round, atomic) in [(1, false), (2, true)] {
        cluster.flush_scripts();
        cluster.reset_stats();
        let mut con = Kind::Async.connect(cluster);
        let mut pipe = Pipeline::new();
        if atomic {
            pipe.atomic();
        }
        pipe.script(IncrBy.call("{ap}:a", 1))
            .cmd("INCR")
            .arg("{ap}:b");
        let got: (i64, i64) = con.query(&pipe).unwrap();
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
    assert_eq!((cluster.get("{ap}:a"), cluster.get("{ap}:b")), (2, 2));
    // Calls in different slots: redis refuses the pipeline, nothing runs.
    let mut pipe = Pipeline::new();
    pipe.script(IncrBy.call("cross:a", 1))
        .script(IncrBy.call("cross:b", 1));
    let err = Kind::Async
        .connect(cluster)
        .query::<(i64, i64)>(&pipe)
        .unwrap_err();
    assert_eq!(
        err.redis_error().map(|e| e.kind()),
        Some(redis::ErrorKind::Server(redis::ServerErrorKind::CrossSlot)),
        "{err}"
    );
    assert_eq!((cluster.get("cross:a"), cluster.get("cross:b")), (0, 0));
}

/// The proxy in front of the primary of `key`'s slot that [`through_proxy`] hands a test.
struct Proxied<'c> {
    cluster: &'c Cluster,
    proxy: Proxy,
    /// The port of the primary behind the proxy.
    primary: u16,
    /// Another node's port: clients learn the topology there, which names the proxy as the
    /// primary's address.
    other: u16,
}

impl Proxied<'_> {
    /// A client that reaches the primary through the proxy, with redis's default retries
    /// or `retries`, and a read timeout when `timeout` says so.
    fn connect(&self, kind: Kind, retries: Option<u32>, timeout: Option<Duration>) -> Con {
        let mut builder =
            ClusterClientBuilder::new(vec![format!("redis://127.0.0.1:{}/", self.other)]);
        if let Some(retries) = retries {
            builder = builder.retries(retries);
        }
        if let Some(timeout) = timeout {
            builder = builder.response_timeout(timeout);
        }
        Con::new(kind, builder)
    }

    /// The counter at `key`, read straight from the primary.
    fn count(&self, key: &str) -> i64 {
        self.cluster.get_on(self.primary, key)
    }
}

/// Runs `test` with a proxy in front of the primary of `key`'s slot, which that node
/// announces as its address (`cluster-announce-port`), so that cluster clients reach it
/// through the proxy; the node announces its own port again afterwards.
fn through_proxy(cluster: &Cluster, key: &str, test: impl FnOnce(&Proxied)) {
    let primary = cluster.primary_of(evalsha::hash_slot(key.as_bytes())).port;
    let proxy = Proxy::start(primary, Duration::ZERO).unwrap();
    let announced = cluster.announce_port(primary, proxy.port()).unwrap();
    let other = cluster
        .live_ports()
        .into_iter()
        .find(|&p| p != primary)
        .unwrap();
    test(&Proxied {
        cluster,
        proxy,
        primary,
        other,
    });
    drop(announced);
}

/// The proxy drops the connection after the server ran the call and answered. redis's
/// default client reconnects and sends the call again: the script runs twice and the
/// caller sees `Ok` (measured on Redis 7.0, 6.2 and Valkey 8.1). Built with `retries(0)`,
/// the call runs once and fails: an I/O error, `Ran::Unknown`.
fn lost_reply_default_client_resends_retries_0_runs_once(cluster: &mut Cluster, kind: Kind) {
    let key = kind.key("{proxied}:lost");
    through_proxy(cluster, &key, |p| {
        for retries in [None, Some(0)] {
            let mut con = p.connect(kind, retries, None);
            let before = con.run(IncrBy.call(&key, 1)).unwrap(); // warm, through the proxy
            assert_eq!(p.count(&key), before);
            let dropped = p.proxy.dropped_replies();
            p.proxy.drop_reply_to(b"EVALSHA");
            let result = con.run(IncrBy.call(&key, 1));
            assert_eq!(p.proxy.dropped_replies(), dropped + 1, "the reply was lost");
            let runs = p.count(&key) - before;
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
                    if let Some(open) = con.sync_is_open() {
                        // redis's sync connection does not reconnect that node without
                        // retries: it says so, and a rebuilt connection works. The async
                        // one reconnects by itself.
                        assert!(!open);
                        con = p.connect(kind, retries, None);
                    }
                    assert_eq!(con.run(IncrBy.call(&key, 1)).unwrap(), before + 2);
                }
            }
        }
    });
}

/// The same lost reply with a token (`Call::once`, see tests/once.rs): redis's default
/// client sends the call again after the drop, and the resend returns the first run's
/// recorded reply: the script ran once and the caller sees `Ok`.
fn lost_reply_default_client_with_a_token_runs_once(cluster: &mut Cluster, kind: Kind) {
    let key = kind.key("{proxied}:once");
    through_proxy(cluster, &key, |p| {
        let mut con = p.connect(kind, None, None);
        // Warm: the tokened form loaded through the proxy.
        let before = con
            .run(IncrBy.call(&key, 1).once(&evalsha::Token::new()))
            .unwrap();
        let token = evalsha::Token::new();
        let dropped = p.proxy.dropped_replies();
        p.proxy.drop_reply_to(token.as_str().as_bytes());
        let result = con.run(IncrBy.call(&key, 1).once(&token));
        assert_eq!(p.proxy.dropped_replies(), dropped + 1, "the reply was lost");
        assert_eq!(p.count(&key) - before, 1, "ran once: {result:?}");
        assert_eq!(result.unwrap(), before + 1, "the first run's reply");
    });
}

/// The proxy holds the replies back: every read times out (20 ms), as when the script
/// runs longer than the read timeout. redis's default sync client resends the call on each
/// timeout, 16 times: it runs 17 times, and the caller gets a timeout. Built with
/// `retries(0)`, it runs once: a timeout, `Ran::Unknown`.
fn timeout_default_client_resends_retries_0_runs_once(cluster: &mut Cluster) {
    let key = "{proxied}:timeout";
    through_proxy(cluster, key, |p| {
        for (retries, runs) in [(None, 17), (Some(0), 1)] {
            let mut con = p.connect(Kind::Sync, retries, Some(Duration::from_millis(20)));
            let before = con.run(IncrBy.call(key, 1)).unwrap(); // warm, through the proxy
            p.proxy.set_replies(Replies::Hold);
            let err = con.run(IncrBy.call(key, 1)).unwrap_err();
            p.proxy.set_replies(Replies::Forward);
            assert!(err.is_io_error(), "{err}");
            assert_eq!(err.ran(), Ran::Unknown, "{err}");
            assert_eq!(p.count(key) - before, runs, "retries: {retries:?}");
        }
    });
}
