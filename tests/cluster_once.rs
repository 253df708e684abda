//! Exactly once on Redis Cluster: the record's key lands in the slot of the call's first
//! key (hash-tagged keys, keys without a valid tag, keys holding `{`/`}`, keyless scripts),
//! redis's default sync cluster client, which resends a call after each response timeout,
//! runs a slow tokened script once where it runs a plain one 17 times, and the async one,
//! which gives up after one timeout, returns `Ok` with a token and `retries(5)`.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use std::time::{Duration, Instant};

use evalsha::Token;
use evalsha_testkit::cluster::{Cluster, ClusterTest, run_tests};
use evalsha_testkit::requires;

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/keyless_hello.lua");
evalsha::include_script!("tests/scripts/slow_incr.lua");
evalsha::include_library!("tests/libraries/once_fn.lua");

fn main() {
    const TESTS: &[ClusterTest] = &[
        (
            "record_keys_land_in_the_first_keys_slot",
            record_keys_land_in_the_first_keys_slot,
        ),
        (
            "async_default_client_times_out_a_slow_script_token_and_retries_return_ok",
            async_default_client_times_out_a_slow_script_token_and_retries_return_ok,
        ),
        (
            "sync_default_client_resends_a_slow_script_token_runs_it_once",
            sync_default_client_resends_a_slow_script_token_runs_it_once,
        ),
        (
            "function_calls_with_tokens_run_once_on_the_keys_primary",
            function_calls_with_tokens_run_once_on_the_keys_primary,
        ),
        (
            "a_failover_between_two_sends_keeps_the_record_with_the_effect",
            a_failover_between_two_sends_keeps_the_record_with_the_effect,
        ),
    ];
    run_tests(TESTS);
}

/// The `CLUSTER KEYSLOT` of `key`, asked of a node.
fn keyslot(cluster: &Cluster, key: &str) -> u16 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query(&mut cluster.node_connection(cluster.live_ports()[0]))
        .unwrap()
}

/// The record keys of `token`, found on every primary, each with its node's port.
fn records(cluster: &Cluster, token: &Token) -> Vec<(u16, String)> {
    let mut found = Vec::new();
    for node in cluster.primaries() {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("evalsha:once:*{token}"))
            .query(&mut cluster.node_connection(node.port))
            .unwrap();
        found.extend(keys.into_iter().map(|key| (node.port, key)));
    }
    found
}

/// Each tokened call runs on the first key's node with its record beside it, and a second
/// send returns the recorded reply; a keyless script's record goes where its own key's
/// slot is. Sync and async cluster connections, `retries(0)` and redis's default.
fn record_keys_land_in_the_first_keys_slot(cluster: &mut Cluster) {
    let firsts = [
        "{user:7}:cart",
        "plain-key",
        "a}b{",
        "{}x",
        "x{y",
        "{{y}z",
        "k}{",
    ];
    let mut sync = cluster.at_most_once_connection();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = cluster.builder().build().unwrap();
    let mut async_con = rt.block_on(client.get_async_connection()).unwrap();
    for (i, first) in firsts.iter().enumerate() {
        let token = Token::new();
        let call = || IncrBy.call(*first, 10 + i as i64).once(&token);
        let (a, b) = if i % 2 == 0 {
            (
                call().run(&mut sync).unwrap(),
                call().run(&mut sync).unwrap(),
            )
        } else {
            rt.block_on(async {
                (
                    call().run_async(&mut async_con).await.unwrap(),
                    call().run_async(&mut async_con).await.unwrap(),
                )
            })
        };
        assert_eq!(a, 10 + i as i64, "{first}");
        assert_eq!(b, a, "{first}: the recorded reply");
        let found = records(cluster, &token);
        assert_eq!(found.len(), 1, "{first}: {found:?}");
        let (port, record) = &found[0];
        assert_eq!(
            keyslot(cluster, record),
            keyslot(cluster, first),
            "{record}"
        );
        assert_eq!(
            cluster.get_on(*port, first),
            10 + i as i64,
            "{first}: ran once, there"
        );
    }
    let token = Token::new();
    for _ in 0..2 {
        let hello = KeylessHello
            .call("you")
            .once(&token)
            .run(&mut sync)
            .unwrap();
        assert_eq!(hello, "hello you");
    }
    let found = records(cluster, &token);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, format!("evalsha:once:{token}"));
}

