//! A distributed lock with an owner token: acquire, extend, release. Only the owner's
//! token can extend or release it; a second client is refused until it is released.
//!
//! Run with `cargo run --example lock` (uses `REDIS_URL`, or starts a throwaway server).

evalsha::include_script!("examples/scripts/lock_acquire.lua");
evalsha::include_script!("examples/scripts/lock_extend.lua");
evalsha::include_script!("examples/scripts/lock_release.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let client = redis::Client::open(url)?;
    let (mut alice, mut bob) = (client.get_connection()?, client.get_connection()?);
    let lock = format!("lock:{}:report", std::process::id());
    let (alice_token, bob_token) = ("alice-7f3a", "bob-19c2");

    let got = LockAcquire.run(&mut alice, &lock, alice_token, 5_000)?;
    println!("alice acquires {lock}: {got}");
    assert!(got);
    let got = LockAcquire.run(&mut bob, &lock, bob_token, 5_000)?;
    println!("bob acquires {lock} while alice holds it: {got}");
    assert!(!got);

    let extended = LockExtend.run(&mut bob, &lock, bob_token, 60_000)?;
    println!("bob tries to extend alice's lock: {extended}");
    assert!(!extended);
    let extended = LockExtend.run(&mut alice, &lock, alice_token, 60_000)?;
    println!("alice extends her lock to 60 s: {extended}");
    assert!(extended);

    let released = LockRelease.run(&mut bob, &lock, bob_token)?;
    println!("bob tries to release alice's lock: {released}");
    assert!(!released);
    let released = LockRelease.run(&mut alice, &lock, alice_token)?;
    println!("alice releases her lock: {released}");
    assert!(released);

    let got = LockAcquire.run(&mut bob, &lock, bob_token, 5_000)?;
    println!("bob acquires {lock} now: {got}");
    assert!(got);
    LockRelease.run(&mut bob, &lock, bob_token)?;
    Ok(())
}
