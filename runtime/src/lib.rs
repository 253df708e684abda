//! Runtime of [evalsha](https://docs.rs/evalsha): the [`Script`] values that
//! `include_script!` embeds, prepared [`Call`]s, the `NOSCRIPT` load-and-retry, and the
//! [`Error`] type.
//!
//! Use it through the `evalsha` crate, which re-exports everything public here.

#![warn(missing_docs)]

mod bulk;
mod call;
#[cfg(feature = "cluster")]
mod cluster;
mod connection;
mod error;
mod flight;
pub mod functions;
mod invoke;
mod library;
mod pipeline;
mod plain;
mod ran;
mod resp;
mod script;
mod slot;
mod timer;
mod trace;
mod transport;

pub use bulk::{loaded, preload};
#[cfg(feature = "aio")]
pub use bulk::{loaded_async, preload_async};
pub use call::Call;
pub use error::{Error, ErrorKind, PIPELINE};
pub use library::Library;
pub use pipeline::Pipeline;
pub use ran::Ran;
pub use script::{Reload, Script};
pub use slot::slot as hash_slot;

/// Items used by the code `include_script!` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use redis;
}
