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
    pub(crate) flight: Flight,
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
            flight: Flight::new(),
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
