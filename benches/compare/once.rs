//! Exactly once (`--only once`): a warm call with a token beside the same call without
//! one, client and server time per call and bytes sent, and the server memory a record
//! takes.

use std::hint::black_box;
use std::time::Duration;

use evalsha::Token;
use evalsha_testkit::{Stats, reset_stats};

use crate::measure::{Contender, interleave};
use crate::{IncrBy, Target, table};

const PLAIN: &str = "evalsha, no token";
const TOKENED: &str = "evalsha, new token each call";
const REPLAYED: &str = "evalsha, same token (replay)";

/// The records' TTL here: long enough to outlive the run, short enough to go away after.
const TTL: Duration = Duration::from_secs(120);

pub fn once(target: &Target) {
    let (mut a, mut b, mut c) = (target.con(), target.con(), target.con());
    let replay = Token::new().ttl(TTL);
    let mut contenders = vec![
        Contender::new(PLAIN, |n| {
            for _ in 0..n {
                let v: i64 = IncrBy.run(&mut a, "bench:once:1", 1).unwrap();
                black_box(v);
            }
        }),
        Contender::new(TOKENED, |n| {
            for _ in 0..n {
                let token = Token::new().ttl(TTL);
                let call = IncrBy.call("bench:once:2", 1).once(&token);
                black_box(call.run(&mut b).unwrap());
            }
        }),
        Contender::new(REPLAYED, |n| {
            for _ in 0..n {
                let call = IncrBy.call("bench:once:3", 1).once(&replay);
                black_box(call.run(&mut c).unwrap());
            }
        }),
    ];
    let rows = interleave(10, 2_000, &mut contenders);
    table::timed(
        "Warm sync calls with and without a token (one `redis::Connection` each)",
        "call",
        &rows,
        PLAIN,
    );

    // Server time per call (`INFO commandstats`), bytes per request, and memory per record.
    let mut con = target.con();
    let calls = 5_000;
    let server_us = |con: &mut redis::Connection, run: &mut dyn FnMut(&mut redis::Connection)| {
        reset_stats(con);
        for _ in 0..calls {
            run(con);
        }
        let stats: String = redis::cmd("INFO").arg("commandstats").query(con).unwrap();
        stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_evalsha:"))
            .and_then(|l| l.split(',').find_map(|f| f.strip_prefix("usec_per_call=")))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let plain_us = server_us(&mut con, &mut |con| {
        black_box(IncrBy.run(con, "bench:once:4", 1).unwrap());
    });
    let used = |con: &mut redis::Connection| -> (i64, i64) {
        let info: String = redis::cmd("INFO").arg("memory").query(con).unwrap();
        let bytes = info
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let keys: i64 = redis::cmd("DBSIZE").query(con).unwrap();
        (bytes, keys)
    };
    let before = used(&mut con);
    let tokened_us = server_us(&mut con, &mut |con| {
        let call = IncrBy.call("bench:once:5", 1).once(&Token::new().ttl(TTL));
        black_box(call.run(con).unwrap());
    });
    let after = used(&mut con);
    let replay_us = server_us(&mut con, &mut |con| {
        black_box(
            IncrBy
                .call("bench:once:6", 1)
                .once(&replay)
                .run(con)
                .unwrap(),
        );
    });
    assert_eq!(Stats::read(&mut con).calls("evalsha"), calls);
    let per_record = (after.0 - before.0) as f64 / (after.1 - before.1) as f64;
    let one = Token::new();
    let _: i64 = IncrBy
        .call("bench:once:7", 1)
        .once(&one)
        .run(&mut con)
        .unwrap();
    let usage: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!(
            "evalsha:once:{{{}}}:{one}",
            record_tag("bench:once:7")
        ))
        .query(&mut con)
        .unwrap_or(-1);
    let plain_bytes = IncrBy.call("bench:once:1", 1).__packed().len();
    let tokened_bytes = IncrBy.call("bench:once:1", 1).once(&one).__packed().len();
    println!("\n### Exactly once: server side ({calls} warm calls each, `INFO commandstats`)\n");
    println!("| | server µs per call | request bytes |");
    println!("|---|---:|---:|");
    println!("| {PLAIN} | {plain_us:.2} | {plain_bytes} |");
    println!("| {TOKENED} | {tokened_us:.2} | {tokened_bytes} |");
    println!("| {REPLAYED} | {replay_us:.2} | {tokened_bytes} |");
    println!(
        "\nserver memory per record: {per_record:.0} bytes (`used_memory` over {} new records); \
         `MEMORY USAGE` of one record key: {usage} bytes",
        after.1 - before.1
    );
}

/// The tag a record key of a call whose first key is `key` (no hash tag) carries: a
/// decimal number hashing to the same slot (see the runtime's `once` module).
fn record_tag(key: &str) -> u32 {
    let slot = evalsha::hash_slot(key.as_bytes());
    (0u32..)
        .find(|n| evalsha::hash_slot(n.to_string().as_bytes()) == slot)
        .unwrap()
}
