//! The `Script` value that `include_script!` (and, one per function, `include_library!`)
//! puts in a `static`: the file's name, bytes and SHA1, its [`Kind`] (a script or a
//! function of a library), and the shared state that keeps concurrent reloads to one.
//!
//! The kind answers, in one place, everything that differs between a script and a
//! function: what a call sends (`EVALSHA`/`FCALL`, the SHA1 or the loaded function name),
//! whether it has a form that carries the body (`EVAL`), what reply says it is not loaded
//! (`NOSCRIPT`, `ERR Function not found`), how it is loaded (`SCRIPT LOAD`,
//! `FUNCTION LOAD`) and where (any node, or a slot's primary), and whose load state it
//! shares.

use std::sync::OnceLock;

use redis::RedisError;

use crate::flight::Flight;
use crate::library::Library;
use crate::ran;

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
    flight: Flight,
    kind: Kind,
    /// What spans and metrics call it: the generated type's name, or `Library.function`.
    label: &'static str,
    /// Its calls' `db.client.operation.duration` labels, built at compile time so that
    /// recording a warm call allocates nothing.
    #[cfg(feature = "metrics")]
    metric_labels: [metrics::Label; 3],
    /// The metric's key over those labels, made (and hashed) once, at the first call.
    #[cfg(feature = "metrics")]
    metric_key: std::sync::OnceLock<metrics::Key>,
    /// The script wrapped for calls with a token (see `once`), built on first use.
    tokened: OnceLock<Box<Script>>,
}

