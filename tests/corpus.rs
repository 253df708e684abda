//! A corpus of scripts of the kinds people really write: every one must compile through
//! `include_script!` (syntax, annotations and KEYS/ARGV checks pass) and its SHA1 must be
//! what the server's `SCRIPT LOAD` returns. Several run for real.

use evalsha_testkit::{Server, requires};

evalsha::include_script!("tests/corpus/bitmap_count.lua");
evalsha::include_script!("tests/corpus/compare_and_set.lua");
evalsha::include_script!("tests/corpus/counter_with_cap.lua");
evalsha::include_script!("tests/corpus/dedupe.lua");
evalsha::include_script!("tests/corpus/del_all.lua");
evalsha::include_script!("tests/corpus/expire_if_larger.lua");
evalsha::include_script!("tests/corpus/fixed_window.lua");
evalsha::include_script!("tests/corpus/geo_nearby.lua");
evalsha::include_script!("tests/corpus/hash_get_or_set.lua");
evalsha::include_script!("tests/corpus/headerless_get_set.lua");
evalsha::include_script!("tests/corpus/headerless_strings.lua");
evalsha::include_script!("tests/corpus/headerless_variadic.lua");
evalsha::include_script!("tests/corpus/json_merge.lua");
evalsha::include_script!("tests/corpus/leaderboard_add.lua");
evalsha::include_script!("tests/corpus/leaderboard_rank.lua");
evalsha::include_script!("tests/corpus/leaderboard_top.lua");
evalsha::include_script!("tests/corpus/lock_acquire.lua");
evalsha::include_script!("tests/corpus/lock_extend.lua");
evalsha::include_script!("tests/corpus/lock_release.lua");
evalsha::include_script!("tests/corpus/mset_nx_all.lua");
evalsha::include_script!("tests/corpus/msgpack_roundtrip.lua");
evalsha::include_script!("tests/corpus/queue_ack.lua");
evalsha::include_script!("tests/corpus/queue_move.lua");
evalsha::include_script!("tests/corpus/queue_requeue.lua");
evalsha::include_script!("tests/corpus/safe_incr.lua");
evalsha::include_script!("tests/corpus/semaphore_acquire.lua");
evalsha::include_script!("tests/corpus/sliding_window.lua");
evalsha::include_script!("tests/corpus/status.lua");
evalsha::include_script!("tests/corpus/stream_trim_add.lua");
evalsha::include_script!("tests/corpus/sum_args.lua");
evalsha::include_script!("tests/corpus/token_bucket.lua");
evalsha::include_script!("tests/corpus/validate.lua");

fn corpus() -> Vec<&'static evalsha::Script> {
    vec![
        BitmapCount::script(),
        CompareAndSet::script(),
        CounterWithCap::script(),
        Dedupe::script(),
        DelAll::script(),
        ExpireIfLarger::script(),
        FixedWindow::script(),
        GeoNearby::script(),
        HashGetOrSet::script(),
        HeaderlessGetSet::script(),
        HeaderlessStrings::script(),
        HeaderlessVariadic::script(),
        JsonMerge::script(),
        LeaderboardAdd::script(),
        LeaderboardRank::script(),
        LeaderboardTop::script(),
        LockAcquire::script(),
        LockExtend::script(),
        LockRelease::script(),
        MsetNxAll::script(),
        MsgpackRoundtrip::script(),
        QueueAck::script(),
        QueueMove::script(),
        QueueRequeue::script(),
        SafeIncr::script(),
        SemaphoreAcquire::script(),
        SlidingWindow::script(),
        Status::script(),
        StreamTrimAdd::script(),
        SumArgs::script(),
        TokenBucket::script(),
        Validate::script(),
    ]
}

#[test]
fn the_corpus_has_at_least_30_scripts_and_their_sha1s_match_the_server() {
    let scripts = corpus();
    assert!(scripts.len() >= 30, "{} scripts", scripts.len());
    let server = Server::start();
    let mut con = server.connection();
    let shebang = requires(&server, 7, "SCRIPT LOAD of `#!lua` scripts in the corpus");
    let mut checked = 0;
    for script in scripts {
        if script.source().starts_with("#!") && !shebang {
            continue;
        }
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(script.source())
            .query(&mut con)
            .unwrap_or_else(|e| panic!("{}: {e}", script.name()));
        assert_eq!(sha, script.sha1(), "{}", script.name());
        checked += 1;
    }
    assert!(checked >= 27);
}

