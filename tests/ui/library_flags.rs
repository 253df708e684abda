// One mistake, one error: `flags=` on a library's `#!lua` line (FUNCTION LOAD refuses it;
// a function's flags go in `redis.register_function{..}`) is reported once, by the
// `shebang` check, not a second time by the library's own reading of the line.
evalsha::include_library!("../../../../tests/ui/scripts/library_flags.lua");

fn main() {
    // No cascade: the type is named from `name=` and has its method.
    let _ = Flagged.get_call::<i64>("k");
}
