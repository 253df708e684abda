// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
// A script kept as a template (ERB partials, as sidekiq-unique-jobs ships its scripts) is
// not Lua until rendered: the syntax error at the markup says so.
evalsha::include_script!("../../../../tests/ui/scripts/unrendered_template.lua");

fn main() {}
