//! A distributed lock with an owner token: acquire, extend and release, each one script,
//! so only the holder of the token can extend or release the lock.
//!
//! Run with `cargo run --example lock`. It uses `REDIS_URL` when set; otherwise it starts
//! a throwaway `redis-server` on a free loopback port and stops it on exit.

evalsha::include_script!("examples/scripts/lock_acquire.lua");
evalsha::include_script!("examples/scripts/lock_extend.lua");
evalsha::include_script!("examples/scripts/lock_release.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;

    let lock = format!("lock:{}:report", std::process::id());
    // Tokens should be unguessable in production (e.g. a random UUID); these are fixed
    // so the output is easy to read.
    let (alice, bob) = ("alice-7f3a", "bob-19c2");

    let got = LockAcquire.run(&mut con, &lock, alice, 10_000)?;
    println!("alice acquires {lock}: {got}");
    assert!(got);

    let got = LockAcquire.run(&mut con, &lock, bob, 10_000)?;
    println!("bob tries to acquire it while alice holds it: {got}");
    assert!(!got);

    let extended = LockExtend.run(&mut con, &lock, bob, 60_000)?;
    println!("bob tries to extend alice's lock: {extended}");
    assert!(!extended);

    let extended = LockExtend.run(&mut con, &lock, alice, 60_000)?;
    let ttl: i64 = redis::cmd("PTTL").arg(&lock).query(&mut con)?;
    println!("alice extends it to 60 s: {extended} (PTTL now {ttl} ms)");
    assert!(extended && ttl > 10_000);

    let released = LockRelease.run(&mut con, &lock, bob)?;
    println!("bob tries to release alice's lock: {released}");
    assert!(!released);

    let released = LockRelease.run(&mut con, &lock, alice)?;
    println!("alice releases it: {released}");
    assert!(released);

    let got = LockAcquire.run(&mut con, &lock, bob, 10_000)?;
    println!("bob acquires it now: {got}");
    assert!(got);
    LockRelease.run(&mut con, &lock, bob)?;
    Ok(())
}
