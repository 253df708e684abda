//! Redis Functions libraries (`include_library!`) as a whole: load them ahead of use, and
//! delete the versions of them that other builds left on the server.
//!
//! Calls load their library by themselves (on `ERR Function not found` only), so neither
//! is needed for correctness: [`load`] moves the load out of the first call (a deploy
//! step, or start-up), and [`prune`] tidies up after a rolling deploy, once no process of
//! the old build is left. On a Redis Cluster connection (`redis::cluster::ClusterConnection`,
//! and with feature `cluster-async` its async one) each `FUNCTION LOAD` and
//! `FUNCTION DELETE` goes out as its own command, which redis sends to every primary;
//! replicas follow by replication.

pub use crate::bulk::{load_libraries as load, prune_libraries as prune};
#[cfg(feature = "aio")]
pub use crate::bulk::{load_libraries_async as load_async, prune_libraries_async as prune_async};
