// trybuild builds this file in target/tests/trybuild/evalsha, which is then its
// CARGO_MANIFEST_DIR: the script paths climb back to the repository.
// `Name = "path"` without a visibility is private, like any item written without `pub`;
// the short form is `pub` (README, "What the macro generates").
mod scripts {
    evalsha::include_script!("../../../../tests/scripts/echo.lua");
    evalsha::include_script!(Hidden = "../../../../tests/scripts/echo.lua");
}

fn main() {
    let _public = scripts::Echo;
    let _private = scripts::Hidden;
}
