//! The `include_script!` and `include_library!` macros of [evalsha](https://docs.rs/evalsha). An implementation
//! detail: depend on `evalsha` and use `evalsha::include_script!`.
//!
//! This crate is a thin shim: the expansion is `expand::expand`, a plain function over
//! `proc_macro2` token streams, unit-tested on its own.

mod check;
mod codegen;
mod compose;
mod diagnostic;
mod env;
mod expand;
mod file;
mod header;
mod input;
mod library;
mod library_codegen;
mod lua;
mod names;
mod targets;
mod types;

/// Embeds a Redis Lua script and generates a typed type for it. See the `evalsha` crate.
#[proc_macro]
pub fn include_script(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::expand(input.into()).into()
}

/// Embeds a Redis Functions library and generates a typed type for it. See the `evalsha`
/// crate.
#[proc_macro]
pub fn include_library(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    library_codegen::expand(input.into()).into()
}
