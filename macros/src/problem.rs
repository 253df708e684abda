//! [`Problem`]: one compile-time problem at a position of the text being read. A leaf:
//! every reader (composition, header, Lua, checks, library) reports in it, and
//! [`crate::diagnostic`] renders it.

/// A problem at a 1-based line and column of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) message: String,
}
