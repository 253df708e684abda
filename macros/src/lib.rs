//! The `include_script!` and `include_library!` macros of [evalsha](https://docs.rs/evalsha).
//! An implementation detail: depend on `evalsha` and use `evalsha::include_script!`.
//!
//! This crate is a thin shim: both macros are `expand::expand`, one driver over
//! `proc_macro2` token streams (unit-tested on its own), given what differs between them
//! as an `expand::Macro`: `script::IncludeScript` or `library::emit::IncludeLibrary`.
//!
//! # Layers
//!
//! One line per module, lowest first: what it holds; what it may use. A module uses only
//! modules listed above it, so none imports one that imports it back. Check it with
//! `python3 .ci/module-cycles macros/src`, which reads every `use crate::..`, `crate::..`
//! and `super::..` path and lists any circle between the modules below (and between the
//! sibling files of a module directory).
//!
//! - `problem`: `Problem`, a message at a line and column; uses nothing.
//! - `names`: the naming rule (file stems → types, function names → methods), Rust
//!   keywords; uses nothing.
//! - `types`: the types of `@arg`/`@return`, Rust or Lua language-server names; uses
//!   nothing.
//! - `shebang`: the `#!lua` line, parsed once; uses nothing.
//! - `input`: the macro's arguments, `[VIS] [Name =] "path" [, key = value]`; uses nothing.
//! - `file`: finding and reading the file; uses nothing.
//! - `compose`: `---@include` composition and its source map; uses `file`, `problem`.
//! - `diagnostic`: how every problem reads (`file:line:col`, the line, a caret); uses
//!   `compose`, `problem`.
//! - `header`: the `---` annotation header; uses `compose`, `names`, `problem`,
//!   `shebang`, `types`.
//! - `env`: the servers' globals, commands, arities and flags, as data; uses `header`.
//! - `lua51`: the servers' own Lua 5.1 front end (`llex.c`, `lparser.c`), ported: what
//!   `SCRIPT LOAD` refuses, in its words, limits included; uses nothing.
//! - `lua`: the Lua 5.1 parse (`lua51` first, then `full_moon`, on a large stack),
//!   `KEYS`/`ARGV` uses and their check against the header; uses `header`, `lua51`,
//!   `problem`, `shebang`.
//! - `check`: the checks beyond syntax, one module per check over one scope analysis;
//!   uses `env`, `header`, `lua`, `problem`, `shebang`.
//! - `infer`: what a script or a function's callback without declarations shows of its
//!   parameters beyond literal indexes (where a variadic tail starts, optional trailing
//!   arguments); uses `check`, `lua`.
//! - `codegen`: the one emitter: the type's skeleton and the typed methods; uses
//!   `compose`, `header`, `infer`, `lua`, `types`.
//! - `expand`: the one driver and the `expand::Macro` trait; uses `codegen`, `compose`,
//!   `diagnostic`, `file`, `input`, `names`, `problem`.
//! - `script`: `include_script!` as a `Macro`; uses `check`, `codegen`, `compose`,
//!   `expand`, `header`, `infer`, `input`, `lua`, `problem`.
//! - `library`: `include_library!`: reading a library (one module per job) and the
//!   `Macro`; uses `check`, `codegen`, `compose`, `expand`, `header`, `infer`, `input`,
//!   `lua`, `names`, `problem`, `shebang`.
//! - `corpus` (tests only): the checks over real projects' scripts; uses `expand`,
//!   `script`.
//! - `edges`, `differential` (tests only): scripts at Lua's limits through the expansion,
//!   and the Lua analysis against `SCRIPT LOAD` on the servers; use `check`, `expand`,
//!   `library`, `lua`, `script`.

mod check;
mod codegen;
mod compose;
#[cfg(test)]
mod corpus;
mod diagnostic;
#[cfg(test)]
mod differential;
#[cfg(test)]
mod edges;
mod env;
mod expand;
mod file;
mod header;
mod infer;
mod input;
mod library;
mod lua;
mod lua51;
mod names;
mod problem;
mod script;
mod shebang;
mod targets;
mod types;

/// Embeds a Redis Lua script and generates a typed type for it. See the `evalsha` crate.
#[proc_macro]
pub fn include_script(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::expand::<script::IncludeScript>(input.into()).into()
}

/// Embeds a Redis Functions library and generates a typed type for it. See the `evalsha`
/// crate.
#[proc_macro]
pub fn include_library(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::expand::<library::emit::IncludeLibrary>(input.into()).into()
}
