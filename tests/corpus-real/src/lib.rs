//! The real-project corpus compiled through `include_script!`: one type per script of
//! tests/corpus/SOURCES (fetched into target/corpus by `.ci/fetch-corpus`), listed in
//! [`SCRIPTS`]. The tests in `tests/` check them against the servers.

/// A corpus script: `package-version` and the generated type's `script` function.
pub type Entry = (&'static str, fn() -> &'static evalsha::Script);

include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// False when the corpus was not fetched when this crate was built: run
/// `.ci/fetch-corpus`, then build again.
pub fn fetched() -> bool {
    !cfg!(corpus_missing)
}
