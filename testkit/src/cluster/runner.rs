//! The `main` of a cluster test binary, and hand-made slot migrations for its tests.

use super::Cluster;

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
