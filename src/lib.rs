#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub use evalsha_macros::include_script;
pub use evalsha_runtime::{Call, Error, ErrorKind, Reload, Script};

/// Items used by the code `include_script!` generates. Not a public API: it changes
/// without notice.
#[doc(hidden)]
pub mod __private {
    pub use core::{concat, include_str, option::Option, result::Result};
    pub use evalsha_runtime::__private::*;
    pub use evalsha_runtime::{Call, Error, Script};
}
