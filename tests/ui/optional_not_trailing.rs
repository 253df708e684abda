// `@arg NAME? TYPE` only on trailing arguments, never on keys, and with the type inside.
evalsha::include_script!("../../../../tests/ui/scripts/optional_not_trailing.lua");

fn main() {}
