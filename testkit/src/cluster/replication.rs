//! Replicas catching up with their primary, and failovers.

use std::time::{Duration, Instant};

use super::Cluster;

impl Cluster {
    /// True when a `SCRIPT LOAD` on a primary reaches its replicas: Redis before 7
    /// propagates it, Redis 7 and Valkey do not (measured: after `WAIT 1`, `SCRIPT EXISTS`
    /// on the replica says 0), so there a promoted replica starts with an empty script
    /// cache.
    pub fn loads_propagate(&self) -> bool {
        self.any_server().major_version() < 7
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
        for node in self.primaries() {
            self.wait_for_replica(node.port);
        }
    }

    /// `WAIT` on the primary of `slot` for every one of its live replicas (5 s at most),
    /// asserting that they all have what it has.
    pub fn wait_for_replicas_of(&self, slot: u16) {
        let primary = self.primary_of(slot);
        let replicas = self.replicas_of(&primary.id).len();
        let acked: usize = redis::cmd("WAIT")
            .arg(replicas)
            .arg(5000)
            .query(&mut self.node_connection(primary.port))
            .expect("WAIT");
        assert_eq!(acked, replicas, "replicas of primary {}", primary.port);
    }

    /// `CLUSTER FAILOVER` on the replica on `port`: a manual failover, no call lost.
    pub fn failover(&self, port: u16) {
        redis::cmd("CLUSTER")
            .arg("FAILOVER")
            .exec(&mut self.node_connection(port))
            .expect("CLUSTER FAILOVER");
    }

    /// During a failover that promotes the replica on `replica` to primary of `slot`:
    /// makes calls with `call` until the promotion is done and a call succeeded after it,
    /// and returns how many succeeded. Done means every live node has learned it (the
    /// cluster is [settled](Self::wait_settled)), not only the node asked: until then a
    /// node that still sees the killed primary's slots as failed answers `CLUSTERDOWN`,
    /// and a client whose slot map is stale may reach it (redis's async cluster client
    /// sends to a random node when the slot's node refuses connections). Each failed call
    /// goes to `failed` with whether the promotion was done before it (to assert what may
    /// fail, rebuild the connection, and wait a little). Panics after 60 s.
    pub fn calls_until_promoted<C, E>(
        &self,
        slot: u16,
        replica: u16,
        con: &mut C,
        mut call: impl FnMut(&mut C) -> Result<(), E>,
        mut failed: impl FnMut(&mut C, E, bool),
    ) -> i64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut ok = 0;
        loop {
            assert!(Instant::now() < deadline, "calls did not recover");
            let promoted = self.try_primary_of(slot).is_some_and(|p| p.port == replica)
                && self.settled().is_ok();
            match call(con) {
                Ok(()) => {
                    ok += 1;
                    if promoted {
                        return ok;
                    }
                }
                Err(err) => failed(con, err, promoted),
            }
        }
    }
}
