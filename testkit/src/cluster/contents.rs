//! What the nodes hold: counters, scripts, function libraries, and the keys tests use.

use super::Cluster;
use crate::counter;

impl Cluster {
    /// The integer at `key` (0 when missing), read through a new sync cluster connection,
    /// which follows `ASK` during a migration.
    pub fn get(&self, key: &str) -> i64 {
        counter(&mut self.connection(), key)
    }

    /// The integer at `key` (0 when missing), read straight from the node on `port`.
    pub fn get_on(&self, port: u16, key: &str) -> i64 {
        counter(&mut self.node_connection(port), key)
    }

    /// `SCRIPT EXISTS sha1` on the node on `port`.
    pub fn script_exists(&self, port: u16, sha1: &str) -> bool {
        let exists: Vec<bool> = redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(sha1)
            .query(&mut self.node_connection(port))
            .expect("SCRIPT EXISTS");
        exists[0]
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

    /// True when the node on `port` holds the Redis Functions library `library`.
    pub fn has_library(&self, port: u16, library: &str) -> bool {
        let list: Vec<redis::Value> = redis::cmd("FUNCTION")
            .arg("LIST")
            .arg("LIBRARYNAME")
            .arg(library)
            .query(&mut self.node_connection(port))
            .expect("FUNCTION LIST");
        !list.is_empty()
    }

    /// `FUNCTION FLUSH` on every live primary (replicas follow by replication), waiting
    /// for each one's replica.
    pub fn flush_functions(&self) {
        for node in self.primaries() {
            redis::cmd("FUNCTION")
                .arg("FLUSH")
                .exec(&mut self.node_connection(node.port))
                .expect("FUNCTION FLUSH");
            self.wait_for_replica(node.port);
        }
    }
}

/// `prefix:0` .. `prefix:{n-1}`: 64 of them land in every primary's slot ranges.
pub fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}