#[test]
fn corpus_scripts_run() {
    let server = Server::start();
    let mut con = server.connection();

    assert_eq!(FixedWindow.run(&mut con, "fw", 2, 10_000).unwrap(), 1);
    assert_eq!(
        SlidingWindow
            .run(&mut con, "sw", 1_000, 500, 1, "r1")
            .unwrap(),
        1
    );
    assert_eq!(
        SlidingWindow
            .run(&mut con, "sw", 1_001, 500, 1, "r2")
            .unwrap(),
        0
    );
    assert_eq!(
        TokenBucket
            .run(&mut con, "tb", 10.0, 0.01, 1_000, 3)
            .unwrap(),
        [1, 7]
    );

    assert!(LockAcquire.run(&mut con, "lock", "me", 10_000).unwrap());
    assert!(!LockAcquire.run(&mut con, "lock", "you", 10_000).unwrap());
    assert!(!LockExtend.run(&mut con, "lock", "you", 20_000).unwrap());
    assert!(LockExtend.run(&mut con, "lock", "me", 20_000).unwrap());
    assert!(!LockRelease.run(&mut con, "lock", "you").unwrap());
    assert!(LockRelease.run(&mut con, "lock", "me").unwrap());

    redis::cmd("RPUSH")
        .arg("pending")
        .arg("job1")
        .exec(&mut con)
        .unwrap();
    let job = QueueMove
        .run(&mut con, "pending", "processing", "started", 5)
        .unwrap();
    assert_eq!(job.as_deref(), Some("job1"));
    assert_eq!(
        QueueMove
            .run(&mut con, "pending", "processing", "started", 6)
            .unwrap(),
        None
    );
    assert_eq!(
        QueueRequeue
            .run(&mut con, "processing", "started", "pending", 10)
            .unwrap(),
        1
    );
    assert_eq!(
        QueueMove
            .run(&mut con, "pending", "processing", "started", 11)
            .unwrap()
            .as_deref(),
        Some("job1")
    );
    assert_eq!(
        QueueAck
            .run(&mut con, "processing", "started", "job1")
            .unwrap(),
        1
    );

    assert_eq!(
        LeaderboardAdd
            .run(&mut con, "board", "ann", 5.0, 10)
            .unwrap(),
        5.0
    );
    assert_eq!(
        LeaderboardAdd
            .run(&mut con, "board", "bob", 7.5, 10)
            .unwrap(),
        7.5
    );

    let merged = JsonMerge.run(&mut con, "doc", r#"{"a":1}"#).unwrap();
    assert!(merged.contains("\"a\":1"), "{merged}");
    assert!(MsgpackRoundtrip.run(&mut con, "blob", &["x", "y"]).unwrap() > 2);

    assert_eq!(SafeIncr.run(&mut con, "ctr").unwrap(), 1);
    redis::cmd("SET")
        .arg("word")
        .arg("abc")
        .exec(&mut con)
        .unwrap();
    let err = SafeIncr.run(&mut con, "word").unwrap_err();
    assert!(err.to_string().contains("NOTNUM"), "{err}");
    assert_eq!(Status.run(&mut con, "st", "v").unwrap(), "STORED");
    assert!(
        Validate
            .run(&mut con, "acct", -1)
            .unwrap_err()
            .to_string()
            .contains("negative")
    );

    assert!(MsetNxAll.run(&mut con, &["m1", "m2"], &["1", "2"]).unwrap());
    assert!(!MsetNxAll.run(&mut con, &["m2", "m3"], &["x", "y"]).unwrap());
    assert_eq!(DelAll.run(&mut con, &["m1", "m2", "m3"]).unwrap(), 2);
    assert_eq!(SumArgs.run(&mut con, &[1, 2, 39]).unwrap(), 42);

    // Headerless: (key1, arg1) counted from the script; dynamic use gives slices.
    let old: Option<String> = HeaderlessGetSet.run(&mut con, "hk", "v1").unwrap();
    assert_eq!(old, None);
    let got: Vec<String> = HeaderlessVariadic
        .run(&mut con, &["hk", "nope"], &["d1", "d2"])
        .unwrap();
    assert_eq!(got, ["v1", "d2"]);
    let _: () = HeaderlessStrings.run(&mut con, "hs").unwrap();

    if requires(&server, 7, "read-only corpus scripts (EVALSHA_RO)") {
        let top = LeaderboardTop.run(&mut con, "board", 1).unwrap();
        assert_eq!(top, ["bob", "7.5"]);
        let rank = LeaderboardRank.run(&mut con, "board", "ann").unwrap();
        assert_eq!(rank, Some((2, "5".to_owned())));
        assert_eq!(LeaderboardRank.run(&mut con, "board", "zed").unwrap(), None);
    }
}
