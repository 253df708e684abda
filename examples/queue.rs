//! A reliable job queue: claiming moves a job from `pending` to `processing` and records
//! the claim time; finishing moves it to `done`. Each step touches several keys in one
//! atomic script.
//!
//! Run with `cargo run --example queue`. It uses `REDIS_URL` when set; otherwise it starts
//! a throwaway `redis-server` on a free loopback port and stops it on exit.

use std::time::{SystemTime, UNIX_EPOCH};

evalsha::include_script!("examples/scripts/queue_claim.lua");
evalsha::include_script!("examples/scripts/queue_finish.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;

    let prefix = format!("queue:{}", std::process::id());
    let (pending, processing, claimed_at, done) = (
        format!("{prefix}:pending"),
        format!("{prefix}:processing"),
        format!("{prefix}:claimed_at"),
        format!("{prefix}:done"),
    );
    let jobs = ["resize:1.png", "resize:2.png", "email:welcome"];
    redis::cmd("LPUSH")
        .arg(&pending)
        .arg(&jobs)
        .exec(&mut con)?;
    println!("queued {jobs:?}");

    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let mut finished = Vec::new();
    while let Some(job) = QueueClaim.run(&mut con, &pending, &processing, &claimed_at, now_ms)? {
        let len: i64 = redis::cmd("LLEN").arg(&processing).query(&mut con)?;
        println!("claimed {job} ({len} in processing)");
        let ok = QueueFinish.run(&mut con, &processing, &claimed_at, &done, &job)?;
        println!("finished {job}: {ok}");
        assert!(ok);
        finished.push(job);
    }
    assert_eq!(finished, jobs, "oldest first");

    let again = QueueFinish.run(&mut con, &processing, &claimed_at, &done, "resize:1.png")?;
    println!("finishing resize:1.png twice: {again}");
    assert!(!again);

    let done_jobs: Vec<String> = redis::cmd("LRANGE")
        .arg(&done)
        .arg(0)
        .arg(-1)
        .query(&mut con)?;
    let claims: i64 = redis::cmd("HLEN").arg(&claimed_at).query(&mut con)?;
    println!("done: {done_jobs:?}; open claims: {claims}");
    assert_eq!(done_jobs.len(), 3);
    assert_eq!(claims, 0);
    redis::cmd("DEL").arg(&done).exec(&mut con)?;
    Ok(())
}
