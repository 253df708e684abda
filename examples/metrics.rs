//! Per-script metrics in Prometheus's text format: evalsha records through the `metrics`
//! crate's facade (feature `metrics`), `metrics-exporter-prometheus` renders them, and a
//! plain `std::net::TcpListener` serves them on a loopback port (no HTTP framework: the
//! exporter's handle renders the text, which is all a scrape needs).
//!
//! The workload: warm rate-limit calls, a `SCRIPT FLUSH` in the middle (the next call
//! meets `NOSCRIPT` and reloads: `evalsha_script_loads_total{evalsha_load_reason="noscript"}`),
//! a call that fails inside the script (`error_type="script"`), and a pipeline. Then it
//! scrapes its own endpoint over HTTP and prints what came back.
//!
//! Run with `cargo run --example metrics --features metrics`. It uses `REDIS_URL` when
//! set, otherwise starts a throwaway server. `METRICS_ADDR=127.0.0.1:9898` picks the port
//! (default: a free one); `METRICS_HOLD_SECS=60` keeps serving that long afterwards, for a
//! real Prometheus to scrape. The Grafana dashboard for these series is
//! `dashboards/evalsha.json`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

evalsha::include_script!("examples/scripts/rate_limit.lua");

/// Bucket bounds of `db.client.operation.duration`, in seconds (100 µs to 2.5 s): with
/// buckets the exporter serves a Prometheus histogram, which `histogram_quantile` reads.
pub const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Bucket bounds of `evalsha.pipeline.calls`, in commands per batch.
pub const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0];

/// Installs the Prometheus recorder as the global one (once per process), with
/// Prometheus's naming (`_seconds`, `_total`) and histogram buckets, and describes
/// evalsha's metrics to it.
pub fn install() -> Result<PrometheusHandle, Box<dyn std::error::Error>> {
    let handle = PrometheusBuilder::new()
        .with_recommended_naming(true)
        .set_buckets_for_metric(
            Matcher::Full("db.client.operation.duration".into()),
            DURATION_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full("evalsha.pipeline.calls".into()),
            BATCH_BUCKETS,
        )?
        .install_recorder()?;
    evalsha::describe_metrics();
    Ok(handle)
}

/// Serves `GET /metrics` on `addr` from a background thread: each request gets the
/// exporter's rendering. Returns the address bound (port 0 picks a free one).
pub fn serve(handle: PrometheusHandle, addr: &str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream, &handle);
        }
    });
    Ok(bound)
}

/// Answers one HTTP request.
fn answer(mut stream: TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = Vec::new();
    let mut buf = [0; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let (status, body) = if request.starts_with(b"GET /metrics ") {
        ("200 OK", handle.render())
    } else {
        ("404 Not Found", "try GET /metrics\n".to_owned())
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Scrapes `GET /metrics` at `addr` as Prometheus would, and returns the body.
pub fn scrape(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!("scrape: {head}")));
    }
    Ok(body.to_owned())
}

/// What the workload did, for comparing with the series.
#[derive(Debug, Default, Clone, Copy)]
pub struct Done {
    /// Single calls made (warm, cold and failed).
    pub calls: u64,
    /// Calls made inside pipelines.
    pub piped: u64,
}

/// The workload: `warm` calls, `SCRIPT FLUSH`, `warm` calls again (the first reloads),
/// one call that fails inside the script, and a pipeline of 10 calls.
pub fn workload(
    con: &mut redis::Connection,
    warm: u64,
) -> Result<Done, Box<dyn std::error::Error>> {
    let tag = std::process::id();
    let mut done = Done::default();
    for round in 0..2 {
        if round == 1 {
            // Another client, a failover or a restart would do the same.
            redis::cmd("SCRIPT").arg("FLUSH").exec(con)?;
        }
        for user in 0..warm {
            RateLimit.run(con, format!("rate:{tag}:{user}"), 100, 60_000)?;
            done.calls += 1;
        }
    }
    // A key of the wrong type: INCR fails inside the script (it ran: evalsha.ran="yes").
    let wrong = format!("rate:{tag}:list");
    redis::cmd("RPUSH").arg(&wrong).arg("x").exec(con)?;
    let err = RateLimit.run(con, &wrong, 100, 60_000).unwrap_err();
    assert_eq!(err.ran(), evalsha::Ran::Yes);
    done.calls += 1;
    let mut pipe = evalsha::Pipeline::new();
    for user in 0..10 {
        pipe.script(RateLimit.call(format!("rate:{tag}:{user}"), 100, 60_000));
        done.piped += 1;
    }
    let _: Vec<i64> = pipe.query(con)?;
    Ok(done)
}

#[allow(dead_code)] // tests/metrics_example.rs includes this file for its functions
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let handle = install()?;
    let addr = std::env::var("METRICS_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let addr = serve(handle, &addr)?;
    println!("serving Prometheus metrics at http://{addr}/metrics");
    let mut con = redis::Client::open(url)?.get_connection()?;
    let done = workload(&mut con, 50)?;
    println!(
        "made {} calls and a pipeline of {}, with a SCRIPT FLUSH in the middle",
        done.calls, done.piped
    );
    println!("-- GET http://{addr}/metrics (evalsha's series):");
    for line in scrape(addr)?.lines() {
        let ours = ["db_client_operation_duration", "evalsha_"]
            .iter()
            .any(|p| {
                line.trim_start_matches("# HELP ")
                    .trim_start_matches("# TYPE ")
                    .starts_with(p)
            });
        // The buckets are many lines; the count, sum and the rest say it all.
        if ours && !line.contains("_bucket{") {
            println!("{line}");
        }
    }
    if let Some(secs) = std::env::var("METRICS_HOLD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        println!("serving for {secs} s more");
        std::thread::sleep(Duration::from_secs(secs));
    }
    Ok(())
}
