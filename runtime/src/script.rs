//! The `Script` value that `include_script!` puts in a `static`: the file's name, bytes
//! and SHA1, plus the shared state that keeps concurrent reloads to one.

use crate::flight::Flight;

/// What to do when the server answers `NOSCRIPT`.
///
/// The default, [`Reload::Load`], suits almost everyone. Choose per call with
/// [`Call::reload`](crate::Call::reload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Reload {
    /// `SCRIPT LOAD` the body through the same connection and retry `EVALSHA` once, both
    /// pipelined: two round trips in all.
    #[default]
    Load,
    /// Send the call once more as `EVAL` with the body, for proxies that refuse keyless
    /// commands such as `SCRIPT LOAD` (twemproxy, Envoy).
    Eval,
    /// Do not reload: `NOSCRIPT` comes back as an [`Error`](crate::Error) of kind
    /// [`ErrorKind::NoScript`](crate::ErrorKind::NoScript). For deployments whose
    /// deploy step loads every script.
    Never,
}

/// A Lua script embedded at compile time. `include_script!` creates one `static` per
/// script; reach it through the generated type's `script()` function.
pub struct Script {
    name: &'static str,
    sha1: &'static str,
    source: &'static str,
    read_only: bool,
    reload: Reload,
    sources: Sources,
    pub(crate) flight: Flight,
}

/// Where the lines of a script composed with `@include` were written: the files, and
/// runs of `(first line of the script, file index, its line in that file)`, 1-based and
/// in order. Empty for a script of one file.
#[derive(Clone, Copy)]
struct Sources {
    files: &'static [&'static str],
    runs: &'static [(u32, u32, u32)],
}

impl Script {
    /// Used by `include_script!`; `sha1` must be the SHA1 of `source` in lowercase hex.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        sha1: &'static str,
        source: &'static str,
        read_only: bool,
        reload: Reload,
    ) -> Self {
        Self {
            name,
            sha1,
            source,
            read_only,
            reload,
            sources: Sources {
                files: &[],
                runs: &[],
            },
            flight: Flight::new(),
        }
    }

    /// Used by `include_script!` for a script composed with `@include`: the files it was
    /// composed from and its line map (see [`Script::origin`]).
    #[doc(hidden)]
    pub const fn __with_sources(
        mut self,
        files: &'static [&'static str],
        runs: &'static [(u32, u32, u32)],
    ) -> Self {
        self.sources = Sources { files, runs };
        self
    }

    /// The file and line where line `line` of [`source`](Self::source) was written. For a
    /// script composed with `@include` lines that is the included file that holds it
    /// (`commands/includes/removeJob.lua`, 12); otherwise the script itself and `line`.
    pub fn origin(&self, line: u32) -> (&'static str, u32) {
        let Sources { files, runs } = self.sources;
        let at = runs.partition_point(|&(start, _, _)| start <= line);
        match at.checked_sub(1).map(|i| runs[i]) {
            Some((start, file, first)) => (files[file as usize], first + (line - start)),
            None => (self.name, line),
        }
    }

    /// The file as written in `include_script!`, relative to the including crate.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// SHA1 of [`source`](Self::source): 40 lowercase hex digits, equal to what
    /// `SCRIPT LOAD` returns.
    pub fn sha1(&self) -> &'static str {
        self.sha1
    }

    /// The file's exact bytes.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The script type's default reload policy (`include_script!(.., reload = eval)`);
    /// a call may override it with [`Call::reload`](crate::Call::reload).
    pub fn reload(&self) -> Reload {
        self.reload
    }

    /// True when the script declares `#!lua flags=no-writes`: it is sent as `EVALSHA_RO`.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.name)
            .field("sha1", &self.sha1)
            .field("read_only", &self.read_only)
            .field("reload", &self.reload)
            .finish_non_exhaustive()
    }
}
