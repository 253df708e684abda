//! Script calls in a pipeline and in a MULTI/EXEC transaction, next to ordinary commands.
//!
//! Run with `cargo run --example batch`. It uses `REDIS_URL` when set; otherwise it starts
//! a throwaway `redis-server` on a free loopback port and stops it on exit.

evalsha::include_script!("examples/scripts/rate_limit.lua");
evalsha::include_script!("examples/scripts/transfer.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;
    let tag = std::process::id();
    let (alice, bob) = (
        format!("{{acct:{tag}}}:alice"),
        format!("{{acct:{tag}}}:bob"),
    );

    // A pipeline: three rate-limit checks and an ordinary command, one round trip. The
    // script is loaded inside the pipeline, so this works even on a server that never saw
    // it, and every call runs once, in order.
    let bucket = format!("rate:{tag}:user:7");
    let (a, b, c, ttl): (i64, i64, i64, i64) = evalsha::Pipeline::new()
        .script(RateLimit.call(&bucket, 2, 10_000))
        .script(RateLimit.call(&bucket, 2, 10_000))
        .script(RateLimit.call(&bucket, 2, 10_000))
        .cmd("PTTL")
        .arg(&bucket)
        .query(&mut con)?;
    println!(
        "pipeline: requests left after each call: {a}, {b}, {c} (-1 = limited); window ends in {ttl} ms"
    );

    // A transaction: both transfers and the balance reads run together or not at all.
    redis::cmd("SET").arg(&alice).arg(100).exec(&mut con)?;
    let (left1, left2, alice_now, bob_now): (i64, i64, i64, i64) = evalsha::Pipeline::new()
        .atomic()
        .script(Transfer.call(&alice, &bob, 30))
        .script(Transfer.call(&alice, &bob, 90))
        .cmd("GET")
        .arg(&alice)
        .cmd("GET")
        .arg(&bob)
        .query(&mut con)?;
    println!(
        "transaction: alice had 100; moved 30 (alice left {left1}), then 90 ({})",
        if left2 < 0 {
            "refused: too little".to_owned()
        } else {
            format!("alice left {left2}")
        }
    );
    println!("transaction: balances now alice={alice_now} bob={bob_now}");
    assert_eq!((alice_now, bob_now), (70, 30));
    Ok(())
}
