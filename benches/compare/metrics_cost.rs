//! `--only metrics`: what the feature `metrics` costs a warm call. Run it once built
//! without the feature and once with it (`--features aio` and `--features aio,metrics`):
//! the rows are the same, so the two tables read side by side, each against the same
//! hand-written `EVALSHA` baseline. With the feature on, "no recorder" is a program that
//! installed none (the facade's no-op) and "Prometheus recorder" one that installed
//! `metrics-exporter-prometheus`'s (histogram buckets set, as examples/metrics.rs does).

use std::hint::black_box;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

use crate::measure::{Contender, interleave};
use crate::{Answering, BY_HAND, IncrBy, Target, alloc, hand_cmd, table};

const NONE: &str = "evalsha, no recorder";
const PROMETHEUS: &str = "evalsha, Prometheus recorder";

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .with_recommended_naming(true)
        .set_buckets_for_metric(
            Matcher::Full("db.client.operation.duration".into()),
            &[
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            ],
        )
        .unwrap()
        .build_recorder()
}

pub fn run(target: &Target) {
    let feature = if cfg!(feature = "metrics") {
        "on"
    } else {
        "off"
    };
    let prometheus = recorder();
    let (mut a, mut b, mut c) = (Answering, Answering, Answering);
    let mut contenders = vec![
        Contender::new(NONE, |n| {
            for i in 0..n {
                black_box(
                    IncrBy
                        .run(&mut a, black_box("bench:key"), i as i64)
                        .unwrap(),
                );
            }
        }),
        Contender::new(PROMETHEUS, |n| {
            metrics::with_local_recorder(&prometheus, || {
                for i in 0..n {
                    black_box(
                        IncrBy
                            .run(&mut b, black_box("bench:key"), i as i64)
                            .unwrap(),
                    );
                }
            })
        }),
        Contender::new(BY_HAND, |n| {
            for _ in 0..n {
                let v: i64 = hand_cmd(black_box("bench:key")).query(&mut c).unwrap();
                black_box(v);
            }
        }),
    ];
    let rows = interleave(10, 200_000, &mut contenders);
    table::timed(
        &format!(
            "Metrics {feature}: client work of a warm sync call (a connection answering `:1` from memory)"
        ),
        "call",
        &rows,
        BY_HAND,
    );

    let (mut a, mut b, mut c) = (target.con(), target.con(), target.con());
    let mut contenders = vec![
        Contender::new(NONE, |n| {
            for _ in 0..n {
                black_box(IncrBy.run(&mut a, "bench:m:1", 1).unwrap());
            }
        }),
        Contender::new(PROMETHEUS, |n| {
            metrics::with_local_recorder(&prometheus, || {
                for _ in 0..n {
                    black_box(IncrBy.run(&mut b, "bench:m:2", 1).unwrap());
                }
            })
        }),
        Contender::new(BY_HAND, |n| {
            for _ in 0..n {
                let v: i64 = hand_cmd("bench:m:3").query(&mut c).unwrap();
                black_box(v);
            }
        }),
    ];
    let rows = interleave(10, 2_000, &mut contenders);
    table::timed(
        &format!("Metrics {feature}: warm sync calls over loopback"),
        "call",
        &rows,
        BY_HAND,
    );

    let mut con = target.con();
    let none = alloc::per_call(1_000, || {
        black_box(IncrBy.run(&mut con, "bench:m:4", 1).unwrap());
    });
    let with = metrics::with_local_recorder(&prometheus, || {
        alloc::per_call(1_000, || {
            black_box(IncrBy.run(&mut con, "bench:m:5", 1).unwrap());
        })
    });
    println!("\n### Metrics {feature}: heap allocations per warm sync call\n");
    println!("| contender | allocations per call |\n|---|---:|");
    println!("| {NONE} | {none:.2} |\n| {PROMETHEUS} | {with:.2} |");
}
