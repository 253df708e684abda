// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
evalsha::include_script!(Limiter = "../../../../tests/scripts/incr_by.lua", reload = sometimes);
evalsha::include_script!(Other = "../../../../tests/scripts/incr_by.lua", retry = 3);
evalsha::include_script!(42);

fn main() {}
