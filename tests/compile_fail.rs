//! Every bad script is a compile error at the path literal reading `file:line:col:
//! problem` (trybuild UI tests: `tests/ui/*.rs` with their `.stderr`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
