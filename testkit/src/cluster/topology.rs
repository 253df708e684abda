//! Who serves what: the nodes as `CLUSTER NODES` reports them, primaries, replicas and
//! the primary of a slot.

use super::Cluster;

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
    /// The topology as seen by the first live node.
    pub fn nodes(&self) -> Vec<Node> {
        let port = self.live_ports()[0];
        let text: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query(&mut self.node_connection(port))
            .expect("CLUSTER NODES");
        parse_nodes(&text)
    }

    /// The live primaries.
    pub fn primaries(&self) -> Vec<Node> {
        self.nodes()
            .into_iter()
            .filter(|n| n.primary && !n.failed)
            .collect()
    }

    /// A live primary other than those with the ids in `not`.
    pub fn other_primary(&self, not: &[&str]) -> Node {
        self.primaries()
            .into_iter()
            .find(|n| !not.contains(&n.id.as_str()))
            .expect("another live primary")
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
}

/// Ports of the replicas `CLUSTER SLOTS` lists.
pub(super) fn slots_replicas(con: &mut redis::Connection) -> redis::RedisResult<Vec<u16>> {
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
pub(super) fn parse_nodes(text: &str) -> Vec<Node> {
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
