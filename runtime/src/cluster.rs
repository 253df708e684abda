//! Redis Cluster: what kind of cluster connection a call is on, hash slots of a call's
//! keys, the cross-slot check, the way the `NOSCRIPT` fallback reaches the node that runs
//! the call, and (in [`redirect`]) following `MOVED`/`ASK`.
//!
//! There is no separate cluster entry point: `run` and `run_async` learn the connection's
//! kind from `connection` and go through the same `invoke` flow as every other
//! connection, with a [`ClusterTransport`] as the transport: a decorator over the plain
//! transport of redis's cluster connection types (`links`), which sends each step where
//! redis routes it and, after a redirect, to the node it named. Nothing here calls back
//! up into the flow or the entry points.
//!
//! - **Which connection.** `redis::cluster::ClusterConnection` (feature `cluster`) and
//!   `redis::cluster_async::ClusterConnection` (feature `cluster-async`) are recognised by
//!   type (`connection::Kind`). Other sync connections that say
//!   `supports_pipelining() == false` (among redis's connections only the cluster one
//!   does; a pooled one, say) get the cross-slot check and the probe (see `slot`), and
//!   redis's own redirect handling.
//! - **At most once.** redis resends a command after a dropped connection or, on the sync
//!   connection, a timeout, as long as it has retries left (16 by default): a script can
//!   run twice. `ClusterClientBuilder::retries(0)` stops that, and stops redis following
//!   `MOVED`/`ASK`; evalsha then follows them for script calls, see [`redirect`].
//! - **Loading, sync.** The load goes behind a probe that routes it like the call (see
//!   `slot`). After a redirect the load and the call go to the named node.
//! - **Loading, async.** Its `req_packed_commands` routes a pipeline by the first command
//!   that has a key, so the ordinary `SCRIPT LOAD, EVALSHA` pipeline already lands on the
//!   call's node; a function's `FUNCTION LOAD, FCALL[_RO]` is sent to the slot's primary
//!   (`redirect::library_load_route`).
//! - **Redirects with redis's retries.** When the load-and-call pipeline meets `MOVED`/`ASK`
//!   (a slot being migrated) and redis follows it, it resends the pipeline whole to the new
//!   node, where `ASK` admits only its first command; `invoke` then sends the call once
//!   more (a redirect proves it did not run).
//! - **Pipelines** (`evalsha::Pipeline`) are refused on the sync cluster connection, see
//!   `pipeline`.

mod links;
mod redirect;

#[cfg(feature = "cluster-async")]
pub(crate) use links::AsyncLink;
pub(crate) use links::SyncLink;
pub(crate) use redirect::ClusterTransport;
