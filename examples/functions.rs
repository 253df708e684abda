//! Redis Functions with `include_library!`: a rate-limit library whose functions become
//! typed methods sending `FCALL` (`FCALL_RO` for `no-writes`). The first call meets
//! `ERR Function not found` and loads the library, under a name that carries the first 12
//! hex digits of its SHA1, so another build of this program with other library code can
//! run beside it. Redis Functions need Redis 7 or Valkey; on older servers the example
//! says so.
//!
//! Run with `cargo run --example functions` (uses `REDIS_URL`, or starts a throwaway
//! server).

use evalsha::ErrorKind;

evalsha::include_library!("examples/functions/ratelimit.lua"); // `#!lua name=ratelimit`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;
    let bucket = format!("rate:{}", std::process::id());
    println!("library loaded as {}", Ratelimit::LIBRARY);
    for i in 1..=4 {
        match Ratelimit.hit(&mut con, &bucket, 3, 60_000) {
            Ok(left) => println!("request {i}: {left} left"),
            Err(err) if err.kind() == &ErrorKind::FunctionsUnsupported => {
                println!("this server has no Redis Functions (Redis 7+ or Valkey needed): {err}");
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        }
    }
    // `countOf` is registered with `flags = {'no-writes'}`: sent as FCALL_RO.
    let counted = Ratelimit.count_of(&mut con, &bucket)?;
    println!("counted (read through FCALL_RO): {counted}");
    assert_eq!(counted, 4);
    // Delete the versions of `ratelimit` that other builds left behind.
    let pruned = evalsha::functions::prune(&mut con, &[Ratelimit::library()])?;
    println!("pruned other versions: {pruned:?}");
    redis::cmd("DEL").arg(&bucket).exec(&mut con)?;
    Ok(())
}
