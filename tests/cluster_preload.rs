//! `preload` and `preload_async` on Redis Cluster connections load every script on every
//! node, primaries and replicas, asked node by node with `SCRIPT EXISTS`.
//!
//! One cluster for the whole binary (`harness = false`, see `evalsha_testkit::cluster`).

use evalsha_testkit::cluster::{Cluster, ClusterTest, run_tests};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/echo.lua");

fn main() {
    const TESTS: &[ClusterTest] = &[
        (
            "sync_preload_reaches_every_node",
            sync_preload_reaches_every_node,
        ),
        (
            "async_preload_reaches_every_node",
            async_preload_reaches_every_node,
        ),
    ];
    run_tests(TESTS);
}

fn scripts() -> [&'static evalsha::Script; 2] {
    [IncrBy::script(), Echo::script()]
}

/// For each live node: (port, primary?, [`SCRIPT EXISTS` of each script]).
fn presence(cluster: &Cluster) -> Vec<(u16, bool, Vec<bool>)> {
    cluster
        .nodes()
        .into_iter()
        .filter(|node| !node.failed)
        .map(|node| {
            let mut con = cluster.node_connection(node.port);
            let exists = evalsha::loaded(&mut con, &scripts()).unwrap();
            (node.port, node.primary, exists)
        })
        .collect()
}

/// Flushes every node's script cache and command counters, and checks nothing is loaded.
fn cold(cluster: &Cluster) {
    cluster.flush_scripts();
    assert!(
        presence(cluster)
            .iter()
            .all(|(_, _, exists)| exists == &[false, false])
    );
    cluster.reset_stats();
}

/// Every node has both scripts, each loaded there once by the preload.
fn assert_everywhere(cluster: &Cluster) {
    let loads: Vec<(u16, u64)> = cluster
        .live_ports()
        .into_iter()
        .map(|port| (port, cluster.stats(port).calls("script|load")))
        .collect();
    // Redis 6.2 also replicates each SCRIPT LOAD to the replicas (which then count up to
    // 4); Redis 7 and Valkey do not, so there every node counts exactly its own 2.
    if !cluster.loads_propagate() {
        assert!(
            loads.iter().all(|(_, n)| *n == 2),
            "SCRIPT LOADs: {loads:?}"
        );
    }
    let presence = presence(cluster);
    assert_eq!(presence.len(), 6, "{presence:?}");
    assert_eq!(
        presence.iter().filter(|(_, primary, _)| *primary).count(),
        3
    );
    for (port, primary, exists) in &presence {
        assert_eq!(exists, &[true, true], "node {port} (primary: {primary})");
    }
}

fn sync_preload_reaches_every_node(cluster: &mut Cluster) {
    cold(cluster);
    evalsha::preload(&mut cluster.connection(), &scripts()).unwrap();
    assert_everywhere(cluster);
}

fn async_preload_reaches_every_node(cluster: &mut Cluster) {
    cold(cluster);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut con = cluster
                .builder()
                .build()
                .unwrap()
                .get_async_connection()
                .await
                .unwrap();
            evalsha::preload_async(&mut con, &scripts()).await.unwrap();
        });
    assert_everywhere(cluster);
}
