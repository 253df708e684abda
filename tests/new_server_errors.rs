//! What Redis 7.4+/8.0 and Valkey 8+/9.1 answer that older servers never did, each
//! classified by `Error::ran()` and provoked on the server that raises it:
//!
//! - errors a cluster node raises *inside* a running script when it calls a command on
//!   undeclared keys (another slot, a slot being migrated, a slot not served): it ran;
//! - Valkey's `-REDIRECT host:port` from a replica (also an old primary after `FAILOVER`) to a client that sent
//!   `CLIENT CAPA redirect`: nothing ran;
//! - Valkey 9's missing Lua engine (`MODULE UNLOAD lua`): `ErrorKind::NoLua`, nothing ran;
//! - the eviction of scripts cached by `EVAL` beyond 500 (Redis 7.4+, Valkey): a pipeline
//!   of 600 scripts runs every call once, and the calls after it reload what was evicted.
//!
//! Every test runs on every server of the matrix; where a server cannot raise the error,
//! the test says so (testkit `skipped`).

use std::time::{Duration, Instant};

use evalsha::__private::{Call, Script};
use evalsha::{ErrorKind, Pipeline, Ran, Reload};
use evalsha_testkit::cluster::{Cluster, set_slot};
use evalsha_testkit::{Server, Stats, reset_stats, skipped};
use redis::ConnectionLike;

evalsha::include_script!("tests/scripts/call_undeclared.lua");
evalsha::include_script!("tests/scripts/flagged_incr.lua");
evalsha::include_script!("tests/scripts/incr_by.lua");

fn get(con: &mut dyn ConnectionLike, key: &str) -> Option<i64> {
    redis::cmd("GET").arg(key).query(con).unwrap()
}

/// The servers whose mid-script cluster errors read as Redis 8.0.6's source words them:
/// Redis 7.4 and later, and Valkey 8 (Valkey 9.1's Lua module words them its own way).
fn redis_8_texts(server: &Server) -> bool {
    if server.is_valkey() {
        server.major_version() == 8
    } else {
        server.major_minor() >= (7, 4)
    }
}

