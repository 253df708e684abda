//! Following `MOVED` and `ASK` for script calls, once for the sync and the async cluster
//! connection.
//!
//! A redirect is the server's refusal to run a command for a slot it does not serve, so
//! it proves the call did not run there and sending it again elsewhere cannot run it
//! twice. redis follows redirects only while it has retries left, and the same retries
//! resend a command after a dropped connection or a timeout, which can run a script twice.
//! With `ClusterClientBuilder::retries(0)` redis resends nothing and hands every redirect
//! back; [`ClusterTransport`] then follows it:
//!
//! - `MOVED host:port`: the slot has a new owner: send to that node. redis's async cluster
//!   connection rebuilds its slot map on every `MOVED` it sees, even with no retries left,
//!   so later calls go straight to the new owner. Its sync one (1.8.1) refreshes only while
//!   it has retries left, and offers no other way (its cluster pipeline, which would,
//!   takes a `MOVED` reply for an answer): there each later call to a moved slot meets
//!   `MOVED` once more and is sent on, one extra round trip, until the connection is
//!   rebuilt.
//! - `ASK host:port`: the slot is being migrated and the key is already on the target.
//!   Send `ASKING` and then the command to that node, on one connection, every time.
//!
//! - The redirect names a node redis has no connection to yet (a replica just promoted,
//!   before redis's slot refresh has connected to it): redis answers
//!   `ClusterConnectionNotFound` without sending anything, and starts that refresh. The
//!   same step is sent again after a short pause, for at most [`NOT_CONNECTED_WAIT`].
//!
//! The node a call was redirected to stays its target for the rest of the call, so the
//! `NOSCRIPT` load and the retry after it reach the node that runs the call. At most
//! [`MAX_REDIRECTS`] redirects are followed per step of a call; past that the last redirect
//! is returned as the error (nothing ran).

use std::time::{Duration, Instant};

use redis::{RedisError, RedisResult};

use crate::call::Call;
use crate::ran::{self, Redirect};
use crate::timer;
use crate::transport::{Sent, Step, Transport};

/// How many redirects one step of a call (the `EVALSHA`, the `EVAL`, or the load and
/// retry) follows before giving up. A slot migration costs two (`ASK`, then `MOVED` once it
/// ends), a failover one.
pub(crate) const MAX_REDIRECTS: u32 = 5;

/// How long one step waits, in all, for redis to connect to the node a redirect named.
pub(crate) const NOT_CONNECTED_WAIT: Duration = Duration::from_secs(2);

/// The pause between two sends to a node redis was not yet connected to.
const NOT_CONNECTED_PAUSE: Duration = Duration::from_millis(20);

/// A node's address as a redirect names it (`host:port`). (redis has `NodeAddress` only
/// from 1.8; evalsha supports redis 1.0 on.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    host: String,
    port: u16,
}

impl Node {
    /// Parses `host:port`, the host maybe an IPv6 address, bracketed or not.
    fn parse(address: &str) -> Option<Node> {
        let (host, port) = address.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().ok()?;
        (!host.is_empty()).then(|| Node {
            host: host.to_owned(),
            port,
        })
    }
}

/// Where the next command of a call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// Wherever redis routes it (by the first key's slot).
    Routed,
    /// The node a `MOVED` named.
    Moved(Node),
    /// The node an `ASK` named: `ASKING` goes first.
    Ask(Node),
}

impl Target {
    /// The node a redirect named, and whether `ASKING` must go first; `None` for
    /// [`Target::Routed`].
    pub(crate) fn node(&self) -> Option<(&Node, bool)> {
        match self {
            Target::Routed => None,
            Target::Moved(node) => Some((node, false)),
            Target::Ask(node) => Some((node, true)),
        }
    }

    /// The target `err` redirects to, if it is a `MOVED` or `ASK` with a readable address.
    pub(crate) fn redirected_by(err: &RedisError) -> Option<Target> {
        let (redirect, address) = ran::redirect(err)?;
        let node = Node::parse(address?)?;
        Some(match redirect {
            Redirect::Moved => Target::Moved(node),
            Redirect::Ask => Target::Ask(node),
        })
    }
}

/// A redis cluster connection type as [`ClusterTransport`] drives it.
pub(crate) trait Link {
    /// [`Transport::MAY_WAIT`] for this connection type.
    const MAY_WAIT: bool;

