//! What kind of connection a call is on, decided once, by type ([`Kind`]), and the entry
//! points that act on the answer: [`Call::run`] and [`Call::run_async`] choose the
//! transport for the kind and run the one flow (`invoke`) through it. Every other place
//! that depends on the kind (pipelines, bulk operations) asks [`Kind`] and matches on its
//! answer.
//!
//! Where later features plug in: a connection type of evalsha's own (an auto-pipelining
//! one) is a new [`Kind`] and an arm below; a span or a metric per call is
//! `trace::Observed`, inside `invoke`.
//!
//! Sending a call again after an unknown outcome ([`Call::retries`], for calls with a
//! token) wraps one send (`send_sync`, `send_async`: the `invoke` of the kind's arm) in a
//! loop whose every decision `once::Resends` takes.

use crate::call::Call;
use crate::error::Error;
use crate::invoke::invoke;
use crate::once::{Next, Resends};
#[cfg(feature = "aio")]
use crate::plain::AsyncTransport;
use crate::plain::{SyncTransport, block_on};
use crate::slot;
#[cfg(feature = "aio")]
use crate::timer;
#[cfg(feature = "aio")]
use std::time::Instant;

/// What kind of connection a call is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One server (a plain, multiplexed or managed connection, a pool's): what goes out
    /// together reaches that server.
    Server,
    /// redis's own cluster connection type, sync (`redis::cluster::ClusterConnection`,
    /// feature `cluster`) or async (`redis::cluster_async::ClusterConnection`, feature
    /// `cluster-async`): the keys must share a slot, evalsha follows redirects itself
    /// (`cluster`), a keyless command goes to every node.
    #[cfg(feature = "cluster")]
    Cluster,
    /// Another sync connection that says it cannot pipeline (`supports_pipelining() ==
    /// false`; among redis's connections only the cluster one does): a wrapper around a
    /// cluster connection, a pool's say. The compiler cannot tell it from a server
    /// connection, so the connection's own answer decides. The keys must share a slot;
    /// redis routes each command, and a pipeline by its first command.
    RoutedByRedis,
}

impl Kind {
    /// The kind of a sync connection.
    pub(crate) fn of_sync<C: redis::ConnectionLike + ?Sized>(con: &C) -> Kind {
        #[cfg(feature = "cluster")]
        if typeid::of::<C>() == std::any::TypeId::of::<redis::cluster::ClusterConnection>() {
            return Kind::Cluster;
        }
        if con.supports_pipelining() {
            Kind::Server
        } else {
            Kind::RoutedByRedis
        }
    }

    /// The kind of an async connection.
    #[cfg(feature = "aio")]
    // Without `cluster-async` every async connection is `Server`, whatever `C`.
    #[cfg_attr(
        not(feature = "cluster-async"),
        allow(clippy::extra_unused_type_parameters)
    )]
    pub(crate) fn of_async<C: ?Sized>() -> Kind {
        #[cfg(feature = "cluster-async")]
        if typeid::of::<C>() == std::any::TypeId::of::<redis::cluster_async::ClusterConnection>() {
            return Kind::Cluster;
        }
        Kind::Server
    }

    /// True for a Redis Cluster connection of any kind.
    pub(crate) fn is_cluster(self) -> bool {
        self != Kind::Server
    }
}

/// `con` as the type [`Kind::Cluster`] found it to be.
///
/// # Safety
///
/// `Kind::of_sync(con)` (or `Kind::of_async::<C>()`) must have returned [`Kind::Cluster`],
/// so that `C` has the type id of `R`, a `'static` type without lifetime parameters: `C`
/// is that very type (see `typeid::of`) and the cast changes nothing.
#[cfg(feature = "cluster")]
unsafe fn as_cluster<C: ?Sized, R>(con: &mut C) -> &mut R {
    // SAFETY: see the function's contract.
    unsafe { &mut *(con as *mut C).cast::<R>() }
}