/// A script that calls commands on undeclared keys, on a 6-node cluster through the
/// at-most-once cluster client (`retries(0)`): each refusal inside the script comes back
/// as the script's error, `Ran::Yes`, and its counter shows it ran once. On Redis 7.4+
/// and Valkey 8 the texts are Redis 8.0.6's; Valkey 9.1 and older Redis word them
/// differently (`runtime/src/ran.rs` lists them all); every server says it ran.
#[test]
fn cluster_refusals_inside_a_running_script_ran() {
    let cluster = Cluster::start();
    let mut con = cluster.at_most_once_connection();
    let server = cluster.any_server();
    let pinned = redis_8_texts(server);
    let counter = "{n}c";
    let slot = evalsha::hash_slot(counter.as_bytes());
    let owner = cluster.primary_of(slot);
    let mut node = cluster.node_connection(owner.port);
    let mut count = 0;
    let mut check = |con: &mut redis::cluster::ClusterConnection,
                     node: &mut redis::Connection,
                     cmd: &str,
                     names: &[&str],
                     text: &str| {
        let err = CallUndeclared
            .run::<redis::Value>(con, counter, cmd, names)
            .unwrap_err();
        eprintln!("{cmd} {names:?}: {err}");
        assert!(matches!(err.kind(), ErrorKind::Script { .. }), "{err}");
        assert_eq!(err.ran(), Ran::Yes, "{err}");
        // Refused at line 7 (the call on undeclared keys): the `INCR` of line 6 ran.
        // Valkey 9.1 (Lua as a module, through the module API's cluster check) also
        // refuses line 6's `INCR` of the counter while its slot migrates.
        match err.line() {
            Some(7) => count += 1,
            Some(6) if !pinned => {}
            other => panic!("refused at line {other:?}: {err}"),
        }
        assert_eq!(get(node, counter).unwrap_or(0), count, "ran once: {err}");
        if pinned {
            assert!(err.to_string().contains(text), "{err}");
        }
    };

    // One command on keys of two slots.
    check(
        &mut con,
        &mut node,
        "MGET",
        &["{a}1", "{b}1"],
        "ERR Command 'mget' in script attempted to access keys that don't hash to the same slot",
    );

    // A multi-key command on the counter's slot while it migrates, one key missing.
    let target = cluster
        .nodes()
        .into_iter()
        .find(|n| n.primary && n.id != owner.id)
        .unwrap();
    let mut target_con = cluster.node_connection(target.port);
    redis::cmd("SET")
        .arg("{n}a")
        .arg(1)
        .exec(&mut node)
        .unwrap();
    set_slot(&mut target_con, slot, &["IMPORTING", &owner.id]);
    set_slot(&mut node, slot, &["MIGRATING", &target.id]);
    check(
        &mut con,
        &mut node,
        "MGET",
        &["{n}a", "{n}missing"],
        "ERR Unable to execute command 'mget' in script because undeclared keys were \
         accessed during rehashing of the slot",
    );
    set_slot(&mut node, slot, &["STABLE"]);
    set_slot(&mut target_con, slot, &["STABLE"]);

    // A key of a slot that the node no longer serves (and, with full coverage not
    // required, it stays up): another slot of the same node, dropped from its own map.
    let other = (0..)
        .map(|i| format!("{{k{i}}}x"))
        .find(|key| {
            let s = evalsha::hash_slot(key.as_bytes());
            s != slot && owner.slots.iter().any(|&(a, b)| (a..=b).contains(&s))
        })
        .unwrap();
    let other_slot = evalsha::hash_slot(other.as_bytes());
    redis::cmd("CONFIG")
        .arg(&["SET", "cluster-require-full-coverage", "no"])
        .exec(&mut node)
        .unwrap();
    redis::cmd("CLUSTER")
        .arg("DELSLOTS")
        .arg(other_slot)
        .exec(&mut node)
        .unwrap();
    check(
        &mut con,
        &mut node,
        "GET",
        &[&other],
        "ERR Script attempted to access a slot not served",
    );
    redis::cmd("CLUSTER")
        .arg("ADDSLOTS")
        .arg(other_slot)
        .exec(&mut node)
        .unwrap();
    redis::cmd("CONFIG")
        .arg(&["SET", "cluster-require-full-coverage", "yes"])
        .exec(&mut node)
        .unwrap();
    cluster.wait_settled().unwrap();
}

fn wait_for_sync(replica: &Server) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query(&mut replica.connection())
            .unwrap();
        if info.contains("master_link_status:up") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica did not sync: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Valkey 8+: a replica answers a write script's call with `REDIRECT <primary>` when the
/// client sent `CLIENT CAPA redirect` (instead of `READONLY` for clients that did not):
/// nothing ran, on the cold call (after the reload) and on the warm one.
#[test]
fn valkey_redirect_from_a_replica_did_not_run() {
    let primary = Server::start();
    if !(primary.is_valkey() && primary.major_version() >= 8) {
        skipped(
            &primary,
            "-REDIRECT (CLIENT CAPA redirect)",
            "Valkey 8+ (Redis has no CLIENT CAPA redirect)",
        );
        return;
    }
    let port = primary.port().to_string();
    let replica = Server::start_with(&["--replicaof", "127.0.0.1", &port]);
    wait_for_sync(&replica);
    let mut con = replica.connection();
    redis::cmd("CLIENT")
        .arg(&["CAPA", "redirect"])
        .exec(&mut con)
        .unwrap();
    for call in ["cold", "warm"] {
        let err = FlaggedIncr.run(&mut con, "n").unwrap_err();
        assert_eq!(err.ran(), Ran::No, "{call}: {err}");
        assert_eq!(err.kind(), &ErrorKind::Redis, "{call}: {err}");
        assert!(
            err.to_string()
                .contains(&format!("REDIRECT 127.0.0.1:{port}")),
            "{call}: {err}"
        );
    }
    assert_eq!(get(&mut primary.connection(), "n"), None, "nothing ran");
    // Followed to the primary, the call runs there, once.
    assert_eq!(FlaggedIncr.run(&mut primary.connection(), "n").unwrap(), 1);
}