    /// Sends `step` of `call` to `target`: where redis routes it through the connection's
    /// plain transport, or to the node a redirect named.
    fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
        target: &Target,
    ) -> impl Future<Output = RedisResult<Sent>>;
}

/// A cluster connection as a [`Transport`] that follows redirects (see the module docs).
pub(crate) struct ClusterTransport<L> {
    link: L,
    target: Target,
}

impl<L: Link> ClusterTransport<L> {
    pub(crate) fn new(link: L) -> Self {
        Self {
            link,
            target: Target::Routed,
        }
    }

    /// Sends `step`, following up to [`MAX_REDIRECTS`] redirects, and waiting up to
    /// [`NOT_CONNECTED_WAIT`] for a connection to a redirect's node.
    async fn follow<T, E>(&mut self, step: Step, call: &Call<T, E>) -> RedisResult<Sent> {
        let mut redirects = 0;
        let mut not_connected_since: Option<Instant> = None;
        loop {
            let result = self.link.send(step, call, &self.target).await;
            if let Err(err) = &result
                && err.kind() == redis::ErrorKind::ClusterConnectionNotFound
                && self.target != Target::Routed
            {
                // Nothing was sent: wait for redis's slot refresh to connect to the node.
                let since = *not_connected_since.get_or_insert_with(Instant::now);
                if since.elapsed() < NOT_CONNECTED_WAIT {
                    timer::sleep_until(Instant::now() + NOT_CONNECTED_PAUSE).await;
                    continue;
                }
            }
            let next = match &result {
                Err(err) if redirects < MAX_REDIRECTS => Target::redirected_by(err),
                _ => None,
            };
            let Some(next) = next else {
                return result;
            };
            redirects += 1;
            self.target = next;
        }
    }
}

impl<L: Link> Transport for ClusterTransport<L> {
    const MAY_WAIT: bool = L::MAY_WAIT;

    fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
    ) -> impl Future<Output = RedisResult<Sent>> {
        self.follow(step, call)
    }
}

/// Where a function's load and the retried call go when no redirect named a node: the
/// primary of the call's slot. A replica cannot load a library (it refuses `FUNCTION
/// LOAD` with `READONLY`) and gets it by replication, so a cold `FCALL_RO` that a read
/// strategy sent to a replica is retried where the library can be loaded; later calls
/// find it on the replicas. `None` for scripts (each node caches its own, replicas
/// included), for a call without keys (redis picks any primary for it), and for other
/// steps.
#[cfg(feature = "cluster-async")]
pub(crate) fn library_load_route<T, E>(
    step: Step,
    call: &Call<T, E>,
) -> Option<redis::cluster_routing::SingleNodeRoutingInfo> {
    use redis::cluster_routing::{Route, SingleNodeRoutingInfo, SlotAddr};
    if step != Step::LoadAndCall || !call.script().loads_on_primary() {
        return None;
    }
    let slot = crate::slot::slot(call.keys().next()?);
    Some(SingleNodeRoutingInfo::SpecificNode(Route::new(
        slot,
        SlotAddr::Master,
    )))
}

/// Routing to one node.
pub(crate) fn by_address(node: &Node) -> redis::cluster_routing::SingleNodeRoutingInfo {
    redis::cluster_routing::SingleNodeRoutingInfo::ByAddress {
        host: node.host.clone(),
        port: node.port,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(text: &str) -> RedisError {
        let value = redis::parse_redis_value(format!("-{text}\r\n").as_bytes()).unwrap();
        value.extract_error().unwrap_err()
    }

    fn node(host: &str, port: u16) -> Node {
        Node {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn reads_redirect_targets() {
        assert_eq!(
            Target::redirected_by(&server_error("MOVED 3999 127.0.0.1:6381")),
            Some(Target::Moved(node("127.0.0.1", 6381)))
        );
        assert_eq!(
            Target::redirected_by(&server_error("ASK 3999 redis-2.example:7000")),
            Some(Target::Ask(node("redis-2.example", 7000)))
        );
        assert_eq!(
            Target::redirected_by(&server_error("MOVED 1 ::1:7000")),
            Some(Target::Moved(node("::1", 7000)))
        );
        assert_eq!(Node::parse("[::1]:7000"), Some(node("::1", 7000)));
        assert_eq!(Node::parse("no-port"), None);
        assert_eq!(Node::parse(":7000"), None);
        assert_eq!(Target::redirected_by(&server_error("NOSCRIPT x")), None);
        assert_eq!(Target::redirected_by(&server_error("ERR x")), None);
    }
}
