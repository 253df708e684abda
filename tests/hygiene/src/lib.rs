//! A crate that makes life hard for generated code: a module named `redis` shadows the
//! crate, items named like std's (`Result`, `Option`, `Send`, `Debug`) are in scope, and
//! evalsha is a dependency named `es`. `include_script!` and `include_library!` must
//! still expand and work.
//!
//! It also lints strictly, as many crates do: `.ci/run` runs clippy `-D warnings` over it
//! with `clippy::pedantic` on, and `scripts/wide.lua` has ten parameters (clippy's
//! `too_many_arguments` fires from eight), as has the `wide` function of
//! `scripts/counter_lib.lua`, so any lint the generated code trips fails CI.
#![allow(dead_code)]
#![warn(clippy::pedantic)]

/// Shadows the `redis` crate for every unqualified `redis::` path in this crate.
pub mod redis {}

/// Shadows the prelude's `Result`.
pub type Result = ();
/// Shadows the prelude's `Option`.
pub struct Option;
/// Shadows `Send`.
pub trait Send {}
/// Shadows `Debug`.
pub trait Debug {}

es::include_script!("scripts/incr.lua");
es::include_script!(pub Echo = "scripts/echo.lua");
es::include_script!(pub Table = "scripts/table.lua");
es::include_script!("scripts/wide.lua");
es::include_library!("scripts/counter_lib.lua");

/// The real redis crate, under its other name, for the test.
pub use real_redis as client;
