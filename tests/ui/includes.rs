// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
// `@include` problems: each names the file and line of the `@include` line and the chain.
evalsha::include_script!("../../../../tests/ui/scripts/compose/missing.lua");
evalsha::include_script!("../../../../tests/ui/scripts/compose/cycle.lua");
evalsha::include_script!("../../../../tests/ui/scripts/compose/absolute.lua");
evalsha::include_script!("../../../../tests/ui/scripts/compose/params.lua");
// A syntax error in a fragment is reported in the fragment, at its own line.
evalsha::include_script!("../../../../tests/ui/scripts/compose/fragment_syntax.lua");

fn main() {}
