// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
// A headed script must declare what it uses, dynamic use included (`#KEYS`, `KEYS[i]`,
// `unpack(ARGV)`): one error per side, at the first such use.
evalsha::include_script!("../../../../tests/ui/scripts/dynamic_undeclared.lua");
// One mistake, one error: a bad type on an `@arg` line still declares ARGV[1].
evalsha::include_script!("../../../../tests/ui/scripts/one_error.lua");

fn main() {}
