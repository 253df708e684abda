//! `--only autopipe`: many tasks, one connection. The same warm script call from 1, 8, 64
//! and 512 tasks through `evalsha::AutoPipeline` and through the bare
//! `MultiplexedConnection` it wraps, interleaved; `redis-benchmark -c 1 -P 64` as the
//! limit of one connection; the lone caller's latency percentiles; an SVG chart of calls/s
//! against tasks (`benches/auto_pipeline.svg`, shown by BENCHMARKS.md).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use evalsha::AutoPipeline;

use crate::measure::{Contender, Measure, interleave};
use crate::{IncrBy, Target, redis_benchmark};

const AUTO: &str = "AutoPipeline";
const BARE: &str = "MultiplexedConnection";
const TASKS: [u64; 4] = [1, 8, 64, 512];

/// `n` warm calls of `IncrBy` split over `tasks` tasks, each with its own clone of `con`.
fn spread<C>(rt: &tokio::runtime::Runtime, con: &C, tasks: u64, n: u64)
where
    C: redis::aio::ConnectionLike + Clone + Send + 'static,
{
    rt.block_on(async {
        let per_task = n.div_ceil(tasks);
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mut con = con.clone();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        let v: i64 = IncrBy.run_async(&mut con, "bench:auto", 1).await.unwrap();
                        black_box(v);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
}

/// The latency of each of `n` calls made one at a time by a lone task.
fn lone<C>(rt: &tokio::runtime::Runtime, con: &C, n: usize) -> Vec<Duration>
where
    C: redis::aio::ConnectionLike + Clone + Send + 'static,
{
    let mut con = con.clone();
    rt.block_on(async move {
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            let v: i64 = IncrBy.run_async(&mut con, "bench:lone", 1).await.unwrap();
            times.push(start.elapsed());
            black_box(v);
        }
        times
    })
}

/// (p50, p99) of `times`.
fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

pub fn run(target: &Target, rt: &tokio::runtime::Runtime) {
    let bare = rt
        .block_on(target.client.get_multiplexed_async_connection())
        .unwrap();
    let auto = AutoPipeline::new(
        rt.block_on(target.client.get_multiplexed_async_connection())
            .unwrap(),
    );
    println!(
        "\n### Many tasks, one connection: `AutoPipeline` vs the bare `MultiplexedConnection` \
         (warm `IncrBy.run_async`, tokio, 2 workers)\n"
    );
    println!(
        "| tasks | AutoPipeline calls/s | bare calls/s | speed | AutoPipeline client CPU ns/call | bare client CPU ns/call | calls per CPU-second vs bare |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut points = Vec::new();
    for tasks in TASKS {
        let calls = if tasks == 1 { 2_000 } else { 20_480 };
        let mut contenders = vec![
            Contender::new(AUTO, |n| spread(rt, &auto, tasks, n)),
            Contender::new(BARE, |n| spread(rt, &bare, tasks, n)),
        ];
        let rows = interleave(10, calls, &mut contenders);
        let find = |name| rows.iter().find(|r: &&Measure| r.name == name).unwrap();
        let (a, b) = (find(AUTO), find(BARE));
        println!(
            "| {tasks} | {:.0} | {:.0} | {:.2}× | {:.0} | {:.0} | {:.2}× |",
            a.per_second(),
            b.per_second(),
            a.per_second() / b.per_second(),
            a.cpu * 1e9,
            b.cpu * 1e9,
            b.cpu / a.cpu,
        );
        points.push((tasks, a.per_second(), b.per_second()));
    }

    // Interleaved, 10 rounds of 500 calls each, after a warm-up.
    let (mut auto_times, mut bare_times) = (Vec::new(), Vec::new());
    lone(rt, &auto, 200);
    lone(rt, &bare, 200);
    for _ in 0..10 {
        auto_times.extend(lone(rt, &auto, 500));
        bare_times.extend(lone(rt, &bare, 500));
    }
    let (auto_p, bare_p) = (percentiles(auto_times), percentiles(bare_times));
    println!(
        "\n### A lone caller's latency (5,000 calls one at a time, interleaved in rounds of 500)\n"
    );
    println!("| | p50 µs | p99 µs |");
    println!("|---|---:|---:|");
    for (name, (p50, p99)) in [(AUTO, auto_p), (BARE, bare_p)] {
        println!(
            "| {name} | {:.1} | {:.1} |",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }

    println!("\n### The limit: `redis-benchmark -c 1 -P 64`, the same `EVALSHA` (best of 3)\n");
    let limit = match limit(target) {
        Ok(rps) => Some(rps),
        Err(why) => {
            println!("skipped: {why}");
            None
        }
    };
    if let Some(rps) = limit {
        println!("| | calls/s | vs redis-benchmark -P 64 |");
        println!("|---|---:|---:|");
        println!("| redis-benchmark -c 1 -P 64 | {rps:.0} | 1.00× |");
        for &(tasks, a, b) in &points {
            println!("| {tasks} tasks, AutoPipeline | {a:.0} | {:.2}× |", a / rps);
            println!("| {tasks} tasks, bare | {b:.0} | {:.2}× |", b / rps);
        }
    }
    let svg = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/auto_pipeline.svg");
    match std::fs::write(&svg, chart(&points, limit)) {
        Ok(()) => println!("\nchart: {}", svg.display()),
        Err(err) => println!("\nchart not written ({err})"),
    }
}

/// The best of three `redis-benchmark -c 1 -P 64` runs.
fn limit(target: &Target) -> Result<f64, String> {
    let redis::ConnectionAddr::Tcp(host, port) = target.client.get_connection_info().addr() else {
        return Err("the server is not reached over TCP".to_owned());
    };
    let mut best = 0f64;
    for _ in 0..3 {
        best = best.max(redis_benchmark(host, *port)?);
    }
    Ok(best)
}

/// A line chart of calls/s against tasks (log scale), one line per contender, the limit
/// as a dashed horizontal line.
fn chart(points: &[(u64, f64, f64)], limit: Option<f64>) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 380.0, 80.0, 170.0, 30.0, 50.0);
    let top_value = points
        .iter()
        .flat_map(|&(_, a, b)| [a, b])
        .chain(limit)
        .fold(0f64, f64::max)
        * 1.1;
    let x = |tasks: u64| {
        let span = (TASKS[TASKS.len() - 1] as f64).log2();
        left + (tasks as f64).log2() / span * (w - left - right)
    };
    let y = |v: f64| h - bottom - v / top_value * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"18\" font-size=\"14\">Warm script calls/s on one connection</text>\n"
    );
    // Axes, ticks and labels.
    svg += &format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"black\"/>\n",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom
    );
    for tasks in TASKS {
        svg += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{tasks}</text>\n",
            x(tasks),
            h - bottom + 16.0
        );
    }
    svg += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">tasks</text>\n",
        (left + w - right) / 2.0,
        h - 12.0
    );
    for i in 0..=4 {
        let v = top_value / 4.0 * i as f64;
        svg += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.0}k</text>\n\
             <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>\n",
            left - 6.0,
            y(v) + 4.0,
            v / 1000.0,
            y(v),
            w - right,
            y(v)
        );
    }
    let line = |values: Vec<(u64, f64)>, color: &str, name: &str| {
        let path: Vec<String> = values
            .iter()
            .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect();
        let (lt, lv) = values[values.len() - 1];
        let mut s = format!(
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n",
            path.join(" ")
        );
        for &(t, v) in &values {
            s += &format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>\n",
                x(t),
                y(v)
            );
        }
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{name}</text>\n",
            x(lt) + 8.0,
            y(lv) + 4.0
        );
        s
    };
    svg += &line(
        points.iter().map(|&(t, a, _)| (t, a)).collect(),
        "#1f77b4",
        "AutoPipeline",
    );
    svg += &line(
        points.iter().map(|&(t, _, b)| (t, b)).collect(),
        "#d62728",
        "bare multiplexed",
    );
    if let Some(rps) = limit {
        svg += &format!(
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#555\" \
             stroke-dasharray=\"6,4\"/>\n\
             <text x=\"{2}\" y=\"{3:.1}\" fill=\"#555\">redis-benchmark -P 64</text>\n",
            y(rps),
            w - right,
            w - right + 8.0,
            y(rps) + 4.0
        );
    }
    svg += "</svg>\n";
    svg
}
