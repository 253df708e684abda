//! The real-project corpus compiled through `include_script!` and `include_library!`: one
//! type per script and per Functions library of tests/corpus/SOURCES (fetched into
//! target/corpus by `.ci/fetch-corpus`), listed in [`SCRIPTS`] and [`LIBRARIES`]. The
//! tests in `tests/` check them against the servers.

/// A corpus script: `package-version` and the generated type's `script` function.
pub type Entry = (&'static str, fn() -> &'static evalsha::Script);

/// A corpus library: `package-version`, its name in SOURCES and the generated type's
/// `library` function.
pub type LibraryEntry = (
    &'static str,
    &'static str,
    fn() -> &'static evalsha::Library,
);

include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// False when the corpus was not fetched when this crate was built: run
/// `.ci/fetch-corpus`, then build again.
pub fn fetched() -> bool {
    !cfg!(corpus_missing)
}
