//! evalsha side by side with `redis::Script`, a hand-written `redis::cmd("EVALSHA")` and
//! `EVAL` with the body, in one process, interleaved. Prints Markdown tables with ratios.
//!
//! Run: `cargo bench --bench compare --features aio` (about two minutes). Uses
//! `$REDIS_URL` when set (the benchmark runs `SCRIPT FLUSH` there!), else starts a
//! throwaway `redis-server` on a free loopback port. `--skip-compile` skips the build-time
//! measurement; `--only SECTION` runs one of encode, client, sync, async, functions,
//! pipelines, allocations, cold, herd, once, compile, autopipe, metrics (not in the default run: build
//! it with and without the feature `metrics`, see metrics_cost.rs). Under `cargo test` (no `--bench` argument) it does
//! nothing.

mod alloc;
mod auto_pipeline;
mod compile_time;
mod measure;
mod metrics_cost;
mod once;
mod table;

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use evalsha_testkit::proxy::Proxy;
use evalsha_testkit::{Server, Stats, reset_stats};
use measure::{Contender, interleave};
use redis::{ConnectionLike, FromRedisValue};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/big_16k.lua");
evalsha::include_library!("tests/libraries/incr_by.lua");

const BY_HAND: &str = "EVALSHA by hand";
const EVALSHA: &str = "evalsha";
const SCRIPT: &str = "redis::Script";
const EVAL: &str = "EVAL with body";

/// Where the server is: `$REDIS_URL`, or a throwaway one kept alive in `_server`.
struct Target {
    client: redis::Client,
    _server: Option<Server>,
}

impl Target {
    fn new() -> Self {
        match std::env::var("REDIS_URL") {
            Ok(url) => Target {
                client: redis::Client::open(url).expect("REDIS_URL"),
                _server: None,
            },
            Err(_) => {
                let server = Server::start();
                Target {
                    client: server.client(),
                    _server: Some(server),
                }
            }
        }
    }

    fn con(&self) -> redis::Connection {
        self.client.get_connection().expect("connect")
    }

    /// Host and port, for the proxy (which forwards to 127.0.0.1 only).
    fn loopback_port(&self) -> Option<u16> {
        match self.client.get_connection_info().addr() {
            redis::ConnectionAddr::Tcp(host, port)
                if host == "127.0.0.1" || host == "localhost" =>
            {
                Some(*port)
            }
            _ => None,
        }
    }

    fn flush(&self) {
        redis::cmd("SCRIPT")
            .arg("FLUSH")
            .exec(&mut self.con())
            .unwrap();
    }

    fn load(&self, source: &str) {
        let _: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(source)
            .query(&mut self.con())
            .unwrap();
    }
}

fn hand_cmd(key: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(IncrBy::SHA1).arg(1).arg(key).arg(1);
    cmd
}

fn eval_cmd(key: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(IncrBy::SOURCE).arg(1).arg(key).arg(1);
    cmd
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench binaries too: no timing in the test suite.
        println!("compare: benchmark only; run `cargo bench --bench compare --features aio`");
        return;
    }
    let skip_compile = args.iter().any(|a| a == "--skip-compile");
    // `--only NAME` runs one section: encode, client, sync, async, pipelines, allocations, cold,
    // herd, compile.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let started = Instant::now();
    let target = Target::new();
    target.load(IncrBy::SOURCE);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    print_machine(&target);
    if run("encode") {
        encode_only();
    }
    if run("client") {
        client_only();
    }
    if run("sync") {
        warm_sync(&target);
    }
    if run("async") {
        warm_async(&target, &rt);
    }
    if run("autopipe") {
        auto_pipeline::run(&target, &rt);
    }
    if run("functions") {
        functions(&target);
    }
    if run("pipelines") {
        pipelines(&target);
    }
    if run("allocations") {
        allocations(&target);
    }
    if run("cold") {
        cold_path(&target);
    }
    if run("herd") {
        herd(&target, &rt);
    }
    if run("once") {
        once::once(&target);
    }
    if only.as_deref() == Some("metrics") {
        metrics_cost::run(&target);
    }
    if run("compile") && !skip_compile {
        compile(Path::new(env!("CARGO_MANIFEST_DIR")));
    }
    println!("\n(total {:.0} s)", started.elapsed().as_secs_f64());
}

