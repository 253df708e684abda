// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
// One mistake in the script gives exactly one error: the type and its typed methods are
// still generated, so the code using them compiles.
evalsha::include_script!("../../../../tests/ui/scripts/rate_limit_typo.lua");

fn main() {
    let client = redis::Client::open("redis://127.0.0.1:1/").unwrap();
    let mut con = client.get_connection().unwrap();
    let left: Result<i64, evalsha::Error> = RateLimitTypo.run(&mut con, "k", 10, 1_000);
    let _ = (left, RateLimitTypo::SHA1, RateLimitTypo::script());
}
