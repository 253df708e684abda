//! A node announcing another port than its own, so that clients reach it through a
//! proxy.

use std::io;
use std::time::{Duration, Instant};

use super::topology::parse_nodes;
use super::{Cluster, SETTLE};

impl Cluster {
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
