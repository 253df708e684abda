//! The job queue against a real server: each operation, visibility timeouts, and every
//! operation working across a `SCRIPT FLUSH` (20 concurrent receivers then share one
//! `SCRIPT LOAD`).

use std::collections::HashSet;
use std::time::Duration;

use evalsha_testkit::{Server, Stats, reset_stats};
use jobqueue::{Message, Queue};

#[tokio::test]
async fn send_receive_delete() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    let jobs = Queue::new("basic");
    let first = jobs.send(&mut con, b"one", 0).await.unwrap();
    let second = jobs.send(&mut con, b"two", 0).await.unwrap();
    assert_ne!(first, second);

    let got = jobs.receive(&mut con, 60_000).await.unwrap();
    let expected = Message {
        id: first,
        body: b"one".to_vec(),
        receive_count: 1,
    };
    assert_eq!(got, Some(expected));
    let got = jobs.receive(&mut con, 60_000).await.unwrap().unwrap();
    assert_eq!((got.id, got.body.as_slice()), (second, &b"two"[..]));
    assert_eq!(jobs.receive(&mut con, 60_000).await.unwrap(), None);

    assert!(jobs.delete(&mut con, first).await.unwrap());
    assert!(!jobs.delete(&mut con, first).await.unwrap());
    assert!(!jobs.change_visibility(&mut con, first, 0).await.unwrap());
}

#[tokio::test]
async fn a_message_not_deleted_comes_back_after_its_visibility_timeout() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    let jobs = Queue::new("timeout");
    let id = jobs.send(&mut con, b"job", 0).await.unwrap();
    assert_eq!(jobs.receive(&mut con, 200).await.unwrap().unwrap().id, id);
    assert_eq!(jobs.receive(&mut con, 200).await.unwrap(), None, "hidden");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = jobs.receive(&mut con, 200).await.unwrap().unwrap();
    assert_eq!((again.id, again.receive_count), (id, 2));
}

#[tokio::test]
async fn delayed_messages_and_changed_visibility() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    let jobs = Queue::new("delay");
    let id = jobs.send(&mut con, b"later", 200).await.unwrap();
    assert_eq!(
        jobs.receive(&mut con, 60_000).await.unwrap(),
        None,
        "delayed"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        jobs.receive(&mut con, 60_000).await.unwrap().unwrap().id,
        id
    );
    assert_eq!(
        jobs.receive(&mut con, 60_000).await.unwrap(),
        None,
        "hidden"
    );
    // The worker gives the job back at once.
    assert!(jobs.change_visibility(&mut con, id, 0).await.unwrap());
    let again = jobs.receive(&mut con, 60_000).await.unwrap().unwrap();
    assert_eq!((again.id, again.receive_count), (id, 2));
}

#[tokio::test]
async fn every_operation_works_across_a_script_flush() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    let mut admin = server.connection();
    let jobs = Queue::new("flush");
    for i in 0..20u8 {
        jobs.send(&mut con, &[i], 0).await.unwrap();
    }

    // The deploy's cache is gone (SCRIPT FLUSH, a restart, a failover): 20 workers
    // receive at once on one multiplexed connection; each gets a different message, and
    // they share one SCRIPT LOAD.
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
    reset_stats(&mut admin);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (jobs, mut con) = (jobs.clone(), con.clone());
        workers.spawn(async move { jobs.receive(&mut con, 60_000).await });
    }
    let mut ids = HashSet::new();
    while let Some(received) = workers.join_next().await {
        ids.insert(received.unwrap().unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 20, "each message received once");
    let stats = Stats::read(&mut admin);
    assert_eq!(stats.calls("script|load"), 1);
    assert_eq!(stats.calls("eval"), 0);

    // Each other operation, one after another flush.
    let id = *ids.iter().next().unwrap();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
    assert!(jobs.change_visibility(&mut con, id, 0).await.unwrap());
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
    assert!(jobs.delete(&mut con, id).await.unwrap());
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
    jobs.send(&mut con, b"after", 0).await.unwrap();
    let present = evalsha::loaded(&mut admin, &Queue::scripts()).unwrap();
    assert_eq!(present, [true, false, false, false], "send reloaded itself");
}
