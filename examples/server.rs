//! Many tasks, one connection: a server-style program whose request handlers (one task
//! each) all check a rate limit through one `evalsha::AutoPipeline`, and the same through
//! the bare `MultiplexedConnection`, with the throughput of each.
//!
//! Run with `cargo run --release --example server --features tokio-comp [-- TASKS CALLS]`
//! (default 64 tasks, 20,000 calls). It uses `REDIS_URL` when set; otherwise it starts a
//! throwaway `redis-server` on a free loopback port and stops it on exit.

use std::time::Instant;

use evalsha::AutoPipeline;

evalsha::include_script!("examples/scripts/rate_limit.lua");

/// Handles `calls` requests over `tasks` tasks, each request checking the rate limit of
/// one of 1,000 clients through its task's clone of `con`. Returns calls per second.
async fn serve<C>(con: &C, tasks: u64, calls: u64) -> Result<f64, Box<dyn std::error::Error>>
where
    C: redis::aio::ConnectionLike + Clone + Send + 'static,
{
    let started = Instant::now();
    let per_task = calls.div_ceil(tasks);
    let handlers: Vec<_> = (0..tasks)
        .map(|task| {
            let mut con = con.clone();
            tokio::spawn(async move {
                for request in 0..per_task {
                    let client = (task * per_task + request) % 1_000;
                    let left = RateLimit
                        .run_async(&mut con, format!("rate:{client}"), 1_000_000, 60_000)
                        .await?;
                    assert!(left >= 0);
                }
                Ok::<_, evalsha::Error>(())
            })
        })
        .collect();
    for handler in handlers {
        handler.await??;
    }
    Ok((per_task * tasks) as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let tasks = args.next().transpose()?.unwrap_or(64).max(1);
    let calls = args.next().transpose()?.unwrap_or(20_000);
    let client = redis::Client::open(url)?;

    // One connection for the whole program; one clone of the AutoPipeline per task.
    let auto = AutoPipeline::new(client.get_multiplexed_async_connection().await?);
    let bare = client.get_multiplexed_async_connection().await?;
    serve(&auto, tasks, calls / 10).await?; // warm-up (and the script's one load)
    serve(&bare, tasks, calls / 10).await?;
    let through_auto = serve(&auto, tasks, calls).await?;
    let through_bare = serve(&bare, tasks, calls).await?;
    println!("{tasks} tasks, {calls} rate-limit checks on one connection:");
    println!("  AutoPipeline:          {through_auto:>9.0} calls/s");
    println!("  MultiplexedConnection: {through_bare:>9.0} calls/s");
    println!(
        "  ratio:                 {:>9.2}×",
        through_auto / through_bare
    );
    Ok(())
}
