// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
evalsha::include_library!("../../../../tests/ui/scripts/library_no_name.lua");
evalsha::include_library!("../../../../tests/ui/scripts/library_bad.lua");
evalsha::include_library!(Other = "../../../../tests/ui/scripts/library_bad.lua", versioned = maybe);

fn main() {
    // No cascade: the types and the methods of literal names exist despite the errors.
    let _ = LibraryNoName.push_call::<i64>();
    let _ = Jobs.format_ts_call::<i64>("a", "b");
}
