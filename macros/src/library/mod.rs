//! `include_library!`: reading a Redis Functions library and emitting its type, one job a
//! module. This file holds what the library says ([`Library`], [`Function`]); [`read`]
//! reads it: the `#!lua name=` line, and the orchestration over every
//! `redis.register_function` (positional and table form, with `flags`) found by
//! [`registration`], each function's parameters (a `---@key`/`---@arg`/`---@return` block
//! above the registration or the callback, else inferred from how the callback uses its
//! two parameters) from [`params`] and the method names from [`methods`]; [`body`] makes
//! the body sent by `FUNCTION LOAD`, with versioned names; [`emit`] is the macro. The
//! files use this one and each other without a circle; this one uses none of them.

mod body;
pub(crate) mod emit;
mod methods;
mod params;
mod read;
mod registration;

use crate::header::Header;
use crate::infer::Shape;
use crate::lua::Usage;

/// What the library file says.
#[derive(Default)]
pub(crate) struct Library {
    /// The `name=` of the `#!lua` line.
    pub(crate) name: Option<String>,
    /// Free text of the file's header, the type's docs.
    pub(crate) doc: Vec<String>,
    /// Functions registered with a literal name, in file order.
    pub(crate) functions: Vec<Function>,
    /// Registrations whose name is computed: `(line, the name expression as written)`.
    pub(crate) computed: Vec<(usize, String)>,
    /// Byte ranges of each `redis.register_function` in the file.
    pub(super) sites: Vec<(usize, usize)>,
}

/// One function registered with a literal name.
pub(crate) struct Function {
    /// As registered: `formatTS`.
    pub(crate) name: String,
    /// Its method: `format_ts`.
    pub(crate) method: String,
    /// Parameters, return type and docs; `present` when a tagged block declared them.
    pub(crate) header: Header,
    /// How the callback uses its keys and args parameters (the inferred parameters).
    pub(crate) usage: Usage,
    /// Its optional trailing arguments and variadic tails, inferred (without a tagged
    /// block).
    pub(crate) shape: Shape,
    /// Where the name is written.
    pub(super) line: usize,
    pub(super) col: usize,
}