fn print_machine(target: &Target) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut target.con())
        .unwrap();
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("?")
        .trim()
        .to_owned();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    println!("## evalsha benchmarks\n");
    println!(
        "machine: {cores} cores, {cpu}; redis-server {version}; {}; redis crate 1.8",
        rustc.trim()
    );
    println!(
        "speed ratio > 1: faster than the baseline; CPU ratio < 1: less client CPU (this process's threads, \
         user and kernel time from /proc/self/task/*/schedstat; includes the kernel's share of loopback TCP)"
    );
}

/// A connection that answers every command with `:1` from memory, so that what is left
/// of a call is the client's own work (encode, send path, decode). Not used for behaviour,
/// only to take the network out of a timing.
struct Answering;

impl ConnectionLike for Answering {
    fn req_packed_command(&mut self, cmd: &[u8]) -> redis::RedisResult<redis::Value> {
        black_box(cmd);
        Ok(redis::Value::Int(1))
    }
    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        _offset: usize,
        count: usize,
    ) -> redis::RedisResult<Vec<redis::Value>> {
        black_box(cmd);
        Ok(vec![redis::Value::Int(1); count])
    }
    fn get_db(&self) -> i64 {
        0
    }
    fn check_connection(&mut self) -> bool {
        true
    }
    fn is_open(&self) -> bool {
        true
    }
}

/// The whole warm sync call against [`Answering`]: the client's cost without I/O.
fn client_only() {
    let script = redis::Script::new(IncrBy::SOURCE);
    let (mut a, mut b, mut c, mut d) = (Answering, Answering, Answering, Answering);
    let mut contenders = vec![
        Contender::new(EVALSHA, |n| {
            for i in 0..n {
                let v: i64 = IncrBy
                    .run(&mut a, black_box("bench:key"), i as i64)
                    .unwrap();
                black_box(v);
            }
        }),
        Contender::new(SCRIPT, |n| {
            for i in 0..n {
                let v: i64 = script
                    .key(black_box("bench:key"))
                    .arg(i as i64)
                    .invoke(&mut b)
                    .unwrap();
                black_box(v);
            }
        }),
        Contender::new(BY_HAND, |n| {
            for i in 0..n {
                let v: i64 = redis::cmd("EVALSHA")
                    .arg(IncrBy::SHA1)
                    .arg(1)
                    .arg(black_box("bench:key"))
                    .arg(i as i64)
                    .query(&mut c)
                    .unwrap();
                black_box(v);
            }
        }),
        Contender::new(EVAL, |n| {
            for i in 0..n {
                let v: i64 = redis::cmd("EVAL")
                    .arg(IncrBy::SOURCE)
                    .arg(1)
                    .arg(black_box("bench:key"))
                    .arg(i as i64)
                    .query(&mut d)
                    .unwrap();
                black_box(v);
            }
        }),
    ];
    let rows = interleave(10, 200_000, &mut contenders);
    table::timed(
        "Client work of a warm sync call: `run`/`query` on a connection that answers `:1` from memory (no I/O)",
        "call",
        &rows,
        BY_HAND,
    );
}

/// Client-side cost of preparing one call, no I/O.
fn encode_only() {
    let mut contenders = vec![
        Contender::new(EVALSHA, |n| {
            for i in 0..n {
                black_box(IncrBy.call(black_box("bench:key"), black_box(i as i64)));
            }
        }),
        Contender::new(BY_HAND, |n| {
            for i in 0..n {
                let mut cmd = redis::cmd("EVALSHA");
                cmd.arg(IncrBy::SHA1)
                    .arg(1)
                    .arg(black_box("bench:key"))
                    .arg(black_box(i as i64));
                black_box(cmd.get_packed_command());
            }
        }),
        Contender::new(EVAL, |n| {
            for i in 0..n {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(IncrBy::SOURCE)
                    .arg(1)
                    .arg(black_box("bench:key"))
                    .arg(black_box(i as i64));
                black_box(cmd.get_packed_command());
            }
        }),
    ];
    let rows = interleave(10, 200_000, &mut contenders);
    table::timed(
        "Preparing one call, no I/O (evalsha: `call(..)`; others: build the `Cmd` and pack it)",
        "call",
        &rows,
        BY_HAND,
    );
}

