//! A job queue moving items between lists with several keys per script: claim (pending →
//! working), finish (working → done), and requeue jobs whose worker died.
//!
//! Run with `cargo run --example queue` (uses `REDIS_URL`, or starts a throwaway server).

evalsha::include_script!("examples/scripts/queue_claim.lua");
evalsha::include_script!("examples/scripts/queue_finish.lua");
evalsha::include_script!("examples/scripts/queue_requeue_stale.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;
    let q = format!("q:{}", std::process::id());
    let (pending, working, claimed, done) = (
        format!("{q}:pending"),
        format!("{q}:working"),
        format!("{q}:claimed_at"),
        format!("{q}:done"),
    );
    redis::cmd("LPUSH")
        .arg(&pending)
        .arg(&["job-1", "job-2", "job-3"])
        .exec(&mut con)?;
    println!("queued job-1, job-2, job-3");

    let a = QueueClaim.run(&mut con, &pending, &working, &claimed, 1_000)?;
    let b = QueueClaim.run(&mut con, &pending, &working, &claimed, 1_001)?;
    println!("worker A claims {a:?} at t=1000, worker B claims {b:?} at t=1001");
    assert_eq!((a.as_deref(), b.as_deref()), (Some("job-1"), Some("job-2")));

    let finished = QueueFinish.run(&mut con, &working, &claimed, &done, "job-1")?;
    println!("worker A finishes job-1: {finished}");
    assert!(finished);

    // Worker B died: at t=5000 jobs claimed before t=2000 go back to pending.
    let requeued = QueueRequeueStale.run(&mut con, &working, &claimed, &pending, 2_000)?;
    println!("requeued {requeued} stale job(s)");
    assert_eq!(requeued, 1);

    let mut order = Vec::new();
    while let Some(job) = QueueClaim.run(&mut con, &pending, &working, &claimed, 6_000)? {
        QueueFinish.run(&mut con, &working, &claimed, &done, &job)?;
        order.push(job);
    }
    println!("worker C claimed and finished, in order: {order:?}");
    // The requeued job goes to the front (it has waited longest).
    assert_eq!(order, ["job-2", "job-3"]);
    let all_done: Vec<String> = redis::cmd("LRANGE")
        .arg(&done)
        .arg(0)
        .arg(-1)
        .query(&mut con)?;
    println!("done (newest first): {all_done:?}");
    redis::cmd("DEL")
        .arg(&[&pending, &working, &claimed, &done])
        .exec(&mut con)?;
    Ok(())
}
