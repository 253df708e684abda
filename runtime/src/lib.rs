//! Runtime of [evalsha](https://docs.rs/evalsha): the [`Script`] values that
//! `include_script!` embeds, prepared [`Call`]s, the `NOSCRIPT` load-and-retry, and the
//! [`Error`] type.
//!
//! Use it through the `evalsha` crate, which re-exports everything public here.

#![warn(missing_docs)]

// The `redis` crate this build uses, chosen by the features `redis-1` (default) and
// `redis-2`. An `extern crate .. as redis` at the crate root puts `redis` in the extern
// prelude, so every `use redis::..` below, and the generated code's
// `::evalsha::__private::redis`, name that one. With both features on (`--all-features`),
// redis 1.x is used: the workspace's own tests and the connection pools are on 1.x.
// `pub` (hidden) so that `__private` can re-export it.
#[cfg(feature = "redis-1")]
#[doc(hidden)]
pub extern crate redis1 as redis;
#[cfg(all(feature = "redis-2", not(feature = "redis-1")))]
#[doc(hidden)]
pub extern crate redis2 as redis;
#[cfg(not(any(feature = "redis-1", feature = "redis-2")))]
compile_error!(
    "evalsha needs one of its features `redis-1` (the default, for redis 1.x) or `redis-2` \
     (for redis 2.x, with `default-features = false`)"
);

mod call;
mod cluster;
mod compat;
mod error;
mod flight;
pub mod functions;
mod invoke;
mod library;
mod pipeline;
mod ran;
mod resp;
mod script;
mod timer;
mod trace;

pub use call::Call;
pub use cluster::slot as hash_slot;
pub use error::{Error, ErrorKind};
pub use library::Library;
pub use pipeline::{PIPELINE, Pipeline, loaded, preload};
#[cfg(feature = "aio")]
pub use pipeline::{loaded_async, preload_async};
pub use ran::Ran;
pub use script::{Reload, Script};

/// Items used by the code `include_script!` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use redis;
}