fn warm_sync(target: &Target) {
    let (mut a, mut b, mut c, mut d) = (target.con(), target.con(), target.con(), target.con());
    let script = redis::Script::new(IncrBy::SOURCE);
    let mut contenders = vec![
        Contender::new(EVALSHA, |n| {
            for _ in 0..n {
                let v: i64 = IncrBy.run(&mut a, "bench:sync:1", 1).unwrap();
                black_box(v);
            }
        }),
        Contender::new(SCRIPT, |n| {
            for _ in 0..n {
                let v: i64 = script.key("bench:sync:2").arg(1).invoke(&mut b).unwrap();
                black_box(v);
            }
        }),
        Contender::new(BY_HAND, |n| {
            for _ in 0..n {
                let v: i64 = hand_cmd("bench:sync:3").query(&mut c).unwrap();
                black_box(v);
            }
        }),
        Contender::new(EVAL, |n| {
            for _ in 0..n {
                let v: i64 = eval_cmd("bench:sync:4").query(&mut d).unwrap();
                black_box(v);
            }
        }),
    ];
    let rows = interleave(10, 2_000, &mut contenders);
    table::timed(
        "Warm sync calls (one `redis::Connection` each, one call at a time)",
        "call",
        &rows,
        BY_HAND,
    );
}

/// A warm `FCALL` through evalsha against a hand-written `FCALL` of the same loaded
/// function, and the same code as an `EVALSHA` script through evalsha.
fn functions(target: &Target) {
    let (mut a, mut b, mut c) = (target.con(), target.con(), target.con());
    if let Err(err) = evalsha::functions::load(&mut a, &[Evincr::library()]) {
        println!("\n(functions skipped: {err})");
        return;
    }
    let name = Evincr::library().function_name("incr_by");
    let mut contenders = vec![
        Contender::new("evalsha FCALL", |n| {
            for _ in 0..n {
                let v: i64 = Evincr.incr_by(&mut a, "bench:fn:1", 1).unwrap();
                black_box(v);
            }
        }),
        Contender::new("FCALL by hand", |n| {
            for _ in 0..n {
                let v: i64 = redis::cmd("FCALL")
                    .arg(&name)
                    .arg(1)
                    .arg("bench:fn:2")
                    .arg(1)
                    .query(&mut b)
                    .unwrap();
                black_box(v);
            }
        }),
        Contender::new("evalsha EVALSHA (same code as a script)", |n| {
            for _ in 0..n {
                let v: i64 = IncrBy.run(&mut c, "bench:fn:3", 1).unwrap();
                black_box(v);
            }
        }),
    ];
    let rows = interleave(10, 2_000, &mut contenders);
    table::timed(
        "Warm Redis Functions calls (one `redis::Connection` each, one call at a time)",
        "call",
        &rows,
        "FCALL by hand",
    );
}