/// The slow script: counts its run, then spins this many milliseconds.
const SLOW_MS: u64 = 150;
/// The client's response timeout: shorter than the script.
const TIMEOUT_MS: u64 = 50;

/// redis's default async cluster client (16 retries) with a response timeout shorter than
/// the script. redis 1.8+ bounds the whole request, retries included, by that timeout
/// (`overall_response_timeout`), so it gives up after the first timeout: the script ran
/// once and the caller has `Ran::Unknown` (printed). With a token and evalsha's
/// `retries(5)`, evalsha sends it again until the node answers: the resends wait behind
/// the run and return its recorded reply, `Ok`, and the script ran once.
fn async_default_client_times_out_a_slow_script_token_and_retries_return_ok(cluster: &mut Cluster) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = cluster
        .builder()
        .response_timeout(Duration::from_millis(TIMEOUT_MS))
        .build()
        .unwrap();
    let mut con = rt.block_on(client.get_async_connection()).unwrap();
    // Warm: both forms loaded on the node, so the calls below are single `EVALSHA`s.
    rt.block_on(async {
        SlowIncr
            .call("{slow}:warm", 0)
            .run_async(&mut con)
            .await
            .unwrap();
        let call = SlowIncr.call("{slow}:warm", 0).once(&Token::new());
        call.run_async(&mut con).await.unwrap();
    });
    let mut runs = |key: &str, token: Option<&Token>| {
        let started = Instant::now();
        let result = rt.block_on(async {
            let call = SlowIncr.call(key, SLOW_MS);
            match token {
                Some(token) => call.once(token).retries(5).run_async(&mut con).await,
                None => call.run_async(&mut con).await,
            }
        });
        settle(cluster, key, started);
        (cluster.get(key), result)
    };
    let (plain, result) = runs("{slow}:async:plain", None);
    println!(
        "async, default retries, {TIMEOUT_MS} ms timeout, {SLOW_MS} ms script: without a token it ran {plain} time(s) ({result:?})"
    );
    let err = result.unwrap_err();
    assert_eq!(err.ran(), evalsha::Ran::Unknown, "{err}");
    assert!(err.to_string().contains("retries(0)"), "{err}");
    let token = Token::new();
    let (tokened, result) = runs("{slow}:async:token", Some(&token));
    println!("with a token and retries(5): it ran {tokened} time(s) ({result:?})");
    assert_eq!(tokened, 1, "{result:?}");
    assert_eq!(result.unwrap(), 1);
}

/// The same with redis's default sync cluster client and a response (read) timeout.
fn sync_default_client_resends_a_slow_script_token_runs_it_once(cluster: &mut Cluster) {
    let mut con = cluster
        .builder()
        .response_timeout(Duration::from_millis(TIMEOUT_MS))
        .build()
        .unwrap()
        .get_connection()
        .unwrap();
    SlowIncr.call("{slow}:warm", 0).run(&mut con).unwrap();
    let call = SlowIncr.call("{slow}:warm", 0).once(&Token::new());
    call.run(&mut con).unwrap();
    let mut runs = |key: &str, token: Option<&Token>| {
        let started = Instant::now();
        let call = SlowIncr.call(key, SLOW_MS);
        let result = match token {
            Some(token) => call.once(token).run(&mut con),
            None => call.run(&mut con),
        };
        settle(cluster, key, started);
        (cluster.get(key), result)
    };
    let (plain, result) = runs("{slow}:sync:plain", None);
    println!(
        "sync, default retries, {TIMEOUT_MS} ms read timeout, {SLOW_MS} ms script: without a token it ran {plain} times ({result:?})"
    );
    assert!(plain > 1, "redis resent it: {plain}");
    let token = Token::new();
    let (tokened, result) = runs("{slow}:sync:token", Some(&token));
    println!("with a token: it ran {tokened} time(s) ({result:?})");
    assert_eq!(tokened, 1, "{result:?}");
}

