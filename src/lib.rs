#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// Embeds a Redis Lua script and generates a type to call it with typed parameters.
///
/// ```rust,ignore
/// evalsha::include_script!("scripts/rate_limit.lua");                     // pub struct RateLimit;
/// evalsha::include_script!(pub(crate) Limiter = "scripts/rate_limit.lua"); // name, visibility
/// evalsha::include_script!("scripts/rate_limit.lua", reload = eval);      // default reload policy
/// ```
///
/// The short form makes a `pub` type named from the file stem in UpperCamelCase
/// (`changeMessageVisibility.lua` → `ChangeMessageVisibility`); `Name = "path"` without a
/// visibility makes a private type, like any item written without `pub`.
///
/// The path is relative to the including crate's `CARGO_MANIFEST_DIR`. `--- @include
/// "path"` lines in the script are replaced by the files they name (relative to the
/// including file). See the crate documentation for the annotation format, composition
/// and the generated items.
///
/// The script is checked for the servers the including crate targets in its own
/// `Cargo.toml` (`[package.metadata.evalsha] servers = ["redis-8.0", "valkey-9.1"]`: every
/// target must have what the script uses), else for every server evalsha ships an
/// environment of; see "Target servers" in the crate documentation.
#[macro_export]
macro_rules! include_script {
    ($($input:tt)*) => {
        $crate::__private::include_script! { [$crate] $($input)* }
    };
}
/// Embeds a Redis Functions library and generates a type with typed methods for its
/// functions, sent as `FCALL` (`FCALL_RO` for `no-writes`) and loaded on
/// `ERR Function not found`.
///
/// ```rust,ignore
/// evalsha::include_library!("redis/queue.lua");   // `#!lua name=queue` → pub struct Queue;
/// evalsha::include_library!(pub(crate) Jobs = "redis/queue.lua"); // name, visibility
/// evalsha::include_library!("redis/queue.lua", versioned = false); // plain loaded names
/// ```
///
/// See the crate documentation ("Redis Functions") for the generated items. The library
/// is checked for the crate's target servers as scripts are ("Target servers").
#[macro_export]
macro_rules! include_library {
    ($($input:tt)*) => {
        $crate::__private::include_library! { [$crate] $($input)* }
    };
}
#[cfg(feature = "metrics")]
pub use evalsha_runtime::describe_metrics;
pub use evalsha_runtime::functions;
pub use evalsha_runtime::hash_slot;
pub use evalsha_runtime::redis_result;
#[cfg(feature = "aio")]
pub use evalsha_runtime::{AutoPipeline, Multiplexed};
pub use evalsha_runtime::{
    Call, CallError, Error, ErrorKind, Library, PIPELINE, Pipeline, Ran, Reload, Script, Token,
    loaded, preload,
};
#[cfg(feature = "aio")]
pub use evalsha_runtime::{loaded_async, preload_async};

/// Items used by the code `include_script!` generates. Not a public API: it changes
/// without notice.
#[doc(hidden)]
pub mod __private {
    pub use core::{concat, include_bytes, include_str, option::Option, result::Result};
    pub use evalsha_macros::{include_library, include_script};
    pub use evalsha_runtime::__private::*;
    pub use evalsha_runtime::{Call, Error, Script};
}