impl<T: redis::FromRedisValue, E: crate::call::CallError> Call<T, E> {
    /// Runs the call on a sync connection: `EVALSHA`, and on `NOSCRIPT` only, the reload
    /// and one retry through the same connection.
    ///
    /// On a Redis Cluster connection the keys must hash to one slot (checked before
    /// anything is sent) and the reload happens on the node that runs the call.
    ///
    /// With [`Call::retries`], a call with a token sent again after no answer (see
    /// [`Call::once`]). The error is `E`: [`Error`], or under the crate's
    /// `error = "redis"` a `redis::RedisError` carrying it.
    pub fn run<C: redis::ConnectionLike + ?Sized>(&self, con: &mut C) -> Result<T, E> {
        self.run_inner(con).map_err(E::__from_error)
    }

    fn run_inner<C: redis::ConnectionLike + ?Sized>(&self, con: &mut C) -> Result<T, Error> {
        let kind = Kind::of_sync(con);
        if kind.is_cluster() {
            slot::check_slots(self)?;
        }
        let mut resends = Resends::start(self, kind.is_cluster())?;
        loop {
            match resends.next(self, self.send_sync(kind, con)) {
                Next::Pause(pause) => std::thread::sleep(pause),
                Next::Return(value) => return self.decode(value?),
            }
        }
    }

    /// One send of the call on a sync connection of `kind`.
    fn send_sync<C: redis::ConnectionLike + ?Sized>(
        &self,
        kind: Kind,
        con: &mut C,
    ) -> Result<redis::Value, Error> {
        match kind {
            #[cfg(feature = "cluster")]
            Kind::Cluster => {
                // SAFETY: `Kind::of_sync` said `Cluster`.
                let con = unsafe { as_cluster::<C, redis::cluster::ClusterConnection>(con) };
                let link = crate::cluster::SyncLink(con);
                block_on(invoke(
                    &mut crate::cluster::ClusterTransport::new(link),
                    self,
                ))
            }
            Kind::Server | Kind::RoutedByRedis => block_on(invoke(
                &mut SyncTransport::new(con, kind.is_cluster()),
                self,
            )),
        }
    }

    /// Runs the call on an async connection: `EVALSHA`, and on `NOSCRIPT` only, the reload
    /// and one retry through the same connection.
    ///
    /// On `redis::cluster_async::ClusterConnection` (feature `cluster-async`) the keys must
    /// hash to one slot, checked before anything is sent; the reload and the retry go to
    /// the node that runs the call.
    ///
    /// With [`Call::retries`], a call with a token sent again after no answer (see
    /// [`Call::once`]).
    ///
    /// The error is `E`: [`Error`], or under the crate's `error = "redis"` a
    /// `redis::RedisError` carrying it.
    #[cfg(feature = "aio")]
    pub async fn run_async<C: redis::aio::ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
    ) -> Result<T, E> {
        self.run_async_inner(con).await.map_err(E::__from_error)
    }

    #[cfg(feature = "aio")]
    async fn run_async_inner<C: redis::aio::ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
    ) -> Result<T, Error> {
        let kind = Kind::of_async::<C>();
        if kind.is_cluster() {
            slot::check_slots(self)?;
        }
        let mut resends = Resends::start(self, kind.is_cluster())?;
        loop {
            match resends.next(self, self.send_async(kind, con).await) {
                Next::Pause(pause) => timer::sleep_until(Instant::now() + pause).await,
                Next::Return(value) => return self.decode(value?),
            }
        }
    }

    /// One send of the call on an async connection of `kind`.
    #[cfg(feature = "aio")]
    async fn send_async<C: redis::aio::ConnectionLike + ?Sized>(
        &self,
        kind: Kind,
        con: &mut C,
    ) -> Result<redis::Value, Error> {
        match kind {
            #[cfg(feature = "cluster-async")]
            Kind::Cluster => {
                // SAFETY: `Kind::of_async` said `Cluster`.
                let con = unsafe { as_cluster::<C, redis::cluster_async::ClusterConnection>(con) };
                let link = crate::cluster::AsyncLink(con);
                invoke(&mut crate::cluster::ClusterTransport::new(link), self).await
            }
            _ => invoke(&mut AsyncTransport::new(con, kind.is_cluster()), self).await,
        }
    }
}