/// Valkey 8+: a `FAILOVER` turns the primary a client is connected to into a replica; a
/// client that sent `CLIENT CAPA redirect` then gets `REDIRECT <new primary>` for a write
/// script on the same connection: nothing ran on either server, and the call runs once
/// when sent to the new primary.
#[test]
fn valkey_redirect_after_a_failover_did_not_run() {
    let primary = Server::start();
    if !(primary.is_valkey() && primary.major_version() >= 8) {
        skipped(
            &primary,
            "-REDIRECT after FAILOVER (CLIENT CAPA redirect)",
            "Valkey 8+ (Redis has no CLIENT CAPA redirect)",
        );
        return;
    }
    let replica = Server::start_with(&["--replicaof", "127.0.0.1", &primary.port().to_string()]);
    wait_for_sync(&replica);
    let mut con = primary.connection();
    redis::cmd("CLIENT")
        .arg(&["CAPA", "redirect"])
        .exec(&mut con)
        .unwrap();
    assert_eq!(
        FlaggedIncr.run(&mut con, "n").unwrap(),
        1,
        "ran on the primary"
    );
    redis::cmd("FAILOVER")
        .exec(&mut primary.connection())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut replica.connection()).unwrap();
        if matches!(role.first(), Some(redis::Value::BulkString(r)) if r == b"master") {
            break;
        }
        assert!(Instant::now() < deadline, "the failover did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let err = FlaggedIncr.run(&mut con, "n").unwrap_err();
    assert_eq!(err.ran(), Ran::No, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("REDIRECT 127.0.0.1:{}", replica.port())),
        "{err}"
    );
    assert_eq!(
        get(&mut replica.connection(), "n"),
        Some(1),
        "nothing ran after the failover"
    );
    assert_eq!(FlaggedIncr.run(&mut replica.connection(), "n").unwrap(), 2);
}

/// Valkey 9+ loads Lua as a module; without it (`MODULE UNLOAD lua`, where
/// `enable-module-command` allows it) every way of running a script says the server has
/// no Lua engine, and nothing ran.
#[test]
fn valkey_without_lua_says_so() {
    let probe = Server::start();
    if !(probe.is_valkey() && probe.major_version() >= 9) {
        skipped(
            &probe,
            "a server without its Lua engine (MODULE UNLOAD lua)",
            "Valkey 9+ (where Lua is a module)",
        );
        return;
    }
    drop(probe);
    let server = Server::start_with(&["--enable-module-command", "yes"]);
    let mut con = server.connection();
    redis::cmd("MODULE")
        .arg(&["UNLOAD", "lua"])
        .exec(&mut con)
        .unwrap();
    let no_lua = |err: &evalsha::Error, how: &str| {
        assert_eq!(err.kind(), &ErrorKind::NoLua, "{how}: {err}");
        assert_eq!(err.ran(), Ran::No, "{how}: {err}");
        assert!(
            err.to_string().contains("the server has no Lua engine"),
            "{how}: {err}"
        );
        assert!(
            err.to_string()
                .contains("Could not find scripting engine 'lua'"),
            "{how}: {err}"
        );
    };
    reset_stats(&mut con);
    no_lua(
        &IncrBy.run(&mut con, "n", 1).unwrap_err(),
        "EVALSHA, reload",
    );
    let stats = Stats::read(&mut con);
    assert_eq!(
        (stats.calls("evalsha"), stats.calls("script|load")),
        (2, 1),
        "EVALSHA, then SCRIPT LOAD and EVALSHA pipelined: two round trips"
    );
    no_lua(
        &IncrBy
            .call("n", 1)
            .reload(Reload::Eval)
            .run(&mut con)
            .unwrap_err(),
        "EVAL fallback",
    );
    let results = Pipeline::new()
        .script(IncrBy.call("n", 1))
        .query_each(&mut con)
        .unwrap();
    no_lua(results[0].as_ref().unwrap_err(), "pipeline (EVAL)");
    assert_eq!(get(&mut con, "n"), None, "nothing ran");
}

