//! Round trips and bytes on the wire, counted exactly by a loopback proxy between the
//! client and a real server: the cold path is two round trips on one connection, the warm
//! path one, and a script's body crosses the wire once, only after `NOSCRIPT`.

use std::time::Duration;

use evalsha::Reload;
use evalsha_testkit::proxy::Proxy;
use evalsha_testkit::{Server, Stats};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_script!("tests/scripts/big_16k.lua");

/// A short reply delay keeps the count exact: everything a client writes at once (a
/// pipeline) reaches the proxy before the first reply is passed back. Nothing is timed.
const DELAY: Duration = Duration::from_millis(5);

fn flush(server: &Server) {
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut server.connection())
        .unwrap();
}

#[test]
fn sync_cold_path_is_two_round_trips_and_warm_path_one() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), DELAY).unwrap();
    let mut con = proxy.client().get_connection().unwrap();
    flush(&server);
    proxy.reset();
    assert_eq!(IncrBy.run(&mut con, "rt", 1).unwrap(), 1);
    assert_eq!(
        proxy.round_trips(),
        2,
        "EVALSHA, then SCRIPT LOAD + EVALSHA pipelined"
    );
    proxy.reset();
    assert_eq!(IncrBy.run(&mut con, "rt", 1).unwrap(), 2);
    assert_eq!(proxy.round_trips(), 1, "warm: one EVALSHA");
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn eval_fallback_is_two_round_trips() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), DELAY).unwrap();
    let mut con = proxy.client().get_connection().unwrap();
    flush(&server);
    proxy.reset();
    let n = IncrBy
        .call("rt", 3)
        .reload(Reload::Eval)
        .run(&mut con)
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(proxy.round_trips(), 2, "EVALSHA, then EVAL");
}

#[test]
fn a_16_kib_body_crosses_the_wire_once_after_a_flush_and_never_when_warm() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), DELAY).unwrap();
    let mut con = proxy.client().get_connection().unwrap();
    let body = Big16k::SOURCE.len() as u64;
    assert_eq!(body, 16 * 1024);
    flush(&server);
    // Redis 6.2 counts SCRIPT FLUSH and SCRIPT LOAD as one command: start from zero.
    evalsha_testkit::reset_stats(&mut server.connection());
    proxy.reset();
    let rules = Big16k.run(&mut con, "big", "v").unwrap();
    assert!(rules > 100, "{rules}");
    let cold = proxy.bytes_sent();
    assert!(
        (body..body + 300).contains(&cold),
        "cold call sent {cold} bytes for a {body}-byte body: the body once plus three small commands"
    );
    assert_eq!(proxy.round_trips(), 2);
    proxy.reset();
    Big16k.run(&mut con, "big", "v").unwrap();
    let warm = proxy.bytes_sent();
    assert!(warm < 200, "warm call sent {warm} bytes");
    let stats = Stats::read(&mut server.connection());
    assert_eq!(stats.calls("script|load"), 1);
}

#[cfg(feature = "aio")]
#[tokio::test]
async fn async_cold_path_is_two_round_trips_and_warm_path_one() {
    let server = Server::start();
    let proxy = Proxy::start(server.port(), DELAY).unwrap();
    let mut con = proxy.multiplexed().await;
    flush(&server);
    proxy.reset();
    assert_eq!(IncrBy.run_async(&mut con, "rta", 1).await.unwrap(), 1);
    assert_eq!(proxy.round_trips(), 2);
    proxy.reset();
    assert_eq!(IncrBy.run_async(&mut con, "rta", 1).await.unwrap(), 2);
    assert_eq!(proxy.round_trips(), 1);
}
