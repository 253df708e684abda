//! Script calls in pipelines and transactions on async connections
//! (`MultiplexedConnection`, `ConnectionManager`).

use evalsha::{ErrorKind, Pipeline};
use evalsha_testkit::{Server, Stats, reset_stats};

evalsha::include_script!("tests/scripts/append.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");

fn flush_and_reset(server: &Server) {
    let mut con = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    redis::cmd("DEL").arg("l").exec(&mut con).unwrap();
    reset_stats(&mut con);
}

fn list(server: &Server) -> Vec<String> {
    redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut server.connection())
        .unwrap()
}

/// The same checks on any async connection.
async fn pipelines_and_transactions<C>(server: &Server, con: &mut C)
where
    C: redis::aio::ConnectionLike + Send,
{
    // 100 calls right after a flush: once each, in order, one load.
    flush_and_reset(server);
    let mut pipe = Pipeline::new();
    for i in 0..100 {
        pipe.script(Append.call("l", &i.to_string()));
    }
    let lengths: Vec<i64> = pipe.query_async(con).await.unwrap();
    assert_eq!(lengths, (1..=100).collect::<Vec<i64>>());
    assert_eq!(
        list(server),
        (0..100).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    let stats = Stats::read(&mut server.connection());
    assert_eq!(stats.calls("eval"), 1, "the first call carries the body");
    assert_eq!(stats.calls("evalsha"), 99);
    assert_eq!(stats.calls("script|load"), 0);

    // A transaction after a flush runs whole.
    flush_and_reset(server);
    let (len, n): (i64, i64) = Pipeline::new()
        .atomic()
        .script(Append.call("l", "t"))
        .cmd("INCR")
        .arg("in-tx")
        .query_async(con)
        .await
        .unwrap();
    assert_eq!(len, 1);
    assert!(n >= 1);
    let stats = Stats::read(&mut server.connection());
    assert_eq!(stats.calls("exec"), 1);
    assert_eq!(stats.calls("eval"), 1);

    // A script error in the middle keeps the other results.
    flush_and_reset(server);
    let mut pipe = Pipeline::new();
    pipe.script(Append.call("l", "a"))
        .script(CountThenFail.call::<()>("n", "async mid"))
        .script(Append.call("l", "b"));
    let results = pipe.query_each_async(con).await.unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().kind(),
        &ErrorKind::Script {
            line: Some(5),
            file: "tests/scripts/count_then_fail.lua"
        }
    );
    assert_eq!(list(server), ["a", "b"]);

    // Preload and ask.
    flush_and_reset(server);
    let scripts = [Append::script(), CountThenFail::script()];
    assert_eq!(
        evalsha::loaded_async(con, &scripts).await.unwrap(),
        [false, false]
    );
    evalsha::preload_async(con, &scripts).await.unwrap();
    assert_eq!(
        evalsha::loaded_async(con, &scripts).await.unwrap(),
        [true, true]
    );
}

#[tokio::test]
async fn on_a_multiplexed_connection() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    pipelines_and_transactions(&server, &mut con).await;
}

#[tokio::test]
async fn on_a_connection_manager() {
    let server = Server::start();
    let mut con = redis::aio::ConnectionManager::new(server.client())
        .await
        .unwrap();
    pipelines_and_transactions(&server, &mut con).await;
}