/// `n` distinct scripts made at run time (`include_script!` makes one per file), each
/// incrementing its key; their SHA1s are the server's own `redis.sha1hex`.
fn numbered_scripts(con: &mut dyn ConnectionLike, n: usize) -> Vec<&'static Script> {
    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }
    (0..n)
        .map(|i| {
            let source = format!("-- script {i}\nreturn redis.call('INCR', KEYS[1])\n");
            let sha1: String = redis::cmd("EVAL")
                .arg("return redis.sha1hex(ARGV[1])")
                .arg(0)
                .arg(&source)
                .query(con)
                .unwrap();
            let script = Script::__new(
                leak(format!("script_{i}.lua")),
                leak(sha1),
                leak(source),
                false,
                Reload::Load,
            );
            &*Box::leak(Box::new(script))
        })
        .collect()
}

fn call(script: &'static Script, key: &str) -> Call<i64> {
    let mut call = Call::__new(script, key.len() + 8);
    call.__key("counter", &key);
    call.__finish()
}

fn evicted_scripts(con: &mut dyn ConnectionLike) -> Option<u64> {
    let info: String = redis::cmd("INFO").arg("stats").query(con).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("evicted_scripts:"))
        .map(|n| n.trim().parse().unwrap())
}

/// 600 distinct scripts, more than the 500 `EVAL`-cached scripts Redis 7.4+ and Valkey
/// keep: a pipeline calling each twice (1,200 calls, each script's two calls 600 apart)
/// runs every call exactly once, in order (the second call goes as `EVAL` again: the
/// first may have been evicted); then single calls of each reload exactly the scripts the
/// server evicted, once each, and run every call once. On servers that evict nothing the
/// same holds with no reloads.
#[test]
fn more_than_500_scripts_nothing_lost_nothing_doubled() {
    const N: usize = 600;
    let server = Server::start();
    let mut con = server.connection();
    let evicts = evicted_scripts(&mut con).is_some();
    let scripts = numbered_scripts(&mut con, N);
    let key = |i: usize| format!("c:{i}");
    // An empty cache: the script that computed the SHA1s goes too.
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    reset_stats(&mut con);

    let mut pipeline = Pipeline::new();
    for _round in 0..2 {
        for (i, script) in scripts.iter().enumerate() {
            pipeline.script(call(script, &key(i)));
        }
    }
    let results = pipeline.query_each(&mut con).unwrap();
    assert_eq!(results.len(), 2 * N);
    for (at, result) in results.into_iter().enumerate() {
        let expected = (at / N + 1) as i64;
        match result {
            Ok(value) => assert_eq!(value, redis::Value::Int(expected), "call {at}"),
            Err(err) => panic!("call {at} ({}): {err}", at % N),
        }
    }
    let stats = Stats::read(&mut con);
    let after_pipeline = evicted_scripts(&mut con).unwrap_or(0);
    eprintln!(
        "{}: pipeline of {} calls: EVAL {}, EVALSHA {}, evicted_scripts {after_pipeline}",
        server.version(),
        2 * N,
        stats.calls("eval"),
        stats.calls("evalsha"),
    );
    assert_eq!(stats.calls("eval") + stats.calls("evalsha"), 2 * N as u64);
    if evicts {
        assert_eq!(after_pipeline, 2 * N as u64 - 500, "the LRU keeps 500");
    } else {
        assert_eq!(after_pipeline, 0);
    }

    // Which scripts the server still holds, then one single call of each.
    let shas: Vec<&str> = scripts.iter().map(|s| s.sha1()).collect();
    let held: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(&shas)
        .query(&mut con)
        .unwrap();
    let missing = held.iter().filter(|h| !**h).count() as u64;
    reset_stats(&mut con);
    for (i, script) in scripts.iter().enumerate() {
        assert_eq!(
            call(script, &key(i)).run(&mut con).unwrap(),
            3,
            "script {i}"
        );
    }
    let stats = Stats::read(&mut con);
    eprintln!(
        "{}: {N} single calls: {missing} scripts missing, SCRIPT LOAD {}, EVALSHA {}",
        server.version(),
        stats.calls("script|load"),
        stats.calls("evalsha"),
    );
    assert_eq!(missing, if evicts { N as u64 - 500 } else { 0 });
    assert_eq!(
        stats.calls("script|load"),
        missing,
        "one reload per evicted script"
    );
    assert_eq!(stats.calls("evalsha"), N as u64 + missing);
    for i in 0..N {
        assert_eq!(get(&mut con, &key(i)), Some(3), "script {i} ran 3 times");
    }
}