/// Waits until the resends still queued at the node have been answered: the counter of
/// `key` stops moving for two script lengths.
fn settle(cluster: &Cluster, key: &str, started: Instant) {
    let mut last = cluster.get(key);
    let mut still = Instant::now();
    while still.elapsed() < Duration::from_millis(2 * SLOW_MS + 100) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{key} never settled"
        );
        std::thread::sleep(Duration::from_millis(20));
        let now = cluster.get(key);
        if now != last {
            (last, still) = (now, Instant::now());
        }
    }
}

/// A manual failover between the two sends of a tokened call: the record reached the
/// replica with the effect (one script run, replicated as one), so the promoted replica
/// returns the first reply, and the counter there says the script ran once. (On Redis 7+
/// and Valkey the promoted replica has no scripts cached: the call reloads the wrapped
/// form there first.)
fn a_failover_between_two_sends_keeps_the_record_with_the_effect(cluster: &mut Cluster) {
    let key = "{failover}:once";
    let slot = evalsha::hash_slot(key.as_bytes());
    let token = Token::new();
    let connect = || cluster.builder().build().unwrap().get_connection().unwrap();
    let first = IncrBy
        .call(key, 9)
        .once(&token)
        .run(&mut connect())
        .unwrap();
    assert_eq!(first, 9);
    cluster.wait_for_replicas_of(slot);
    let primary = cluster.primary_of(slot);
    let replica = cluster.replicas_of(&primary.id)[0].port;
    cluster.failover(replica);
    let deadline = Instant::now() + Duration::from_secs(30);
    while cluster
        .try_primary_of(slot)
        .is_none_or(|p| p.port != replica)
    {
        assert!(Instant::now() < deadline, "no promotion");
        std::thread::sleep(Duration::from_millis(50));
    }
    let again = loop {
        // A connection made now learns the new topology; one made while the nodes still
        // disagree may fail before sending.
        match IncrBy.call(key, 9).once(&token).run(&mut connect()) {
            Ok(n) => break n,
            Err(err) => {
                assert!(Instant::now() < deadline, "{err}");
                assert_ne!(err.ran(), evalsha::Ran::Yes, "{err}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(
        again, first,
        "the first reply, from the promoted replica's record"
    );
    assert_eq!(cluster.get_on(replica, key), 9, "it ran once");
}

/// A tokened function call on a cluster: the tokened library is loaded on the primary of
/// the key's slot, the call runs there once and the second send returns its reply.
fn function_calls_with_tokens_run_once_on_the_keys_primary(cluster: &mut Cluster) {
    if !requires(
        cluster.any_server(),
        7,
        "Redis Functions with tokens on a cluster",
    ) {
        return;
    }
    let mut sync = cluster.at_most_once_connection();
    for key in ["{fn}:a", "fn-b"] {
        let token = Token::new();
        let call = || Oncefn.add_call(key, 4).once(&token);
        assert_eq!(call().run(&mut sync).unwrap(), 4, "{key}");
        assert_eq!(
            call().run(&mut sync).unwrap(),
            4,
            "{key}: the recorded reply"
        );
        assert_eq!(cluster.get(key), 4, "{key}: ran once");
        let found = records(cluster, &token);
        assert_eq!(found.len(), 1, "{key}: {found:?}");
        assert_eq!(keyslot(cluster, &found[0].1), keyslot(cluster, key));
    }
}
