//! The shadowed, renamed setup compiles and runs scripts against a real server.

use evalsha_hygiene::{Echo, Hcounter, Incr, Table, Wide, client};

#[test]
fn generated_code_works_with_redis_shadowed_and_evalsha_renamed() {
    let server = evalsha_testkit::Server::start();
    let mut con = client::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(Incr.run(&mut con, "h", 2).unwrap(), 2);
    let echoed: Vec<String> = Echo.run(&mut con, "k", "a").unwrap();
    assert_eq!(echoed, ["k", "a"]);
    let table: client::Value = Table.run(&mut con).unwrap();
    assert!(matches!(table, client::Value::Array(ref v) if v.len() == 2));
    let stored = Wide
        .run(
            &mut con, "w1", "w2", "w3", 1, 2, "three", "four", true, 6.5, 7,
        )
        .unwrap();
    assert_eq!(stored, 7);
    let f5: String = client::cmd("HGET")
        .arg("w2")
        .arg("f5")
        .query(&mut con)
        .unwrap();
    assert_eq!(f5, "1");
    if server.major_version() >= 7 {
        assert_eq!(Hcounter.incr_by(&mut con, "hc", 5).unwrap(), 5);
        let peeked: String = Hcounter.peek(&mut con, "hc").unwrap();
        assert_eq!(peeked, "5");
        let stored = Hcounter
            .wide(&mut con, "x1", "x2", "x3", 1, "two", true, 4)
            .unwrap();
        assert_eq!(stored, 4);
    }
}

#[tokio::test]
async fn and_async() {
    let server = evalsha_testkit::Server::start();
    let mut con = client::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    assert_eq!(Incr.run_async(&mut con, "h", 3).await.unwrap(), 3);
}
