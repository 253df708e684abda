//! The `Library` value that `include_library!` puts in a `static`: a Redis Functions
//! library file, the names it is loaded under, and the body sent by `FUNCTION LOAD`.
//!
//! # Content-addressed names
//!
//! A library file `#!lua name=queue` with SHA1 `3f2a…` is loaded as the library
//! `queue_3f2a9c0d1e2b` (the first 12 hex digits of the file's SHA1), and each function it
//! registers, `push` say, as `push_3f2a9c0d1e2b`. Two builds of a program with different
//! library code therefore call different functions and can run side by side during a
//! rolling deploy. The loaded body is the file with two changes that keep every line
//! where it is, so a Lua error's `user_function:N` is line N of the file:
//!
//! - the `#!lua name=queue` line names `queue_3f2a9c0d1e2b`;
//! - every `redis.register_function` in the code (calls, positional or table form, and
//!   any other use of it as a value) becomes a local helper, defined at the start of line
//!   2, that appends `_3f2a9c0d1e2b` to the name and registers it. A function registered
//!   under a computed name gets the suffix too.
//!
//! `include_library!(.., versioned = false)` loads the file as it is, under its own names.

use std::sync::OnceLock;

use crate::flight::Flight;

/// A Redis Functions library embedded at compile time. `include_library!` creates one
/// `static` per library; reach it through the generated type's `library()` function.
pub struct Library {
    path: &'static str,
    name: &'static str,
    loaded_name: &'static str,
    sha1: &'static str,
    source: &'static str,
    body: &'static str,
    versioned: bool,
    /// Shared by every function of the library: they are loaded together.
    pub(crate) flight: Flight,
    /// The library rewritten for calls with a token (see `once`), built on first use.
    tokened: OnceLock<Box<Library>>,
}

impl Library {
    /// Used by `include_library!`. `sha1` is the SHA1 of `source`; `body` is what
    /// `FUNCTION LOAD` is sent, which registers the library as `loaded_name`.
    #[doc(hidden)]
    pub const fn __new(
        path: &'static str,
        name: &'static str,
        loaded_name: &'static str,
        sha1: &'static str,
        source: &'static str,
        body: &'static str,
        versioned: bool,
    ) -> Self {
        Self {
            path,
            name,
            loaded_name,
            sha1,
            source,
            body,
            versioned,
            flight: Flight::new(),
            tokened: OnceLock::new(),
        }
    }

    /// The file as written in `include_library!`, relative to the including crate.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The name in the file's `#!lua name=` line.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The name the library is loaded under: `<name>_<first 12 hex digits of SHA1>`, or
    /// [`name`](Self::name) for `versioned = false`.
    pub fn loaded_name(&self) -> &'static str {
        self.loaded_name
    }

    /// SHA1 of [`source`](Self::source): 40 lowercase hex digits.
    pub fn sha1(&self) -> &'static str {
        self.sha1
    }

    /// The file's exact bytes.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// What `FUNCTION LOAD` is sent: the file with the versioned names (see the module
    /// docs), line for line.
    pub fn body(&self) -> &'static str {
        self.body
    }

    /// False for `include_library!(.., versioned = false)`: plain names, no suffix.
    pub fn is_versioned(&self) -> bool {
        self.versioned
    }

    /// The name a function registered as `function` is loaded under: `function` plus
    /// this build's suffix (`_` and 12 hex digits), or `function` itself when not
    /// versioned. For functions with computed names, which get no typed method:
    /// `redis::cmd("FCALL").arg(Queue::library().function_name("rank_by_score"))`.
    pub fn function_name(&self, function: &str) -> String {
        match self.suffix() {
            Some(suffix) => format!("{function}{suffix}"),
            None => function.to_owned(),
        }
    }

    /// `FUNCTION LOAD <body>`, without `REPLACE` (see the crate docs).
    /// This library as calls with a token load it: a library of its own (its own name,
    /// body and load state) that `build` makes from this one, built once and kept for the
    /// life of the program. See `once`.
    pub(crate) fn tokened(
        &'static self,
        build: impl FnOnce(&Library) -> Library,
    ) -> &'static Library {
        self.tokened.get_or_init(|| Box::new(build(self)))
    }

    pub(crate) fn load_command(&self) -> [&'static [u8]; 3] {
        [b"FUNCTION", b"LOAD", self.body.as_bytes()]
    }

    /// `_<12 hex digits>`, or `None` when not versioned.
    pub(crate) fn suffix(&self) -> Option<&'static str> {
        self.versioned
            .then(|| &self.loaded_name[self.loaded_name.len() - 13..])
    }

    /// True when `loaded` is the loaded name of some version of this library:
    /// `<name>_<12 lowercase hex digits>`.
    pub(crate) fn is_version(&self, loaded: &str) -> bool {
        loaded
            .strip_prefix(self.name)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|hex| {
                hex.len() == 12 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
    }
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("path", &self.path)
            .field("loaded_name", &self.loaded_name)
            .field("sha1", &self.sha1)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static Q: Library = Library::__new(
        "q.lua",
        "queue",
        "queue_0123456789ab",
        "0123456789abcdef0123456789abcdef01234567",
        "#!lua name=queue\n",
        "#!lua name=queue_0123456789ab\n",
        true,
    );

    #[test]
    fn names() {
        assert_eq!(Q.function_name("push"), "push_0123456789ab");
        assert!(Q.is_version("queue_ffffffffffff"));
        assert!(Q.is_version("queue_0123456789ab"));
        assert!(!Q.is_version("queue"));
        assert!(!Q.is_version("queue_x123456789ab"));
        assert!(!Q.is_version("queue_0123456789abc"));
        assert!(!Q.is_version("queues_0123456789ab"));
    }
}
