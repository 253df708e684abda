// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
evalsha::include_script!("../../../../tests/ui/scripts/bad_names.lua");

fn main() {}