/// What a [`Script`] is on the server.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A script, cached by the server under its SHA1.
    Script,
    /// A function of a Redis Functions library.
    Function {
        /// The library that registers it, loaded as a whole.
        library: &'static Library,
        /// The name the function is loaded under (with the build's suffix).
        loaded: &'static str,
    },
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
            kind: Kind::Script,
            label: name,
            #[cfg(feature = "metrics")]
            metric_labels: metric_labels(Kind::Script, read_only, name),
            #[cfg(feature = "metrics")]
            metric_key: std::sync::OnceLock::new(),
            tokened: OnceLock::new(),
        }
    }

    /// Used by `include_library!`: one function of `library`, loaded as `loaded_name`.
    /// `name` is what [`Error::script`](crate::Error::script) says (`<file>#<function>`),
    /// a label only: messages take the file and the function from `library` and
    /// `loaded_name`. `sha1` and `source` are the library's.
    #[doc(hidden)]
    pub const fn __function(
        library: &'static Library,
        name: &'static str,
        loaded_name: &'static str,
        sha1: &'static str,
        source: &'static str,
        read_only: bool,
    ) -> Self {
        let mut function = Self::__new(name, sha1, source, read_only, Reload::Load);
        function.kind = Kind::Function {
            library,
            loaded: loaded_name,
        };
        #[cfg(feature = "metrics")]
        set_metric_labels(&mut function);
        function
    }

    /// Used by `include_script!` and `include_library!`: what spans and metrics call it
    /// (see [`label`](Self::label)).
    #[doc(hidden)]
    pub const fn __labeled(mut self, label: &'static str) -> Self {
        self.label = label;
        #[cfg(feature = "metrics")]
        set_metric_labels(&mut self);
        self
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
            None => (self.file(), line),
        }
    }

    /// The file as written in `include_script!`, relative to the including crate; for a
    /// function of a library, `<file>#<function>`.
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

    /// What spans and metrics name it (`db.stored_procedure.name`): the generated type's
    /// name (`RateLimit`), or for a function of a library `Library.function`
    /// (`Queue.push`). Never a key, an argument or the body.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The labels of its calls' duration metric (feature `metrics`).
    #[cfg(feature = "metrics")]
    pub(crate) fn metric_labels(&'static self) -> &'static [metrics::Label] {
        &self.metric_labels
    }

    /// The key of its warm calls' duration metric named `name`, made once (feature
    /// `metrics`; `name` is always the same one).
    #[cfg(feature = "metrics")]
    pub(crate) fn metric_key(&'static self, name: &'static str) -> &'static metrics::Key {
        self.metric_key
            .get_or_init(|| metrics::Key::from_static_labels(name, &self.metric_labels))
    }

    /// The script type's default reload policy (`include_script!(.., reload = eval)`);
    /// a call may override it with [`Call::reload`](crate::Call::reload).
    pub fn reload(&self) -> Reload {
        self.reload
    }

    /// True when the script declares `#!lua flags=no-writes`: it is sent as `EVALSHA_RO`
    /// (a function registered with `flags={'no-writes'}`: `FCALL_RO`).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The library this function belongs to, or `None` for a script.
    pub fn library(&self) -> Option<&'static Library> {
        match self.kind {
            Kind::Function { library, .. } => Some(library),
            Kind::Script => None,
        }
    }

    /// This script as calls with a token send it: a script or function of its own (its
    /// own SHA1 or function name, and load state) that `build` makes from this one (with
    /// [`Script::derived`]), built once and kept for the life of the program. See `once`.
    pub(crate) fn tokened(&'static self, build: impl FnOnce(&Script) -> Script) -> &'static Script {
        self.tokened.get_or_init(|| Box::new(build(self)))
    }

    /// A script of `kind` sent as `sha1` with the text `source`, that reads as this one in
    /// errors, spans and metrics: the same name, label, line map and reload policy. Not
    /// read-only: it writes a record.
    pub(crate) fn derived(&self, sha1: &'static str, source: &'static str, kind: Kind) -> Script {
        let mut derived = Script::__new(self.name, sha1, source, false, self.reload);
        derived.sources = self.sources;
        derived.kind = kind;
        // Spans and metrics name it as the script it wraps.
        derived.__labeled(self.label)
    }

    /// A script or a function of a library.
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The file it was written in: the script's, or its library's.
    pub(crate) fn file(&self) -> &'static str {
        match self.kind {
            Kind::Function { library, .. } => library.path(),
            Kind::Script => self.name,
        }
    }

    /// For a function, the name it is registered under in the file (its loaded name
    /// without the build's suffix); `None` for a script.
    pub(crate) fn function(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Function { library, loaded } => Some(
                library
                    .suffix()
                    .and_then(|suffix| loaded.strip_suffix(suffix))
                    .unwrap_or(loaded),
            ),
            Kind::Script => None,
        }
    }

    /// The command that calls it: `EVALSHA` or `FCALL`, `_RO` when read-only.
    pub(crate) fn call_command(&self) -> &'static str {
        call_command(self.kind, self.read_only)
    }

    /// The command that calls it with its body: `EVAL` or `EVAL_RO`. Only a script has
    /// one ([`Script::has_body_form`]); the cluster probe uses it for both kinds.
    pub(crate) fn body_command(&self) -> &'static str {
        if self.read_only { "EVAL_RO" } else { "EVAL" }
    }

    /// Whether a call can carry the body instead of naming it ([`Reload::Eval`]): a
    /// script can (`EVAL`), a function cannot.
    pub(crate) fn has_body_form(&self) -> bool {
        matches!(self.kind, Kind::Script)
    }

    /// What the call names after the command: the SHA1 for `EVALSHA`, the loaded function
    /// name for `FCALL`.
    pub(crate) fn target(&self) -> &'static str {
        match self.kind {
            Kind::Function { loaded, .. } => loaded,
            Kind::Script => self.sha1,
        }
    }

    /// True for the server's own reply saying it does not have what a call names, the
    /// only reply that triggers a reload: `NOSCRIPT` for a script, `ERR Function not
    /// found` for a function. Nothing ran.
    pub(crate) fn is_not_loaded(&self, err: &RedisError) -> bool {
        match self.kind {
            Kind::Function { .. } => ran::is_function_not_found(err),
            Kind::Script => ran::is_servers_noscript(err),
        }
    }

    /// True for the server's reply to a load (without `REPLACE`) saying it has the
    /// library already, or another registering one of its function names; never for a
    /// script, whose `SCRIPT LOAD` replaces nothing.
    pub(crate) fn is_loaded_already(&self, err: &RedisError) -> bool {
        matches!(self.kind, Kind::Function { .. }) && ran::is_library_loaded(err)
    }

    /// True when it must be loaded on the primary of the call's slot: a replica cannot
    /// load a library (it refuses `FUNCTION LOAD` and gets it by replication), while each
    /// node, replicas included, caches scripts of its own.
    pub(crate) fn loads_on_primary(&self) -> bool {
        matches!(self.kind, Kind::Function { .. })
    }

    /// The load state shared by everything loaded together: the script's own, or its
    /// library's for a function.
    pub(crate) fn flight(&self) -> &Flight {
        match self.kind {
            Kind::Function { library, .. } => &library.flight,
            Kind::Script => &self.flight,
        }
    }

    /// The command that loads it: `SCRIPT LOAD <source>` or `FUNCTION LOAD <body>`.
    pub(crate) fn load_command(&self) -> [&'static [u8]; 3] {
        match self.kind {
            Kind::Function { library, .. } => library.load_command(),
            Kind::Script => [b"SCRIPT", b"LOAD", self.source.as_bytes()],
        }
    }
}

/// The command that calls a script or function: `EVALSHA` or `FCALL`, `_RO` when
/// read-only.
const fn call_command(kind: Kind, read_only: bool) -> &'static str {
    match (kind, read_only) {
        (Kind::Script, false) => "EVALSHA",
        (Kind::Script, true) => "EVALSHA_RO",
        (Kind::Function { .. }, false) => "FCALL",
        (Kind::Function { .. }, true) => "FCALL_RO",
    }
}

/// The `db.client.operation.duration` labels of a warm call (see `trace`).
#[cfg(feature = "metrics")]
const fn metric_labels(kind: Kind, read_only: bool, label: &'static str) -> [metrics::Label; 3] {
    [
        metrics::Label::from_static_parts("db.system.name", "redis"),
        metrics::Label::from_static_parts("db.operation.name", call_command(kind, read_only)),
        metrics::Label::from_static_parts("db.stored_procedure.name", label),
    ]
}

/// Rebuilds `script`'s metric labels after its kind or label changed. (In a `const fn` a
/// value that has drop glue cannot be dropped: the old labels, all `'static` text, are
/// forgotten, which frees nothing because they own nothing.)
#[cfg(feature = "metrics")]
const fn set_metric_labels(script: &mut Script) {
    let labels = metric_labels(script.kind, script.read_only, script.label);
    std::mem::forget(std::mem::replace(&mut script.metric_labels, labels));
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
