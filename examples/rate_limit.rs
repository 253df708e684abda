//! A fixed-window rate limiter: 5 requests per 1-second window for each client.
//!
//! Run with `cargo run --example rate_limit`. It uses `REDIS_URL` when set; otherwise it
//! starts a throwaway `redis-server` on a free loopback port and stops it on exit.

use std::time::Duration;

evalsha::include_script!("examples/scripts/rate_limit.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the throwaway server (if one was started) alive until the end of main.
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;

    println!(
        "script {} (SHA1 {})",
        RateLimit::script().name(),
        RateLimit::SHA1
    );
    let (limit, window_ms) = (5, 1_000);
    let bucket = format!("rate:{}:user:42", std::process::id());
    for window in 1..=2 {
        println!("-- window {window}: {limit} requests allowed per {window_ms} ms");
        for request in 1..=7 {
            let left = RateLimit.run(&mut con, &bucket, limit, window_ms)?;
            if left >= 0 {
                println!("request {request} for user:42: allowed, {left} left");
            } else {
                println!("request {request} for user:42: rate limited");
            }
        }
        if window == 1 {
            println!("(waiting for the window to pass)");
            std::thread::sleep(Duration::from_millis(window_ms + 100));
        }
    }
    Ok(())
}