fn warm_async(target: &Target, rt: &tokio::runtime::Runtime) {
    for tasks in [1u64, 64] {
        let con = rt
            .block_on(target.client.get_multiplexed_async_connection())
            .unwrap();
        let script = Arc::new(redis::Script::new(IncrBy::SOURCE));
        // Each contender runs `n` calls split over `tasks` tasks sharing one multiplexed
        // connection.
        let spread = |kind: &'static str| {
            let con = con.clone();
            let script = script.clone();
            move |n: u64| {
                rt.block_on(async {
                    let per_task = n.div_ceil(tasks);
                    let handles: Vec<_> = (0..tasks)
                        .map(|_| {
                            let mut con = con.clone();
                            let script = script.clone();
                            tokio::spawn(async move {
                                for _ in 0..per_task {
                                    let v: i64 = match kind {
                                        EVALSHA => IncrBy
                                            .run_async(&mut con, "bench:async:1", 1)
                                            .await
                                            .unwrap(),
                                        SCRIPT => script
                                            .key("bench:async:2")
                                            .arg(1)
                                            .invoke_async(&mut con)
                                            .await
                                            .unwrap(),
                                        BY_HAND => hand_cmd("bench:async:3")
                                            .query_async(&mut con)
                                            .await
                                            .unwrap(),
                                        _ => eval_cmd("bench:async:4")
                                            .query_async(&mut con)
                                            .await
                                            .unwrap(),
                                    };
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
        };
        let mut contenders = vec![
            Contender::new(EVALSHA, spread(EVALSHA)),
            Contender::new(SCRIPT, spread(SCRIPT)),
            Contender::new(BY_HAND, spread(BY_HAND)),
            Contender::new(EVAL, spread(EVAL)),
        ];
        let calls = if tasks == 1 { 2_000 } else { 20_000 };
        let rows = interleave(10, calls, &mut contenders);
        table::timed(
            &format!(
                "Warm async calls, {tasks} task(s) on one `MultiplexedConnection` (tokio, 2 workers)"
            ),
            "call",
            &rows,
            BY_HAND,
        );
        if tasks == 64 {
            let evalsha = rows.iter().find(|r| r.name == EVALSHA).expect("row");
            physical_limit(target, evalsha.per_second());
        }
    }
}

/// One `redis-benchmark -c 1 -P 64` run of the warm `EVALSHA`: its requests per second.
fn redis_benchmark(host: &str, port: u16) -> Result<f64, String> {
    let out = std::process::Command::new("redis-benchmark")
        .args([
            "-h",
            host,
            "-p",
            &port.to_string(),
            "-c",
            "1",
            "-P",
            "64",
            "-n",
            "200000",
        ])
        .args(["--csv", "EVALSHA", IncrBy::SHA1, "1", "bench:rb", "1"])
        .output()
        .map_err(|err| {
            format!("redis-benchmark not runnable ({err}); Debian: apt-get install redis-tools")
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "redis-benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // CSV: a header line, then `"EVALSHA ...","<rps>",...`.
    text.lines()
        .filter(|l| l.starts_with("\"EVALSHA"))
        .find_map(|l| l.split(',').nth(1))
        .and_then(|f| f.trim_matches('"').parse::<f64>().ok())
        .ok_or_else(|| format!("could not read redis-benchmark's output: {text}"))
}

/// The physical limit of one connection: `redis-benchmark -c 1 -P 64` sending the same
/// warm `EVALSHA` (64 commands in flight, no client logic), right after the 64-task rows,
/// and evalsha's 64-task throughput as a share of it. Skipped, saying why, when
/// `redis-benchmark` (Debian: `redis-tools`) is missing or the server is not on TCP.
fn physical_limit(target: &Target, evalsha_per_second: f64) {
    println!(
        "
### The physical limit: `redis-benchmark -c 1 -P 64`, the same `EVALSHA` on one connection
"
    );
    let redis::ConnectionAddr::Tcp(host, port) = target.client.get_connection_info().addr() else {
        println!("skipped: the server is not reached over TCP");
        return;
    };
    // The best of three runs: the limit is what one connection can do at most.
    let mut best: Option<f64> = None;
    for _ in 0..3 {
        match redis_benchmark(host, *port) {
            Ok(rps) => best = Some(best.map_or(rps, |b: f64| b.max(rps))),
            Err(why) => {
                println!("skipped: {why}");
                return;
            }
        }
    }
    let Some(rps) = best else { return };
    println!("| contender | calls/s | evalsha 64 tasks vs it |");
    println!("|---|---:|---:|");
    println!("| redis-benchmark -c 1 -P 64 (best of 3) | {rps:.0} | |");
    println!(
        "| evalsha, 64 tasks on one `MultiplexedConnection` | {evalsha_per_second:.0} | {:.2}× |",
        evalsha_per_second / rps
    );
}

/// `size` calls of IncrBy as evalsha calls concatenated into one buffer.
fn packed_calls(size: u64, key: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(size as usize * 80);
    for _ in 0..size {
        buf.extend_from_slice(IncrBy.call(key, 1).__packed());
    }
    buf
}

/// The same calls in an `evalsha::Pipeline` (its first call goes as `EVAL` with the body).
fn call_pipeline(size: u64, key: &str) -> evalsha::Pipeline {
    let mut pipe = evalsha::Pipeline::new();
    for _ in 0..size {
        pipe.script(IncrBy.call(key, 1));
    }
    pipe
}

fn hand_pipeline(size: u64, key: &str, eval: bool) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for _ in 0..size {
        pipe.add_command(if eval { eval_cmd(key) } else { hand_cmd(key) });
    }
    pipe
}

const PACKED: &str = "evalsha packed calls (prototype)";
const VIA_PIPE: &str = "evalsha::Pipeline";

/// Bytes a warm pipeline puts on the wire: evalsha (the first call of each script as
/// `EVAL` with the body) beside a hand-written `EVALSHA` pipeline (which breaks after a
/// `SCRIPT FLUSH`) and a hand-written `EVAL` pipeline. Exact: the packed bytes a sync
/// connection writes.
fn pipeline_bytes() {
    println!(
        "\n### Bytes sent per warm pipeline (one script, `{}` is {} bytes)\n",
        IncrBy::script().name(),
        IncrBy::SOURCE.len()
    );
    println!("| calls | evalsha::Pipeline | EVALSHA by hand | evalsha vs by hand | EVAL by hand |");
    println!("|---:|---:|---:|---:|---:|");
    for size in [1u64, 10, 100, 10_000] {
        let ours = call_pipeline(size, "bench:pipe:2").__packed().len();
        let hand = hand_pipeline(size, "bench:pipe:3", false)
            .get_packed_pipeline()
            .len();
        let eval = hand_pipeline(size, "bench:pipe:4", true)
            .get_packed_pipeline()
            .len();
        println!(
            "| {size} | {ours} | {hand} | {:.2}× | {eval} |",
            ours as f64 / hand as f64
        );
    }
}

fn pipelines(target: &Target) {
    pipeline_bytes();
    for size in [100u64, 10_000] {
        let (mut a, mut b, mut c, mut d) = (target.con(), target.con(), target.con(), target.con());
        let pipes = move |n: u64| n.div_ceil(size);
        let mut contenders = vec![
            Contender::new(PACKED, |n| {
                for _ in 0..pipes(n) {
                    let buf = packed_calls(size, "bench:pipe:1");
                    let replies = a.req_packed_commands(&buf, 0, size as usize).unwrap();
                    let v: Vec<i64> = replies
                        .into_iter()
                        .map(|v| i64::from_redis_value(v).unwrap())
                        .collect();
                    black_box(v);
                }
            }),
            Contender::new(VIA_PIPE, |n| {
                for _ in 0..pipes(n) {
                    let v: Vec<i64> = call_pipeline(size, "bench:pipe:2").query(&mut b).unwrap();
                    black_box(v);
                }
            }),
            Contender::new(BY_HAND, |n| {
                for _ in 0..pipes(n) {
                    let v: Vec<i64> = hand_pipeline(size, "bench:pipe:3", false)
                        .query(&mut c)
                        .unwrap();
                    black_box(v);
                }
            }),
            Contender::new(EVAL, |n| {
                for _ in 0..pipes(n) {
                    let v: Vec<i64> = hand_pipeline(size, "bench:pipe:4", true)
                        .query(&mut d)
                        .unwrap();
                    black_box(v);
                }
            }),
        ];
        let rounds = 10;
        let rows = interleave(rounds, 20_000, &mut contenders);
        table::timed(
            &format!("Pipelines of {size} calls, sync connection (per call)"),
            "call",
            &rows,
            BY_HAND,
        );

        // The client's share alone: build and pack the pipeline, no I/O.
        let mut contenders = vec![
            Contender::new(PACKED, |n| {
                for _ in 0..pipes(n) {
                    black_box(packed_calls(size, "bench:pipe:1"));
                }
            }),
            Contender::new(VIA_PIPE, |n| {
                for _ in 0..pipes(n) {
                    black_box(call_pipeline(size, "bench:pipe:2").__packed());
                }
            }),
            Contender::new(BY_HAND, |n| {
                for _ in 0..pipes(n) {
                    black_box(hand_pipeline(size, "bench:pipe:3", false).get_packed_pipeline());
                }
            }),
        ];
        let rows = interleave(rounds, 100_000, &mut contenders);
        table::timed(
            &format!("Building a pipeline of {size} calls, no I/O (per call)"),
            "call",
            &rows,
            BY_HAND,
        );
    }
}

fn allocations(target: &Target) {
    const CALLS: u64 = 1_000;
    let mut con = target.con();
    let script = redis::Script::new(IncrBy::SOURCE);
    let packed = IncrBy.call("bench:alloc:0", 1).__packed().to_vec();
    let sync = [
        (
            EVALSHA,
            alloc::per_call(CALLS, || {
                black_box(IncrBy.run(&mut con, "bench:alloc:1", 1).unwrap());
            }),
        ),
        (
            SCRIPT,
            alloc::per_call(CALLS, || {
                let v: i64 = script.key("bench:alloc:2").arg(1).invoke(&mut con).unwrap();
                black_box(v);
            }),
        ),
        (
            BY_HAND,
            alloc::per_call(CALLS, || {
                let v: i64 = hand_cmd("bench:alloc:3").query(&mut con).unwrap();
                black_box(v);
            }),
        ),
        (
            EVAL,
            alloc::per_call(CALLS, || {
                let v: i64 = eval_cmd("bench:alloc:4").query(&mut con).unwrap();
                black_box(v);
            }),
        ),
        (
            "floor: req_packed_command(pre-packed bytes)",
            alloc::per_call(CALLS, || {
                black_box(con.req_packed_command(&packed).unwrap());
            }),
        ),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let con = rt
        .block_on(target.client.get_multiplexed_async_connection())
        .unwrap();
    let asyncs = [
        (
            EVALSHA,
            async_per_call(&rt, CALLS, || {
                let mut con = con.clone();
                async move {
                    black_box(
                        IncrBy
                            .run_async(&mut con, "bench:alloc:1", 1)
                            .await
                            .unwrap(),
                    );
                }
            }),
        ),
        (
            SCRIPT,
            async_per_call(&rt, CALLS, || {
                let mut con = con.clone();
                let script = &script;
                async move {
                    let v: i64 = script
                        .key("bench:alloc:2")
                        .arg(1)
                        .invoke_async(&mut con)
                        .await
                        .unwrap();
                    black_box(v);
                }
            }),
        ),
        (
            BY_HAND,
            async_per_call(&rt, CALLS, || {
                let mut con = con.clone();
                async move {
                    let v: i64 = hand_cmd("bench:alloc:3")
                        .query_async(&mut con)
                        .await
                        .unwrap();
                    black_box(v);
                }
            }),
        ),
        (
            EVAL,
            async_per_call(&rt, CALLS, || {
                let mut con = con.clone();
                async move {
                    let v: i64 = eval_cmd("bench:alloc:4")
                        .query_async(&mut con)
                        .await
                        .unwrap();
                    black_box(v);
                }
            }),
        ),
    ];
    println!("\n### Heap allocations per warm call (counting allocator, calling thread)\n");
    println!(
        "| contender | sync `Connection` | vs {BY_HAND} | async `MultiplexedConnection` (current-thread runtime) | vs {BY_HAND} |"
    );
    println!("|---|---:|---:|---:|---:|");
    let base_sync = sync.iter().find(|r| r.0 == BY_HAND).unwrap().1;
    let base_async = asyncs.iter().find(|r| r.0 == BY_HAND).unwrap().1;
    for (name, n) in &sync {
        match asyncs.iter().find(|r| r.0 == *name) {
            Some((_, a)) => println!(
                "| {name} | {n:.2} | {:.2}× | {a:.2} | {:.2}× |",
                n / base_sync,
                a / base_async
            ),
            None => println!("| {name} | {n:.2} | {:.2}× | – | – |", n / base_sync),
        }
    }
}

/// Allocations per async call, each driven to completion on `rt` (a current-thread
/// runtime, so the connection's driver task allocates on the counted thread too).
fn async_per_call<F: Future<Output = ()>>(
    rt: &tokio::runtime::Runtime,
    calls: u64,
    mut f: impl FnMut() -> F,
) -> f64 {
    alloc::per_call(calls, || rt.block_on(f()))
}

/// Cold path through a proxy that holds each reply back: round trips, bytes the client
/// sent, and time, for a 16 KiB script.
fn cold_path(target: &Target) {
    const DELAY: Duration = Duration::from_millis(10);
    let Some(port) = target.loopback_port() else {
        println!("\n(cold path skipped: the proxy needs a server on 127.0.0.1)");
        return;
    };
    let proxy = Proxy::start(port, DELAY).unwrap();
    let mut con = proxy.client().get_connection().unwrap();
    let script = redis::Script::new(Big16k::SOURCE);
    let by_hand = |con: &mut redis::Connection| -> i64 {
        // What a careful hand-written caller does: EVALSHA, on NOSCRIPT load and retry.
        let cmd = || {
            let mut c = redis::cmd("EVALSHA");
            c.arg(Big16k::SHA1).arg(1).arg("bench:big").arg("v");
            c
        };
        match cmd().query(con) {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                let _: String = redis::cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(Big16k::SOURCE)
                    .query(con)
                    .unwrap();
                cmd().query(con).unwrap()
            }
            other => other.unwrap(),
        }
    };
    type Caller<'s> = Box<dyn Fn(&mut redis::Connection) -> i64 + 's>;
    let callers: Vec<(&str, Caller)> = vec![
        (
            EVALSHA,
            Box::new(|con| Big16k.run(con, "bench:big", "v").unwrap()),
        ),
        (
            SCRIPT,
            Box::new(|con| script.key("bench:big").arg("v").invoke(con).unwrap()),
        ),
        (
            "EVALSHA by hand, SCRIPT LOAD on NOSCRIPT",
            Box::new(by_hand),
        ),
        (
            EVAL,
            Box::new(|con| {
                redis::cmd("EVAL")
                    .arg(Big16k::SOURCE)
                    .arg(1)
                    .arg("bench:big")
                    .arg("v")
                    .query(con)
                    .unwrap()
            }),
        ),
    ];
    println!(
        "\n### Cold path after `SCRIPT FLUSH`, {}-byte script, through a proxy adding {} ms per reply\n",
        Big16k::SOURCE.len(),
        DELAY.as_millis()
    );
    println!(
        "| contender | round trips (cold) | bytes sent (cold) | ms (cold, median of 5) | round trips (warm) | bytes sent (warm) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, call) in &callers {
        let mut times = Vec::new();
        let (mut trips, mut bytes) = (0, 0);
        for _ in 0..5 {
            target.flush();
            proxy.reset();
            let start = Instant::now();
            black_box(call(&mut con));
            times.push(start.elapsed());
            trips = proxy.round_trips();
            bytes = proxy.bytes_sent();
        }
        times.sort();
        proxy.reset();
        black_box(call(&mut con));
        println!(
            "| {name} | {trips} | {bytes} | {:.1} | {} | {} |",
            times[2].as_secs_f64() * 1e3,
            proxy.round_trips(),
            proxy.bytes_sent()
        );
    }
}

/// `SCRIPT LOAD`s sent when many tasks on one multiplexed connection meet `NOSCRIPT`.
fn herd(target: &Target, rt: &tokio::runtime::Runtime) {
    println!(
        "\n### Herd: tasks sharing one `MultiplexedConnection` call a flushed script at once\n"
    );
    println!(
        "| tasks | evalsha: SCRIPT LOADs | redis::Script: SCRIPT LOADs | evalsha: EVALSHAs | redis::Script: EVALSHAs |"
    );
    println!("|---:|---:|---:|---:|---:|");
    let script = Arc::new(redis::Script::new(IncrBy::SOURCE));
    for tasks in [10usize, 100, 1_000] {
        let mut row = Vec::new();
        for use_evalsha in [true, false] {
            let con = rt
                .block_on(target.client.get_multiplexed_async_connection())
                .unwrap();
            target.flush();
            reset_stats(&mut target.con());
            rt.block_on(async {
                let handles: Vec<_> = (0..tasks)
                    .map(|_| {
                        let mut con = con.clone();
                        let script = script.clone();
                        tokio::spawn(async move {
                            if use_evalsha {
                                IncrBy.run_async(&mut con, "bench:herd", 1).await.unwrap();
                            } else {
                                let _: i64 = script
                                    .key("bench:herd")
                                    .arg(1)
                                    .invoke_async(&mut con)
                                    .await
                                    .unwrap();
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            });
            let stats = Stats::read(&mut target.con());
            row.push((stats.calls("script|load"), stats.calls("evalsha")));
        }
        println!(
            "| {tasks} | {} | {} | {} | {} |",
            row[0].0, row[1].0, row[0].1, row[1].1
        );
    }
    target.load(IncrBy::SOURCE);
}

fn compile(workspace: &Path) {
    let t = compile_time::measure(workspace, 3);
    println!(
        "\n### Build time: a crate including a {}-line ({} bytes) script vs a 3-line one (best of 3 rebuilds, `cargo build`, dev profile)\n",
        compile_time::LINES,
        t.large_bytes
    );
    println!("| script | build ms |\n|---|---:|");
    println!("| 3 lines | {:.0} |", t.small.as_secs_f64() * 1e3);
    println!(
        "| {} lines | {:.0} |",
        compile_time::LINES,
        t.large.as_secs_f64() * 1e3
    );
    println!(
        "| difference (macro expansion + compiling its output) | {:.0} |",
        t.large.as_secs_f64() * 1e3 - t.small.as_secs_f64() * 1e3
    );
    match t.composed {
        Some(composed) => println!(
            "| `{}` (composed from 39 files) | {:.0} |\n| difference | {:.0} |",
            compile_time::COMPOSED,
            composed.as_secs_f64() * 1e3,
            composed.as_secs_f64() * 1e3 - t.small.as_secs_f64() * 1e3
        ),
        None => println!(
            "\n(the composed corpus script is measured once `.ci/fetch-corpus` has fetched it)"
        ),
    }
}
